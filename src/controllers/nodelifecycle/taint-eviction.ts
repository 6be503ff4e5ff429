// The taint eviction controller (upstream's NoExecuteTaintManager, the
// "taint-eviction-controller"): pods on a node with NoExecute taints they do
// not tolerate are deleted at once; pods that tolerate them for
// tolerationSeconds are deleted that long after the taint was seen, unless the
// taint goes away first. Pods tolerating forever stay.
//
// Work is scheduled per pod on the injected clock; a node or pod change
// re-evaluates the pod (cancelling or rescheduling its deletion).

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock, Disposable } from '../../base/clock.ts';
import { isNotFound, objectKey, splitKey, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { waitForSync } from '../worker.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { matchingTolerations, minTolerationMs, noExecuteTaints } from './taints.ts';
import { podsOnNode, requestNodeNameIndex } from './pods.ts';

const DELETE_RETRIES = 5;

export interface TaintEvictionApi {
  /** Adds the DisruptionTarget condition (reason DeletionByTaintManager). NotFound when the pod is gone. */
  markPodForDeletion(pod: Pod): Promise<void>;
  deletePod(namespace: string, name: string): Promise<void>;
}

export function restTaintEvictionApi(client: RestClient, clock: Clock): TaintEvictionApi {
  const pods = client.resource<Pod>('v1', 'Pod');
  return {
    async markPodForDeletion(pod) {
      const conds = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      const existing = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
      conds.push({
        type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint',
        lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : rfc3339(clock.now()),
      });
      await pods.namespace(pod.metadata!.namespace!).updateStatus({ ...structuredClone(pod), status: { ...pod.status, conditions: conds } });
    },
    deletePod: async (ns, name) => { await pods.namespace(ns).delete(name); },
  };
}

interface ScheduledEviction { createdAt: number; fireAt: number; timer: Disposable }

export interface TaintEvictionDeps {
  nodes: Lister<Node>;
  pods: Lister<Pod>;
  api: TaintEvictionApi;
  recorder: Pick<EventRecorder, 'event' | 'eventf'>;
  clock: Clock;
  logger: Logger;
}

export class TaintEvictionController {
  /** Pod key → its pending deletion (upstream's TimedWorkerQueue). */
  private readonly scheduled = new Map<string, ScheduledEviction>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly d: TaintEvictionDeps) {}

  /** Pod keys with a deletion pending, and when it fires. */
  pending(): Map<string, number> {
    return new Map([...this.scheduled].map(([k, v]) => [k, v.fireAt]));
  }

  nodeHandler(): ResourceEventHandler<Node> {
    return {
      add: (node) => this.nodeChanged(node),
      update: (old, cur) => {
        if (JSON.stringify(noExecuteTaints(old)) === JSON.stringify(noExecuteTaints(cur))) return;
        this.nodeChanged(cur);
      },
      // A node gone: nothing taints its pods any more (the pod GC deals with them).
      delete: (node) => { for (const p of podsOnNode(this.d.pods, node.metadata?.name ?? '')) this.cancel(objectKey(p), false); },
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => this.podChanged(pod),
      update: (_old, cur) => this.podChanged(cur),
      delete: (pod) => this.cancel(objectKey(pod), false),
    };
  }

  private nodeChanged(node: Node): void {
    const taints = noExecuteTaints(node);
    for (const pod of podsOnNode(this.d.pods, node.metadata?.name ?? '')) {
      if (taints.length === 0) this.cancel(objectKey(pod), true);
      else this.processPod(pod, node);
    }
  }

  private podChanged(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const node = this.d.nodes.get('', nodeName);
    if (!node) return;
    this.processPod(pod, node);
  }

  /** processPodOnNode: delete now, later, or never. */
  processPod(pod: Pod, node: Node): void {
    const key = objectKey(pod);
    // Already being deleted (by us or anyone): nothing left to do for it.
    if (pod.metadata?.deletionTimestamp) { this.cancel(key, false); return; }
    const taints = noExecuteTaints(node);
    if (taints.length === 0) { this.cancel(key, true); return; }
    const { allTolerated, used } = matchingTolerations(taints, pod.spec?.tolerations ?? []);
    const now = this.d.clock.now();
    if (!allTolerated) {
      this.d.logger.debug({ pod: key, node: node.metadata?.name }, 'not all taints are tolerated; deleting the pod');
      this.cancel(key, true);
      this.schedule(key, now, now);
      return;
    }
    const minMs = minTolerationMs(used);
    if (minMs < 0) { this.cancel(key, true); return; }
    let start = now;
    const existing = this.scheduled.get(key);
    if (existing) {
      // Keep counting from when the eviction was first scheduled; an earlier deadline stays.
      start = existing.createdAt;
      if (start + minMs >= existing.fireAt) return;
      this.cancel(key, true);
    }
    this.schedule(key, start, start + minMs);
  }

  private schedule(key: string, createdAt: number, fireAt: number): void {
    if (this.stopped || this.scheduled.has(key)) return;
    const timer = this.d.clock.setTimeout(() => {
      this.scheduled.delete(key);
      const p = this.evict(key).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, fireAt - this.d.clock.now());
    this.scheduled.set(key, { createdAt, fireAt, timer });
  }

  /** Cancels a pending deletion; with `event`, says so on the pod as upstream does. */
  private cancel(key: string, event: boolean): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    s.timer.dispose();
    this.scheduled.delete(key);
    if (!event) return;
    const pod = this.d.pods.get(...splitKey(key));
    if (pod) this.d.recorder.eventf(pod, 'Normal', 'TaintManagerEviction', 'Cancelling deletion of Pod %s', key);
  }

  private async evict(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.d.pods.get(ns, name);
    if (!pod) return;
    this.d.recorder.eventf(pod, 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod %s', key);
    for (let attempt = 0; attempt < DELETE_RETRIES && !this.stopped; attempt++) {
      try {
        const latest = this.d.pods.get(ns, name) ?? pod;
        await this.d.api.markPodForDeletion(latest).catch((e: unknown) => {
          // The condition is informative; a conflict must not stop the deletion.
          if (isNotFound(e)) throw e;
        });
        await this.d.api.deletePod(ns, name);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        this.d.logger.warn({ err: e, pod: key, attempt }, 'failed to delete pod for NoExecute taint');
        await new Promise<void>((r) => { this.d.clock.setTimeout(r, 10); });
      }
    }
  }

  /** Cancels every pending deletion and waits for deletions under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.scheduled.values()) s.timer.dispose();
    this.scheduled.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}

/** The controller the manager runs as "taint-eviction-controller". */
export function taintEvictionController(): Controller {
  return {
    name: 'taint-eviction-controller',
    async run(ctx: ControllerContext): Promise<void> {
      const nodeInformer = ctx.informers.informerFor<Node>('v1', 'Node');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      requestNodeNameIndex(podInformer);
      const c = new TaintEvictionController({
        nodes: nodeInformer.lister(), pods: podInformer.lister(), api: restTaintEvictionApi(ctx.client, ctx.clock),
        recorder: ctx.recorder('taint-eviction-controller'), clock: ctx.clock, logger: ctx.logger,
      });
      // Handlers only once both caches are full: a pod event must find its node.
      const handles: Disposable[] = [];
      try {
        if (!(await waitForSync(ctx.signal, nodeInformer, podInformer))) return;
        handles.push(nodeInformer.on(c.nodeHandler()), podInformer.on(c.podHandler()));
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        for (const h of handles) h.dispose();
        await c.stop();
      }
    },
  };
}
