// The node IPAM controller (upstream pkg/controller/nodeipam, range
// allocator): gives every node a pod CIDR (spec.podCIDR, spec.podCIDRs — one
// per IP family) cut from --cluster-cidr, --node-cidr-mask-size bits each.
//
// The allocator's memory is rebuilt from the nodes before anything is
// allocated (every start, every term of leadership), so a restart never hands
// out a CIDR a node already has; a deleted node's CIDRs are freed. Writes are
// compare-and-swap on the node, so a node that got CIDRs meanwhile keeps them.

import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock, Disposable } from '../../base/clock.ts';
import { isConflict, isNotFound, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { RetryLater, runWorkers, waitForSync } from '../worker.ts';
import { CidrSet, CidrSetFullError, parseCidr } from './cidrset.ts';

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE_IPV4 = 24;
export const DEFAULT_NODE_CIDR_MASK_SIZE_IPV6 = 64;

export interface NodeIpamApi {
  /** Sets spec.podCIDR and spec.podCIDRs, compare-and-swap on `resourceVersion`. */
  setPodCidrs(name: string, resourceVersion: string, cidrs: string[]): Promise<Node>;
}

export function restNodeIpamApi(client: RestClient): NodeIpamApi {
  const nodes = client.resource<Node>('v1', 'Node');
  return {
    setPodCidrs: (name, resourceVersion, cidrs) => nodes.patch(name, 'merge', { metadata: { resourceVersion }, spec: { podCIDR: cidrs[0], podCIDRs: cidrs } }),
  };
}

/** One CidrSet per family of --cluster-cidr (dual stack: "10.42.0.0/16,fd42::/56"). */
export function cidrSetsFor(clusterCidr: string, maskV4: number, maskV6: number): CidrSet[] {
  const parts = clusterCidr.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || parts.length > 2) throw new Error(`--cluster-cidr must hold one CIDR, or two of different IP families: ${clusterCidr}`);
  const sets = parts.map((p) => {
    const family = parseCidr(p).family;
    return new CidrSet(p, family === 4 ? maskV4 : maskV6);
  });
  if (sets.length === 2 && sets[0].family === sets[1].family) throw new Error(`--cluster-cidr must hold at most one CIDR per IP family: ${clusterCidr}`);
  return sets;
}

