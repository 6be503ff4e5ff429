// A stand-in kubelet for controller tests, until real nodes run pods: it
// watches pods matching a selector, binds them to a node (pods/binding), and
// writes the status a kubelet would once containers run (phase Running, the
// Ready/ContainersReady/Initialized/PodScheduled conditions, container
// statuses, IPs). Pods with a deletionTimestamp are deleted for good, as the
// kubelet does when graceful termination is over.
//
// Readiness is a policy (`ready(pod)`), so a test can keep pods unready to
// stall a rollout; `readyDelayMs` makes pods take a while to start.

import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { realClock, type Disposable } from '../../src/base/clock.ts';
import {
  EventRecorder, isConflict, isNotFound, ResourceInformer, SharedInformerFactory, WorkQueue, objectKey, splitKey, type RestClient,
} from '../../src/client/index.ts';
import type { Controller, ControllerContext } from '../../src/controllers/types.ts';

export interface FakeKubeletOptions {
  /** Namespace watched (default "default"). */
  namespace?: string;
  /** Only pods matching this label selector (default: all). */
  selector?: string;
  /** Node the pods are bound to; `null`: leave them unscheduled (deletes are then immediate). Default "fake-node". */
  nodeName?: string | null;
  /** Whether a pod becomes Ready (default: every pod). Re-evaluated when the pod changes or on poke(). */
  ready?: (pod: Pod) => boolean;
  /** How long a pod takes from first seen to Running. Default 0. */
  readyDelayMs?: number;
  /** Pods handled at once. Default 16. */
  workers?: number;
}

export class FakeKubelet {
  private readonly informer: ResourceInformer<Pod>;
  private readonly queue = new WorkQueue<string>({ name: 'fake-kubelet' });
  private readonly abort = new AbortController();
  private readonly pods;
  private readonly firstSeen = new Map<string, number>();
  private handle?: Disposable;
  private workers: Promise<void>[] = [];
  ready: (pod: Pod) => boolean;
  /** Counters, for figures in test output. */
  readonly stats = { statusWrites: 0, deleted: 0 };

  constructor(private readonly client: RestClient, private readonly opts: FakeKubeletOptions = {}) {
    this.pods = client.resource<Pod>('v1', 'Pod').namespace(opts.namespace ?? 'default');
    this.informer = new ResourceInformer<Pod>(this.pods, { labelSelector: opts.selector, name: 'fake-kubelet-pods' });
    this.ready = opts.ready ?? (() => true);
  }

  async start(): Promise<this> {
    this.handle = this.informer.on({
      add: (p) => this.queue.add(objectKey(p)),
      update: (_o, p) => this.queue.add(objectKey(p)),
    });
    this.informer.start(this.abort.signal);
    await this.informer.waitForSync(this.abort.signal);
    for (let i = 0; i < (this.opts.workers ?? 16); i++) this.workers.push(this.work());
    return this;
  }

  /** Look at every pod again (e.g. after changing `ready`). */
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
        if (!this.abort.signal.aborted && !isConflict(e) && !isNotFound(e)) {
          process.stderr.write(`fake-kubelet: ${key}: ${(e as Error).message}\n`);
        }
        if (!this.abort.signal.aborted) this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async handle1(key: string): Promise<void> {
    const pod = this.informer.lister().get(...splitKey(key));
    if (!pod) { this.firstSeen.delete(key); return; }
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      try {
        await this.pods.delete(name, { gracePeriodSeconds: 0 });
        this.stats.deleted++;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const nodeName = this.opts.nodeName === undefined ? 'fake-node' : this.opts.nodeName;
    if (nodeName && !pod.spec?.nodeName) {
      await this.pods.createSubresource(name, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
      return; // the update event brings it back
    }
    const delay = this.opts.readyDelayMs ?? 0;
    if (delay > 0) {
      const seen = this.firstSeen.get(key) ?? Date.now();
      this.firstSeen.set(key, seen);
      const wait = seen + delay - Date.now();
      if (wait > 0) { this.queue.addAfter(key, wait); return; }
    }
    const ready = this.ready(pod);
    const isReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === (ready ? 'True' : 'False'));
    if (phase === 'Running' && isReady) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const keep = (type: string, status: string): PodCondition => {
      const cur = pod.status?.conditions?.find((c) => c.type === type);
      return { type, status, lastProbeTime: null as unknown as undefined, lastTransitionTime: cur?.status === status ? cur.lastTransitionTime : now };
    };
    const n = this.stats.statusWrites++;
    await this.pods.patch(name, 'merge', {
      status: {
        phase: 'Running',
        conditions: [
          keep('PodReadyToStartContainers', 'True'), keep('Initialized', 'True'), keep('Ready', ready ? 'True' : 'False'),
          keep('ContainersReady', ready ? 'True' : 'False'), keep('PodScheduled', 'True'),
        ],
        hostIP: '10.0.0.1', hostIPs: [{ ip: '10.0.0.1' }],
        podIP: pod.status?.podIP ?? `10.42.${(n >> 8) & 255}.${n & 255}`,
        startTime: pod.status?.startTime ?? now,
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name, image: c.image, imageID: `fake://${c.image}`, containerID: `fake://${name}/${c.name}`,
          ready, started: true, restartCount: 0, state: { running: { startedAt: now } },
        })),
      },
    }, { subresource: 'status' });
  }
}

export interface RunningControllers {
  ctx: ControllerContext;
  /** Aborts the controllers, waits for them to return, stops the informers and flushes events. */
  stop(): Promise<void>;
}

/**
 * Runs `controllers` against `client` the way the controller manager does
 * (one shared informer factory, started after every controller registered),
 * without leader election. For tests that exercise controllers directly.
 */
export function runControllers(client: RestClient, controllers: Controller[], opts: { logLevel?: string } = {}): RunningControllers {
  const abort = new AbortController();
  const informers = new SharedInformerFactory(client);
  const recorders: EventRecorder[] = [];
  const logger = pino({ level: opts.logLevel ?? process.env.PILOT_TEST_LOG ?? 'silent' });
  const ctx: ControllerContext = {
    client, informers, clock: realClock, logger, signal: abort.signal,
    recorder: (component) => {
      const r = new EventRecorder(client, { component, logger });
      recorders.push(r);
      return r;
    },
  };
  const runs = controllers.map((c) => c.run({ ...ctx, logger: logger.child({ controller: c.name }) }));
  queueMicrotask(() => informers.start(abort.signal));
  return {
    ctx,
    async stop() {
      abort.abort();
      await Promise.allSettled(runs);
      await informers.stop();
      for (const r of recorders) await r.flush();
    },
  };
}
