// The node lifecycle controller (upstream pkg/controller/nodelifecycle):
//  - every --node-monitor-period it checks each node's heartbeats (Lease in
//    kube-node-lease, status lastHeartbeatTime); a node silent for
//    --node-monitor-grace-period gets Ready (and the pressure conditions)
//    Unknown, reason NodeStatusUnknown, and its pods are marked not Ready;
//  - nodes whose Ready is False or Unknown get the NoExecute taint
//    node.kubernetes.io/not-ready or /unreachable (at --node-eviction-rate
//    nodes per second), removed again once Ready is True — the taint
//    eviction controller then evicts pods that do not tolerate them;
//  - every node change re-derives its NoSchedule taints from its conditions
//    and spec.unschedulable (TaintNodesByCondition), which is what
//    `kubectl cordon` turns into node.kubernetes.io/unschedulable.
// Tainting runs per zone (topology.kubernetes.io/region + zone), slower or
// not at all in a zone mostly down, and stops altogether when every node of
// every zone is down: then the controller is the one cut off (zones.ts).

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Logger } from 'pino';
import { sleep, type Clock } from '../../base/clock.ts';
import {
  isConflict, isNotFound, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { NodeHealthTracker } from './health.ts';
import { podsOnNode, requestNodeNameIndex } from './pods.ts';
import {
  condition, controllerNoScheduleTaints, NOT_READY_NO_EXECUTE, noScheduleTaintsFor, swapTaints, taintExists, taintSetDiff,
  UNREACHABLE_NO_EXECUTE,
} from './taints.ts';
import type { NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import {
  computeZoneState, LARGE_CLUSTER_THRESHOLD, RateLimitedNodeQueue, SECONDARY_EVICTION_RATE, zoneKey, type ZoneState,
} from './zones.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Upstream's defaults. */
export const DEFAULTS = {
  monitorPeriodMs: 5_000,
  gracePeriodMs: 40_000,
  startupGracePeriodMs: 60_000,
  evictionRate: 0.1,
};

const TAINT_RETRIES = 5;

export interface NodeLifecycleApi {
  getNode(name: string): Promise<Node>;
  /** PUT nodes/<name>/status (compare-and-swap on resourceVersion). */
  updateNodeStatus(node: Node): Promise<Node>;
  /** Replaces spec.taints, compare-and-swap on `resourceVersion`. */
  setNodeTaints(name: string, resourceVersion: string, taints: Taint[]): Promise<Node>;
  /** Sets (merges) labels, compare-and-swap on `resourceVersion`. */
  setNodeLabels(name: string, resourceVersion: string, labels: Record<string, string>): Promise<Node>;
  /** PUT pods/<name>/status. */
  updatePodStatus(pod: Pod): Promise<Pod>;
}

export function restNodeLifecycleApi(client: RestClient): NodeLifecycleApi {
  const nodes = client.resource<Node>('v1', 'Node');
  const pods = client.resource<Pod>('v1', 'Pod');
  return {
    getNode: (name) => nodes.get(name),
    updateNodeStatus: (node) => nodes.updateStatus(node),
    // spec.taints has no merge key: a merge patch replaces the list; the
    // resourceVersion in it makes the write conditional.
    setNodeTaints: (name, resourceVersion, taints) => nodes.patch(name, 'merge', { metadata: { resourceVersion }, spec: { taints: taints.length ? taints : null } }),
    setNodeLabels: (name, resourceVersion, labels) => nodes.patch(name, 'merge', { metadata: { resourceVersion, labels } }),
    updatePodStatus: (pod) => pods.namespace(pod.metadata!.namespace!).updateStatus(pod),
  };
}

export interface NodeLifecycleOptions {
  monitorPeriodMs: number;
  gracePeriodMs: number;
  startupGracePeriodMs: number;
  /** Nodes per second that may get a NoExecute taint; 0 = never. */
  evictionRate: number;
}

export interface NodeLifecycleDeps {
  nodes: Lister<Node>;
  pods: Lister<Pod>;
  leases: Lister<Lease>;
  api: NodeLifecycleApi;
  recorder: Pick<EventRecorder, 'event' | 'eventf'>;
  clock: Clock;
  logger: Logger;
  /** Nodes whose NoSchedule taints need a look (node events). */
  queue: WorkQueue<string>;
  options: NodeLifecycleOptions;
}

export class NodeLifecycleController {
  readonly health: NodeHealthTracker;
  /** Nodes known to the monitor loop (for the RegisteredNode / RemovingNode events). */
  private readonly known = new Set<string>();
  /** Pods of these nodes still need marking not Ready (an earlier attempt failed). */
  private readonly retryMarkPods = new Set<string>();
  /** Per zone: its state and the rate-limited queue of nodes waiting for a NoExecute taint. */
  private readonly zones = new Map<string, { state: ZoneState; queue: RateLimitedNodeQueue }>();
  /** The zone each known node was last seen in. */
  private readonly nodeZones = new Map<string, string>();
  private stopped = false;

  constructor(private readonly d: NodeLifecycleDeps) {
    this.health = new NodeHealthTracker({ gracePeriodMs: d.options.gracePeriodMs, startupGracePeriodMs: d.options.startupGracePeriodMs });
  }

  nodeHandler(): ResourceEventHandler<Node> {
    return {
      add: (n) => this.d.queue.add(n.metadata!.name!),
      update: (_o, n) => this.d.queue.add(n.metadata!.name!),
      delete: (n) => this.dequeueForTainting(n.metadata!.name!),
    };
  }

  // ---- NoSchedule taints from conditions (on every node change) ------------

  /** doNodeProcessingPassWorker for one node: NoSchedule taints from its conditions, then the beta OS/arch labels. */
  async syncNode(name: string): Promise<void> {
    await this.syncNoScheduleTaints(name);
    await this.reconcileNodeLabels(name);
  }

  /** reconcileNodeLabels: beta.kubernetes.io/os and /arch mirror kubernetes.io/os and /arch, for old clients. */
  async reconcileNodeLabels(name: string): Promise<void> {
    const node = this.d.nodes.get('', name);
    if (!node) return;
    const labels = node.metadata?.labels ?? {};
    const want: Record<string, string> = {};
    for (const [primary, secondary] of [['kubernetes.io/os', 'beta.kubernetes.io/os'], ['kubernetes.io/arch', 'beta.kubernetes.io/arch']]) {
      const v = labels[primary];
      if (v !== undefined && labels[secondary] !== v) want[secondary] = v;
    }
    if (Object.keys(want).length === 0) return;
    try {
      await this.d.api.setNodeLabels(name, node.metadata!.resourceVersion!, want);
    } catch (e) {
      // A newer node is on its way through the informer: it is looked at again then.
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }

  /** doNoScheduleTaintingPass for one node. */
  async syncNoScheduleTaints(name: string): Promise<void> {
    const node = this.d.nodes.get('', name);
    if (!node) return;
    const { add, remove } = taintSetDiff(noScheduleTaintsFor(node), controllerNoScheduleTaints(node));
    if (add.length === 0 && remove.length === 0) return;
    await this.swapNodeTaints(name, add, remove);
  }

  /** SwapNodeControllerTaint: read (cache first, then the API on conflict), change, write conditionally. */
  async swapNodeTaints(name: string, add: Taint[], remove: Taint[]): Promise<boolean> {
    let node = this.d.nodes.get('', name);
    for (let attempt = 0; attempt < TAINT_RETRIES; attempt++) {
      if (!node || attempt > 0) {
        try {
          node = await this.d.api.getNode(name);
        } catch (e) {
          if (isNotFound(e)) return false;
          throw e;
        }
      }
      const next = swapTaints(node.spec?.taints, add, remove, rfc3339(this.d.clock.now()));
      if (!next) return true;
      try {
        await this.d.api.setNodeTaints(name, node.metadata!.resourceVersion!, next);
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        if (!isConflict(e)) throw e;
      }
    }
    return false;
  }

  // ---- health monitoring ---------------------------------------------------

  /** monitorNodeHealth: one pass over every node. */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.d.nodes.list();
    const names = new Set(nodes.map((n) => n.metadata!.name!));
    for (const n of nodes) {
      const name = n.metadata!.name!;
      // A node that moved zones leaves the old zone's queue.
      const zone = zoneKey(n);
      if (this.nodeZones.get(name) !== zone) this.dequeueForTainting(name);
      this.nodeZones.set(name, zone);
      this.zoneFor(zone);
      if (this.known.has(name)) continue;
      this.known.add(name);
      this.d.recorder.event(n, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
    }
    for (const name of [...this.known]) {
      if (names.has(name)) continue;
      this.known.delete(name);
      this.health.forget(name);
      this.retryMarkPods.delete(name);
      this.dequeueForTainting(name);
      this.nodeZones.delete(name);
      this.d.recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: name } }, 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
    }
    const zoneToReady = new Map<string, (NodeCondition | undefined)[]>();
    for (const node of nodes) {
      if (this.stopped) return;
      let current: NodeCondition | undefined;
      try {
        current = await this.monitorNode(node);
      } catch (e) {
        this.d.logger.warn({ err: e, node: node.metadata?.name }, 'failed to check node health');
        current = condition(node, 'Ready');
      }
      const zone = zoneKey(node);
      zoneToReady.set(zone, [...(zoneToReady.get(zone) ?? []), current]);
    }
    await this.handleDisruption(zoneToReady, nodes);
    for (const z of this.zones.values()) z.queue.start();
  }

  /** The Ready condition after the check (undefined for a node that never reported). */
  private async monitorNode(node: Node): Promise<NodeCondition | undefined> {
    const name = node.metadata!.name!;
    const now = this.d.clock.now();
    const lease = this.d.leases.get(NODE_LEASE_NAMESPACE, name);
    const verdict = this.health.assess(node, lease, now);
    let current = verdict.current;
    if (verdict.statusUpdate) {
      try {
        const written = await this.d.api.updateNodeStatus(verdict.statusUpdate);
        this.health.written(written, now);
        current = condition(written, 'Ready');
        this.d.logger.info({ node: name, gracePeriodMs: verdict.gracePeriodMs }, 'node stopped posting status; conditions set to Unknown');
      } catch (e) {
        // The cache was stale (the kubelet just wrote): the next pass sees the news.
        if (isConflict(e) || isNotFound(e)) return verdict.current;
        throw e;
      }
    }
    if (!current) return undefined;
    this.processTaintBasedEviction(node, verdict.observed.status);
    const needsRetry = this.retryMarkPods.has(name);
    const becameNotReady = current.status !== 'True' && verdict.observed.status === 'True';
    if (becameNotReady) this.d.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    if (becameNotReady || (needsRetry && verdict.observed.status !== 'True')) {
      const ok = await this.markPodsNotReady(name);
      if (ok) this.retryMarkPods.delete(name); else this.retryMarkPods.add(name);
    }
    return current;
  }

  /** processTaintBaseEviction: queue the NoExecute taint matching Ready, or take both off a Ready node. */
  private processTaintBasedEviction(node: Node, observed: string): void {
    const name = node.metadata!.name!;
    const taints = node.spec?.taints;
    switch (observed) {
      case 'False':
        // Already tainted for the other reason: swap at once rather than wait for the rate limit.
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE)) void this.swapNow(name, NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE);
        else if (!taintExists(taints, NOT_READY_NO_EXECUTE)) this.queueForTainting(name);
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE)) void this.swapNow(name, UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE);
        else if (!taintExists(taints, UNREACHABLE_NO_EXECUTE)) this.queueForTainting(name);
        break;
      case 'True':
        this.dequeueForTainting(name);
        if (taintExists(taints, NOT_READY_NO_EXECUTE) || taintExists(taints, UNREACHABLE_NO_EXECUTE)) {
          this.d.logger.info({ node: name }, 'node is healthy again, removing all taints');
          void this.swapNow(name, undefined, NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE);
        }
        break;
    }
  }

  private async swapNow(name: string, add: Taint | undefined, ...remove: Taint[]): Promise<void> {
    try {
      if (!(await this.swapNodeTaints(name, add ? [add] : [], remove))) this.d.logger.warn({ node: name }, 'failed to swap NoExecute taints; will retry');
    } catch (e) {
      this.d.logger.warn({ err: e, node: name }, 'failed to swap NoExecute taints; will retry');
    }
  }

  // ---- rate-limited NoExecute tainting, per zone ---------------------------

  /** The zone's queue, made on first sight of the zone (upstream's addPodEvictorForNewZone). */
  private zoneFor(zone: string): { state: ZoneState; queue: RateLimitedNodeQueue } {
    let z = this.zones.get(zone);
    if (!z) {
      z = { state: 'Initial', queue: new RateLimitedNodeQueue(this.d.clock, this.d.options.evictionRate, (n) => this.taintNode(n)) };
      this.zones.set(zone, z);
    }
    return z;
  }

  private queueForTainting(name: string): void {
    const node = this.d.nodes.get('', name);
    // Started once this pass has set the zones' rates (handleDisruption).
    if (node) this.zoneFor(zoneKey(node)).queue.add(name, false);
  }

  private dequeueForTainting(name: string): void {
    for (const z of this.zones.values()) z.queue.remove(name);
  }

  /** Nodes waiting for a NoExecute taint. */
  pendingTaints(): string[] { return [...this.zones.values()].flatMap((z) => z.queue.nodes()); }

  /** A zone's state as of the last pass. */
  zoneState(zone = ''): ZoneState | undefined { return this.zones.get(zone)?.state; }

  /** doNoExecuteTaintingPass for one node: the taint matching its Ready condition now. False: retry later. */
  private async taintNode(name: string): Promise<boolean> {
    const node = this.d.nodes.get('', name);
    const ready = condition(node, 'Ready')?.status;
    let ok = true;
    if (ready === 'False') ok = await this.swapNodeTaints(name, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
    else if (ready === 'Unknown') ok = await this.swapNodeTaints(name, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
    if (ok && (ready === 'False' || ready === 'Unknown')) this.d.logger.info({ node: name, ready }, 'node tainted for eviction (NoExecute)');
    return ok || !node;
  }

  /** setLimiterInZone: the tainting rate a zone's state calls for. */
  private setLimiterInZone(zone: string, size: number, state: ZoneState): void {
    const z = this.zoneFor(zone);
    const rate = this.d.options.evictionRate;
    if (state === 'PartialDisruption') z.queue.setRate(size > LARGE_CLUSTER_THRESHOLD ? SECONDARY_EVICTION_RATE : 0);
    else z.queue.setRate(rate);
  }

  /** handleDisruption: zone states → tainting rates; all zones down → stop and untaint (master disruption mode). */
  private async handleDisruption(zoneToReady: Map<string, (NodeCondition | undefined)[]>, nodes: Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conds] of zoneToReady) {
      const { state } = computeZoneState(conds);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      this.zoneFor(zone);
    }
    let allWasFullyDisrupted = true;
    for (const [zone, z] of [...this.zones]) {
      if (!zoneToReady.has(zone)) {
        z.queue.stop();
        this.zones.delete(zone);
        continue;
      }
      if (z.state !== 'FullDisruption') { allWasFullyDisrupted = false; break; }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      this.d.logger.info('controller detected that all Nodes are not-Ready. Entering master disruption mode');
      for (const node of nodes) {
        const name = node.metadata!.name!;
        if (taintExists(node.spec?.taints, NOT_READY_NO_EXECUTE) || taintExists(node.spec?.taints, UNREACHABLE_NO_EXECUTE)) {
          await this.swapNow(name, undefined, NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE);
        }
      }
      for (const z of this.zones.values()) {
        z.queue.setRate(0);
        z.state = 'FullDisruption';
      }
      return;
    }
    if (allWasFullyDisrupted) {
      this.d.logger.info('controller detected that some Nodes are Ready. Exiting master disruption mode');
      // Whoever was silent while we were cut off gets a fresh grace period.
      const now = this.d.clock.now();
      for (const node of nodes) this.health.resetProbe(node.metadata!.name!, now);
      for (const [zone, z] of this.zones) {
        const state = newStates.get(zone) ?? 'Normal';
        this.setLimiterInZone(zone, zoneToReady.get(zone)?.length ?? 0, state);
        z.state = state;
      }
      return;
    }
    for (const [zone, z] of this.zones) {
      const state = newStates.get(zone) ?? 'Normal';
      if (z.state === state) continue;
      this.d.logger.info({ zone, state }, 'controller detected that zone is now in new state');
      this.setLimiterInZone(zone, zoneToReady.get(zone)?.length ?? 0, state);
      z.state = state;
    }
  }

  // ---- pods ----------------------------------------------------------------

  /** MarkPodsNotReady: the Ready condition of every pod on the node becomes False. True when all were written. */
  async markPodsNotReady(nodeName: string): Promise<boolean> {
    let ok = true;
    for (const cached of podsOnNode(this.d.pods, nodeName)) {
      const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const pod = structuredClone(cached) as Pod;
      const cond = pod.status!.conditions!.find((c) => c.type === 'Ready')!;
      cond.status = 'False';
      cond.lastTransitionTime = rfc3339(this.d.clock.now());
      try {
        await this.d.api.updatePodStatus(pod);
        this.d.recorder.event(cached, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (isNotFound(e)) continue;
        this.d.logger.info({ err: e, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, 'failed to mark pod not ready');
        ok = false;
      }
    }
    return ok;
  }

  stop(): void {
    this.stopped = true;
    for (const z of this.zones.values()) z.queue.stop();
  }
}

export function nodeLifecycleOptions(ctx: ControllerContext): NodeLifecycleOptions {
  const o = ctx.options ?? {};
  return {
    monitorPeriodMs: o.nodeMonitorPeriodMs ?? DEFAULTS.monitorPeriodMs,
    gracePeriodMs: o.nodeMonitorGracePeriodMs ?? DEFAULTS.gracePeriodMs,
    startupGracePeriodMs: o.nodeStartupGracePeriodMs ?? Math.max(DEFAULTS.startupGracePeriodMs, o.nodeMonitorGracePeriodMs ?? 0),
    evictionRate: o.nodeEvictionRate ?? DEFAULTS.evictionRate,
  };
}

/** The controller the manager runs as "nodelifecycle". */
export function nodeLifecycleController(): Controller {
  return {
    name: 'nodelifecycle',
    async run(ctx: ControllerContext): Promise<void> {
      const nodeInformer = ctx.informers.informerFor<Node>('v1', 'Node');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const leaseInformer = ctx.informers.informerFor<Lease>('coordination.k8s.io/v1', 'Lease');
      requestNodeNameIndex(podInformer);
      const options = nodeLifecycleOptions(ctx);
      const queue = new WorkQueue<string>({ name: 'nodelifecycle', clock: ctx.clock });
      const c = new NodeLifecycleController({
        nodes: nodeInformer.lister(), pods: podInformer.lister(), leases: leaseInformer.lister(), api: restNodeLifecycleApi(ctx.client),
        recorder: ctx.recorder('node-controller'), clock: ctx.clock, logger: ctx.logger, queue, options,
      });
      const handle = nodeInformer.on(c.nodeHandler());
      try {
        if (!(await waitForSync(ctx.signal, nodeInformer, podInformer, leaseInformer))) return;
        const monitor = (async () => {
          while (!ctx.signal.aborted) {
            await c.monitorNodeHealth();
            await sleep(ctx.clock, options.monitorPeriodMs, ctx.signal);
          }
        })();
        await runWorkers(queue, (name) => c.syncNode(name), { signal: ctx.signal, logger: ctx.logger, workers: 1 });
        await monitor;
      } finally {
        c.stop();
        handle.dispose();
        queue.shutDown();
      }
    },
  };
}