export function podCidrsOf(node: Node): string[] {
  const list = node.spec?.podCIDRs ?? [];
  if (list.length) return [...list];
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

export interface NodeIpamDeps {
  nodes: Lister<Node>;
  api: NodeIpamApi;
  recorder: Pick<EventRecorder, 'event' | 'eventf'>;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  sets: CidrSet[];
}

export class NodeIpamController {
  /** CIDRs given to a node by this controller that its cached object may not show yet. */
  private readonly pending = new Map<string, string[]>();

  constructor(private readonly d: NodeIpamDeps) {}

  /** Marks every CIDR the cached nodes hold as used. Must run before the first allocation. */
  occupyExisting(): void {
    for (const node of this.d.nodes.list()) this.occupy(node);
  }

  handler(): ResourceEventHandler<Node> {
    return {
      add: (n) => this.d.queue.add(n.metadata!.name!),
      update: (_o, n) => this.d.queue.add(n.metadata!.name!),
      delete: (n) => {
        this.release(n);
        // A CIDR came free: nodes still waiting for one need not wait out their back-off.
        for (const other of this.d.nodes.list()) if (podCidrsOf(other).length === 0) this.d.queue.add(other.metadata!.name!);
      },
    };
  }

  private setFor(cidr: string): CidrSet | undefined {
    try {
      const fam = parseCidr(cidr).family;
      return this.d.sets.find((s) => s.family === fam);
    } catch {
      return undefined;
    }
  }

  private occupy(node: Node): void {
    for (const cidr of podCidrsOf(node)) {
      const set = this.setFor(cidr);
      try {
        if (!set) throw new Error(`no cluster CIDR of its family`);
        set.occupy(cidr);
      } catch (e) {
        this.d.logger.warn({ node: node.metadata?.name, cidr, err: e }, 'node pod CIDR is outside the cluster CIDR; not tracked');
      }
    }
  }

  private releaseCidrs(cidrs: string[]): void {
    for (const cidr of cidrs) {
      const set = this.setFor(cidr);
      if (set?.contains(cidr)) set.release(cidr);
    }
  }

  /** ReleaseCIDR: a deleted node's CIDRs (and any allocation still on its way to it) are free again. */
  private release(node: Node): void {
    const name = node.metadata!.name!;
    this.releaseCidrs(podCidrsOf(node));
    const p = this.pending.get(name);
    if (p) { this.releaseCidrs(p); this.pending.delete(name); }
  }

  /** AllocateOrOccupyCIDR for one node. */
  async sync(name: string): Promise<void> {
    const node = this.d.nodes.get('', name);
    if (!node) return;
    const have = podCidrsOf(node);
    if (have.length) {
      this.occupy(node);
      this.pending.delete(name);
      return;
    }
    // Our write may not have reached the cache yet: do not allocate twice.
    if (this.pending.has(name)) throw new RetryLater('allocation not yet observed', { afterMs: 1000 });

    const allocated: string[] = [];
    try {
      for (const set of this.d.sets) allocated.push(set.allocateNext());
    } catch (e) {
      this.releaseCidrs(allocated);
      if (e instanceof CidrSetFullError) {
        this.d.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        throw new RetryLater(`failed to allocate cidr for node ${name}: ${e.message}`, { maxMs: 60_000 });
      }
      throw e;
    }
    this.pending.set(name, allocated);
    try {
      await this.d.api.setPodCidrs(name, node.metadata!.resourceVersion!, allocated);
      this.d.logger.info({ node: name, podCIDRs: allocated }, 'allocated pod CIDRs');
    } catch (e) {
      this.pending.delete(name);
      this.releaseCidrs(allocated);
      if (isNotFound(e)) return;
      // Changed meanwhile (maybe it got CIDRs elsewhere): look again.
      if (isConflict(e)) throw new RetryLater('node changed; retrying', { afterMs: 0 });
      this.d.recorder.event(node, 'Normal', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
      throw e;
    }
  }
}

/** The controller the manager runs as "nodeipam". */
export function nodeIpamController(): Controller {
  return {
    name: 'nodeipam',
    async run(ctx: ControllerContext): Promise<void> {
      const nodeInformer = ctx.informers.informerFor<Node>('v1', 'Node');
      const o = ctx.options ?? {};
      let sets: CidrSet[];
      try {
        sets = cidrSetsFor(o.clusterCidr ?? DEFAULT_CLUSTER_CIDR, o.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE_IPV4,
          o.nodeCidrMaskSizeIPv6 ?? DEFAULT_NODE_CIDR_MASK_SIZE_IPV6);
      } catch (e) {
        ctx.logger.error({ err: e }, 'invalid cluster CIDR settings; node IPAM disabled');
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      }
      const queue = new WorkQueue<string>({ name: 'nodeipam', clock: ctx.clock });
      const c = new NodeIpamController({
        nodes: nodeInformer.lister(), api: restNodeIpamApi(ctx.client), recorder: ctx.recorder('cidrAllocator'),
        clock: ctx.clock, logger: ctx.logger, queue, sets,
      });
      let handle: Disposable | undefined;
      try {
        if (!(await waitForSync(ctx.signal, nodeInformer))) return;
        // Everything the nodes hold is taken before the first allocation.
        c.occupyExisting();
        handle = nodeInformer.on(c.handler());
        await runWorkers(queue, (name) => c.sync(name), { signal: ctx.signal, logger: ctx.logger, workers: 1 });
      } finally {
        handle?.dispose();
        queue.shutDown();
      }
    },
  };
}
