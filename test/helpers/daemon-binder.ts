// A stand-in scheduler + kubelet for DaemonSet tests, until the real ones
// run in the test cluster: it watches pods, binds each unbound pod to the
// node its required node affinity pins it to (the `metadata.name In [node]`
// matchFields term the DaemonSet controller writes) through pods/binding —
// only if that Node exists, as a scheduler would — and then writes the
// status a kubelet would (Running, Ready per policy). Pods being deleted are
// removed for good, as a kubelet does once they have stopped.

import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Disposable } from '../../src/base/clock.ts';
import {
  isConflict, isNotFound, objectKey, ResourceInformer, splitKey, WorkQueue, type ResourceClient, type RestClient,
} from '../../src/client/index.ts';

export interface DaemonBinderOptions {
  /** Namespace watched (default "default"). */
  namespace?: string;
  /** Only pods matching this label selector (default: all). */
  selector?: string;
  /** Whether a running pod is Ready (default: all). Re-evaluated on every change and on poke(). */
  ready?: (pod: Pod) => boolean;
  /** Pods for which the "kubelet" reports phase Failed instead of Running. */
  fail?: (pod: Pod) => boolean;
  /** How long a bound pod takes to start. Default 0. */
  startDelayMs?: number;
}

/** The node a pod's required node affinity pins it to, if exactly one (util.GetTargetNodeName for unbound pods). */
export function pinnedNode(pod: Pod): string | undefined {
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

export class DaemonBinder {
  private readonly informer: ResourceInformer<Pod>;
  private readonly queue = new WorkQueue<string>({ name: 'daemon-binder' });
  private readonly abort = new AbortController();
  private readonly pods: ResourceClient<Pod>;
  private readonly nodes: ResourceClient<Node>;
  private readonly firstBound = new Map<string, number>();
  private handle?: Disposable;
  private workers: Promise<void>[] = [];
  ready: (pod: Pod) => boolean;
  fail: (pod: Pod) => boolean;
  /** Bindings made, as "pod→node", for assertions. */
  readonly bindings: string[] = [];

  constructor(client: RestClient, private readonly opts: DaemonBinderOptions = {}) {
    this.pods = client.resource<Pod>('v1', 'Pod').namespace(opts.namespace ?? 'default');
    this.nodes = client.resource<Node>('v1', 'Node');
    this.informer = new ResourceInformer<Pod>(this.pods, { labelSelector: opts.selector, name: 'daemon-binder-pods' });
    this.ready = opts.ready ?? (() => true);
    this.fail = opts.fail ?? (() => false);
  }

  async start(): Promise<this> {
    this.handle = this.informer.on({
      add: (p) => this.queue.add(objectKey(p)),
      update: (_o, p) => this.queue.add(objectKey(p)),
    });
    this.informer.start(this.abort.signal);
    await this.informer.waitForSync(this.abort.signal);
    for (let i = 0; i < 8; i++) this.workers.push(this.work());
    return this;
  }

  /** Look at every pod again (after changing `ready`, or when a node appeared). */
  poke(): void {
    for (const key of this.informer.lister().keys()) this.queue.add(key);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    this.handle?.dispose();
    await Promise.allSettled(this.workers);
    await this.informer.stop();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.handle1(key);
        this.queue.forget(key);
      } catch (e) {
        if (!this.abort.signal.aborted && !isConflict(e) && !isNotFound(e)) process.stderr.write(`daemon-binder: ${key}: ${(e as Error).message}\n`);
        if (!this.abort.signal.aborted) this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async handle1(key: string): Promise<void> {
    const pod = this.informer.lister().get(...splitKey(key));
    if (!pod) { this.firstBound.delete(key); return; }
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      try {
        await this.pods.delete(name, { gracePeriodSeconds: 0 });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (!pod.spec?.nodeName) {
      const node = pinnedNode(pod);
      if (!node) return; // not a pod this binder places
      try {
        await this.nodes.get(node);
      } catch (e) {
        if (isNotFound(e)) { this.queue.addAfter(key, 500); return; } // no such node (yet): stays Pending
        throw e;
      }
      try {
        await this.pods.createSubresource(name, 'binding', {
          apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node },
        });
        this.bindings.push(`${name}→${node}`);
      } catch (e) {
        if (!isConflict(e)) throw e; // bound meanwhile (e.g. by a real scheduler)
      }
      return; // the update event brings it back
    }
    const delay = this.opts.startDelayMs ?? 0;
    if (delay > 0) {
      const seen = this.firstBound.get(key) ?? Date.now();
      this.firstBound.set(key, seen);
      const wait = seen + delay - Date.now();
      if (wait > 0) { this.queue.addAfter(key, wait); return; }
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (this.fail(pod)) {
      await this.pods.patch(name, 'merge', { status: { phase: 'Failed', reason: 'Rejected', message: 'the test rejected this pod' } }, { subresource: 'status' });
      return;
    }
    const ready = this.ready(pod);
    const isReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === (ready ? 'True' : 'False'));
    if (phase === 'Running' && isReady) return;
    const keep = (type: string, status: string): PodCondition => {
      const cur = pod.status?.conditions?.find((c) => c.type === type);
      return { type, status, lastTransitionTime: cur?.status === status ? cur.lastTransitionTime : now };
    };
    await this.pods.patch(name, 'merge', {
      status: {
        phase: 'Running',
        conditions: [keep('Initialized', 'True'), keep('Ready', ready ? 'True' : 'False'), keep('ContainersReady', ready ? 'True' : 'False'), keep('PodScheduled', 'True')],
        startTime: pod.status?.startTime ?? now,
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name, image: c.image, imageID: `fake://${c.image}`, containerID: `fake://${name}/${c.name}`,
          ready, started: true, restartCount: 0, state: { running: { startedAt: now } },
        })),
      },
    }, { subresource: 'status' });
  }
}
