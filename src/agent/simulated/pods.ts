// The pod side of every simulated node at once: one watch of all bound pods
// (a field selector cannot say "nodeName in {…}", so it asks for spec.nodeName!=""
// and keeps those on our nodes), a work queue, and workers that apply
// nextPodAction — status writes and final deletions — within the shared limit
// on requests in flight. The informer caches slim copies (slimPod), so
// 150,000 pods stay cheap.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock, Disposable } from '../../base/clock.ts';
import { isConflict, isNotFound, objectKey, ResourceInformer, splitKey, WorkQueue, type ResourceClient, type RestClient } from '../../client/index.ts';
import { LimitClosedError, type InflightLimit } from './inflight.ts';
import type { PodAddressPool } from './ipam.ts';
import { failsByRatio, nextPodAction, slimPod } from './pod-status.ts';

/** What the pod workers need to know of one simulated node. */
export interface SimNodeState {
  name: string;
  ip: string;
  pool: PodAddressPool;
}

export interface PodSimulatorOptions {
  client: RestClient;
  nodes: ReadonlyMap<string, SimNodeState>;
  limit: InflightLimit;
  clock: Clock;
  logger: Logger;
  workers: number;
  podStartDelayMs: number;
  podFailRatio: number;
}

export class PodSimulator {
  private readonly pods: ResourceClient<Pod>;
  private readonly informer: ResourceInformer<Pod>;
  private readonly queue: WorkQueue<string>;
  private readonly abort = new AbortController();
  /** When each pod was first seen bound to one of our nodes (the start delay counts from it). */
  private readonly firstSeen = new Map<string, number>();
  private handle?: Disposable;
  private running: Promise<void>[] = [];
  readonly stats = { statusWrites: 0, deletes: 0, errors: 0 };

  constructor(private readonly opts: PodSimulatorOptions) {
    this.pods = opts.client.resource<Pod>('v1', 'Pod');
    this.queue = new WorkQueue<string>({ name: 'simulated-pods', clock: opts.clock });
    this.informer = new ResourceInformer<Pod>(this.pods, {
      fieldSelector: 'spec.nodeName!=', transform: slimPod, freeze: false, clock: opts.clock, name: 'simulated-pods', pageSize: 1000,
    });
  }

  async start(): Promise<void> {
    this.handle = this.informer.on({
      add: (p) => this.observe(p),
      update: (_old, p) => this.observe(p),
      delete: (p) => this.forget(p),
    });
    this.informer.start(this.abort.signal);
    await this.informer.waitForSync(this.abort.signal);
    for (let i = 0; i < this.opts.workers; i++) this.running.push(this.work());
  }

  /** Pods bound to our nodes in the cache. */
  count(): number {
    let n = 0;
    for (const p of this.informer.lister().list()) if (this.opts.nodes.has(p.spec?.nodeName ?? '')) n++;
    return n;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    this.handle?.dispose();
    await Promise.allSettled(this.running);
    await this.informer.stop();
  }

  private observe(pod: Pod): void {
    const node = this.opts.nodes.get(pod.spec?.nodeName ?? '');
    if (!node) return;
    const key = objectKey(pod);
    if (!this.firstSeen.has(key)) {
      this.firstSeen.set(key, this.opts.clock.now());
      // After an agent restart pods keep the addresses they were given.
      if (pod.status?.podIP && !pod.spec?.hostNetwork) node.pool.adopt(key, pod.status.podIP);
    }
    this.queue.add(key);
  }

  private forget(pod: Pod): void {
    const key = objectKey(pod);
    this.firstSeen.delete(key);
    this.opts.nodes.get(pod.spec?.nodeName ?? '')?.pool.release(key);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key);
        this.queue.forget(key);
      } catch (e) {
        if (this.abort.signal.aborted || e instanceof LimitClosedError) return;
        this.stats.errors++;
        if (!isConflict(e)) this.opts.logger.warn({ err: e, pod: key }, 'simulated pod update failed; retrying');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.informer.lister().get(ns, name);
    const node = pod && this.opts.nodes.get(pod.spec?.nodeName ?? '');
    if (!pod || !node) return;
    const now = this.opts.clock.now();
    const hostNetwork = pod.spec?.hostNetwork === true;
    const action = nextPodAction(pod, {
      now,
      hostIP: node.ip,
      podIP: hostNetwork || pod.status?.podIP ? '' : node.pool.allocate(key),
      startAt: (this.firstSeen.get(key) ?? now) + this.opts.podStartDelayMs,
      fail: failsByRatio(pod.metadata?.uid ?? key, this.opts.podFailRatio),
    });
    const client = this.pods.namespace(ns);
    if (action.kind === 'delete') {
      // The kubelet's last word once containers are gone: delete with no grace, only this very pod (uid).
      await this.opts.limit.run(() => client.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } })).catch((e: unknown) => {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      });
      this.stats.deletes++;
      return;
    }
    if (action.kind === 'status') {
      const status = action.status;
      await this.opts.limit.run(() => client.patch(name, 'merge', { status }, { subresource: 'status' })).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      this.stats.statusWrites++;
    }
    if (action.requeueAfterMs !== undefined) this.queue.addAfter(key, action.requeueAfterMs);
  }
}
