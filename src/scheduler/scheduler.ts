// The scheduler: informers feed the cache (nodes, bound pods) and the queue
// (pending pods of this profile's schedulerName); one loop pops a pod, runs a
// synchronous scheduling cycle over the snapshot, assumes the pod onto the
// chosen node and starts its binding in the background, then goes on with the
// next pod while the POST pods/binding is in flight. Failures record upstream's
// FailedScheduling event and PodScheduled=False condition, and may preempt.

import { setMaxListeners } from 'node:events';
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../base/clock.ts';
import { ApiError } from '../base/errors.ts';
import type { EventRecorder, Informer, RestClient, SharedInformerFactory } from '../client/index.ts';
import { isNotFound } from '../client/index.ts';
import { SchedulerCache } from './cache.ts';
import { Framework, fitErrorMessage, type Profile } from './framework.ts';
import { podKey, termMatches } from './podinfo.ts';
import { preempt, type Candidate } from './preemption.ts';
import { defaultProfile } from './profile.ts';
import { observeAttempt, preemptionAttempts } from './metrics.ts';
import { SchedulingQueue, type QueuedPodInfo } from './queue.ts';
import { Snapshot } from './snapshot.ts';
import type { ClusterEvent, PodInfo } from './types.ts';

/** What the scheduler needs from its host (the controller-manager-style runner in server.ts gives exactly this). */
export interface SchedulerContext {
  client: RestClient;
  informers: SharedInformerFactory;
  recorder(component: string): EventRecorder;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}

export interface SchedulerOptions {
  profile?: Profile;
  random?: () => number;
  /** Bindings in flight at once; the loop waits for a slot beyond this. Default 128. */
  maxInFlightBindings?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Keep-alive connections to open once caches are synced (default 0). A busy API
   * server is slow to accept new connections, so bindings should find them open.
   */
  warmConnections?: number;
}

export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';
/** The pseudo-plugin that parks gated pods: only an update of the pod itself releases them. */
const SCHEDULING_GATES = 'SchedulingGates';
const RECORDERS = 4;

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly snapshot = new Snapshot();
  readonly framework: Framework;
  readonly queue: SchedulingQueue;
  private readonly profile: Profile;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly namespaces: Informer<Namespace>;
  private readonly pvcs: Informer<PersistentVolumeClaim>;
  private readonly pvs: Informer<PersistentVolume>;
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly recorders: EventRecorder[];
  private readonly inFlightBindings = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  /** Counters for tests and the benchmark. */
  readonly stats = { attempts: 0, scheduled: 0, unschedulable: 0, bindErrors: 0, bindConflicts: 0, preemptions: 0 };

  constructor(private readonly ctx: SchedulerContext, private readonly opts: SchedulerOptions = {}) {
    this.profile = opts.profile ?? defaultProfile();
    this.framework = new Framework(this.profile, opts.random);
    this.queue = new SchedulingQueue({
      clock: ctx.clock, pluginEvents: this.framework.pluginEvents,
      initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs,
    });
    this.maxInFlight = opts.maxInFlightBindings ?? 128;
    // Every request in flight listens on the term's signal.
    setMaxListeners(0, ctx.signal);
    this.recorders = Array.from({ length: RECORDERS }, () => ctx.recorder(this.profile.schedulerName));
    // Objects are only read, never changed: skip deep-freezing 100k pods.
    const f = ctx.informers;
    this.pods = f.informerFor<Pod>('v1', 'Pod', { freeze: false });
    this.nodes = f.informerFor<Node>('v1', 'Node', { freeze: false });
    this.namespaces = f.informerFor<Namespace>('v1', 'Namespace');
    this.pvcs = f.informerFor<PersistentVolumeClaim>('v1', 'PersistentVolumeClaim');
    this.pvs = f.informerFor<PersistentVolume>('v1', 'PersistentVolume');
    this.pdbs = f.informerFor<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget');
    this.snapshot.namespaceLabels = (ns) => this.namespaces.lister().get(undefined, ns)?.metadata?.labels;
    this.snapshot.pvc = (ns, name) => this.pvcs.lister().get(ns, name);
    this.snapshot.pv = (name) => this.pvs.lister().get(undefined, name);
    this.registerHandlers();
  }

  private responsibleFor(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? 'default-scheduler') === this.profile.schedulerName;
  }

  private registerHandlers(): void {
    this.pods.on({
      add: (pod) => this.onPod(undefined, pod),
      update: (old, pod) => this.onPod(old, pod),
      delete: (pod) => {
        const key = podKey(pod);
        const wasInCache = this.cache.podNode(key) !== undefined;
        this.cache.removePod(pod);
        this.queue.delete(pod);
        if (wasInCache) this.queue.moveOnEvent('AssignedPodDelete');
      },
    });
    this.nodes.on({
      add: (node) => { this.cache.addNode(node); this.queue.moveOnEvent('NodeAdd'); },
      update: (old, node) => {
        this.cache.updateNode(node);
        for (const ev of nodeChanges(old, node)) this.queue.moveOnEvent(ev);
      },
      delete: (node) => this.cache.removeNode(node),
    });
    this.namespaces.on({
      add: () => this.queue.moveOnEvent('NamespaceChange'),
      update: (old, ns) => { if (!sameMap(old.metadata?.labels, ns.metadata?.labels)) this.queue.moveOnEvent('NamespaceChange'); },
    });
    const pvEvent = (ev: ClusterEvent): { add: () => void; update: () => void } => ({ add: () => this.queue.moveOnEvent(ev), update: () => this.queue.moveOnEvent(ev) });
    this.pvcs.on(pvEvent('PersistentVolumeClaimChange'));
    this.pvs.on(pvEvent('PersistentVolumeChange'));
  }

  private onPod(old: Pod | undefined, pod: Pod): void {
    const key = podKey(pod);
    // Finished pods hold nothing on their node (upstream's informer leaves them out).
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      const wasInCache = this.cache.podNode(key) !== undefined;
      this.cache.removePod(pod);
      this.queue.delete(pod);
      if (wasInCache) this.queue.moveOnEvent('AssignedPodDelete');
      return;
    }
    if (pod.spec?.nodeName) {
      const wasPending = old !== undefined && !old.spec?.nodeName;
      const labelsChanged = old !== undefined && !sameMap(old.metadata?.labels, pod.metadata?.labels);
      const firstSeen = this.cache.podNode(key) === undefined || this.cache.isAssumed(key);
      this.cache.addPod(pod);
      if (wasPending || old === undefined) this.queue.delete(pod);
      if (firstSeen || wasPending) {
        const info = this.cache.nodeInfo(pod.spec.nodeName)?.pods.get(key);
        if (info) this.queue.moveOnEvent('AssignedPodAdd', (q) => mayAffinityMatch(q.podInfo, info, this.snapshot.namespaceLabels));
      } else if (labelsChanged) this.queue.moveOnEvent('AssignedPodUpdate');
      return;
    }
    // A pending pod: ours to schedule unless another scheduler owns it.
    if (this.cache.isAssumed(key)) return; // binding in flight: the update is stale
    if (!this.responsibleFor(pod)) {
      if (old && this.responsibleFor(old)) this.queue.delete(pod);
      return;
    }
    if (old) this.queue.update(old, pod);
    else this.queue.add(pod);
  }

  /** Waits for the caches, then schedules until the signal aborts; waits for bindings in flight before returning. */
  async run(): Promise<void> {
    const { signal, logger } = this.ctx;
    const onAbort = (): void => this.queue.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all([this.pods, this.nodes, this.namespaces, this.pvcs, this.pvs, this.pdbs].map((i) => i.waitForSync(signal)));
    } catch {
      return; // aborted before sync
    }
    logger.info({ profile: this.profile.schedulerName, nodes: this.cache.nodeCount() }, 'scheduler caches synced; scheduling');
    await this.warmUp(this.opts.warmConnections ?? 0);
    let n = 0;
    while (!signal.aborted) {
      const q = await this.queue.pop(signal);
      if (!q) break;
      try {
        this.scheduleOne(q);
      } catch (err) {
        logger.error({ err, pod: q.podInfo.key }, 'scheduling cycle failed');
        this.queue.addUnschedulable({ ...q, unschedulablePlugins: new Set() }, this.queue.currentCycle());
      }
      while (this.inFlightBindings.size >= this.maxInFlight) await Promise.race(this.inFlightBindings);
      // Let informer events and binding replies in between cycles.
      if (++n % 32 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled([...this.inFlightBindings]);
  }

  private async warmUp(n: number): Promise<void> {
    const ns = this.ctx.client.resource('v1', 'Namespace');
    await Promise.all(Array.from({ length: n }, () => ns.get('default', { signal: this.ctx.signal }).catch(() => undefined)));
  }

  /** One pod: a synchronous cycle, then background I/O (binding, or status + event + preemption). */
  scheduleOne(q: QueuedPodInfo): void {
    const info = q.podInfo;
    const pod = info.pod;
    const key = info.key;
    if (pod.metadata?.deletionTimestamp || this.cache.podNode(key) !== undefined) {
      this.queue.done(key);
      return;
    }
    if (pod.spec?.schedulingGates?.length) {
      // SchedulingGates (PreEnqueue upstream): parked until an update removes the gates.
      q.unschedulablePlugins = new Set([SCHEDULING_GATES]);
      this.queue.addUnschedulable(q, this.queue.currentCycle());
      this.track(this.recordGated(pod));
      return;
    }
    this.stats.attempts++;
    const started = performance.now();
    const cycle = this.queue.currentCycle();
    this.cache.updateSnapshot(this.snapshot);
    const nominated = (node: string): readonly PodInfo[] => this.queue.nominatedPodsFor(node);
    const r = this.framework.schedule(info, this.snapshot, nominated);
    if (r.ok) {
      this.cache.assumePod(info, r.node);
      this.queue.deleteNominated(key);
      this.queue.done(key);
      this.track(this.bind(q, r.node, cycle, started));
      return;
    }
    this.stats.unschedulable++;
    let message: string;
    let candidate: Candidate | undefined;
    if (r.numAllNodes === 0) message = NO_NODES_MESSAGE;
    else {
      const pr = preempt(this.framework, r.state, info, r.diagnosis, this.snapshot, this.pdbs.lister().list(), nominated);
      preemptionAttempts.inc();
      if (pr.ok) {
        candidate = pr.candidate;
        // Lower-priority pods nominated to that node may no longer fit there: they lose the nomination.
        const displaced = this.queue.nominatedPodsFor(candidate.node).filter((n) => n.priority < info.priority && n.key !== key);
        for (const d of displaced) this.queue.deleteNominated(d.key);
        this.queue.addNominated(info, candidate.node);
        this.stats.preemptions++;
        if (displaced.length) this.track(this.clearNominations(displaced.map((d) => d.pod)));
      }
      message = fitErrorMessage(r.numAllNodes, r.diagnosis, pr.ok ? undefined : pr.message);
    }
    q.unschedulablePlugins = r.numAllNodes === 0 ? new Set() : r.diagnosis.unschedulablePlugins;
    this.queue.addUnschedulable(q, cycle);
    observeAttempt('unschedulable', this.profile.schedulerName, started);
    this.track(this.recordFailure(pod, r.numAllNodes === 0 ? 'SchedulerError' : 'Unschedulable', message, candidate));
  }

  private track(p: Promise<void>): void {
    const t = p.catch((err: unknown) => { this.ctx.logger.warn({ err }, 'scheduler background work failed'); }).finally(() => this.inFlightBindings.delete(t));
    this.inFlightBindings.add(t);
  }

  private recorderFor(key: string): EventRecorder {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    return this.recorders[Math.abs(h) % this.recorders.length];
  }

  private async bind(q: QueuedPodInfo, node: string, cycle: number, started: number): Promise<void> {
    const { pod, key } = q.podInfo;
    const ns = pod.metadata!.namespace!, name = pod.metadata!.name!;
    try {
      await this.ctx.client.resource('v1', 'Pod').namespace(ns).createSubresource(name, 'binding', {
        apiVersion: 'v1', kind: 'Binding',
        metadata: { name, namespace: ns, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      }, { signal: this.ctx.signal });
      this.cache.finishBinding(key);
      this.stats.scheduled++;
      observeAttempt('scheduled', this.profile.schedulerName, started);
      this.recorderFor(key).event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
    } catch (err) {
      this.cache.forgetPod(key);
      // 409: already bound (by us before a restart, or by someone else) or being
      // deleted; 404: gone. Either way the informer brings the truth: done.
      if (err instanceof ApiError && (err.code === 409 || err.code === 404)) {
        this.stats.bindConflicts++;
        return;
      }
      if (this.ctx.signal.aborted) return;
      this.stats.bindErrors++;
      observeAttempt('error', this.profile.schedulerName, started);
      this.ctx.logger.warn({ err, pod: key, node }, 'binding failed; retrying after backoff');
      const current = this.pods.lister().get(ns, name);
      if (!current || current.spec?.nodeName) return;
      this.recorderFor(key).event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${(err as Error).message}`);
      this.queue.addUnschedulable({ ...q, unschedulablePlugins: new Set() }, cycle);
    }
  }

  /**
   * PodScheduled=False (when it changed; reason Unschedulable, or SchedulerError when there are
   * no nodes at all, as upstream), nominatedNodeName, the event; then the victims.
   */
  private async recordFailure(pod: Pod, reason: 'Unschedulable' | 'SchedulerError', message: string, candidate?: Candidate): Promise<void> {
    const ns = pod.metadata!.namespace!, name = pod.metadata!.name!;
    const current = this.pods.lister().get(ns, name);
    if (!current || current.spec?.nodeName) return;
    const key = podKey(pod);
    this.recorderFor(key).event(current, 'Warning', 'FailedScheduling', message);
    const cond = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const status: { conditions?: PodCondition[]; nominatedNodeName?: string } = {};
    if (!cond || cond.status !== 'False' || cond.reason !== reason || cond.message !== message) {
      status.conditions = [{
        type: 'PodScheduled', status: 'False', reason, message,
        lastProbeTime: null as unknown as string,
        lastTransitionTime: cond?.status === 'False' && cond.lastTransitionTime ? cond.lastTransitionTime : rfc3339(this.ctx.clock.now()),
      }];
    }
    if (candidate && current.status?.nominatedNodeName !== candidate.node) status.nominatedNodeName = candidate.node;
    const pods = this.ctx.client.resource<Pod>('v1', 'Pod').namespace(ns);
    if (status.conditions || status.nominatedNodeName) {
      try {
        await pods.patch(name, 'strategic', { status }, { subresource: 'status', signal: this.ctx.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return;
      }
    }
    if (candidate) await this.evict(current, candidate);
  }

  private async clearNominations(pods: Pod[]): Promise<void> {
    await Promise.all(pods.map(async (p) => {
      try {
        await this.ctx.client.resource<Pod>('v1', 'Pod').namespace(p.metadata!.namespace!)
          .patch(p.metadata!.name!, 'merge', { status: { nominatedNodeName: null } }, { subresource: 'status', signal: this.ctx.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }));
  }

  /** PodScheduled=False/SchedulingGated, as upstream (no event). */
  private async recordGated(pod: Pod): Promise<void> {
    const ns = pod.metadata!.namespace!, name = pod.metadata!.name!;
    const current = this.pods.lister().get(ns, name);
    const cond = current?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (!current || current.spec?.nodeName || cond?.reason === 'SchedulingGated') return;
    try {
      await this.ctx.client.resource<Pod>('v1', 'Pod').namespace(ns).patch(name, 'strategic', {
        status: {
          conditions: [{
            type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates',
            lastProbeTime: null as unknown as string, lastTransitionTime: rfc3339(this.ctx.clock.now()),
          }],
        },
      }, { subresource: 'status', signal: this.ctx.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletes the victims (DisruptionTarget condition first, and a Preempted event, as upstream). */
  private async evict(preemptor: Pod, c: Candidate): Promise<void> {
    const now = rfc3339(this.ctx.clock.now());
    await Promise.all(c.victims.map(async (v) => {
      const ns = v.pod.metadata!.namespace!, name = v.pod.metadata!.name!;
      const pods = this.ctx.client.resource<Pod>('v1', 'Pod').namespace(ns);
      try {
        await pods.patch(name, 'strategic', {
          status: {
            conditions: [{
              type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler',
              message: `${this.profile.schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: now,
            }],
          },
        }, { subresource: 'status', signal: this.ctx.signal });
        await pods.delete(name, { signal: this.ctx.signal, preconditions: v.pod.metadata?.uid ? { uid: v.pod.metadata.uid } : undefined });
        this.recorderFor(v.key).event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${c.node}`);
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof ApiError && err.code === 409)) throw err;
      }
    }));
  }
}

/** Runs the scheduler until ctx.signal aborts. Requests its informers synchronously (before any await). */
export function runScheduler(ctx: SchedulerContext, opts: SchedulerOptions = {}): Promise<void> {
  return new Scheduler(ctx, opts).run();
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}), kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

/** The scheduling-relevant ways a node changed (status heartbeats alone move nothing). */
export function nodeChanges(old: Node, node: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  if (!sameMap(old.metadata?.labels, node.metadata?.labels)) out.push('NodeLabelChange');
  if (JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(node.spec?.taints ?? [])) out.push('NodeTaintChange');
  if (!sameMap(old.status?.allocatable as Record<string, string>, node.status?.allocatable as Record<string, string>)) out.push('NodeAllocatableChange');
  if (!!old.spec?.unschedulable !== !!node.spec?.unschedulable) out.push('NodeSpecUnschedulableChange');
  return out;
}

/** Whether a newly placed pod could satisfy a waiting pod's affinity or spread (else it cannot help it). */
function mayAffinityMatch(waiting: PodInfo, added: PodInfo, nsLabels: (ns: string) => Record<string, string> | undefined): boolean {
  if (waiting.pod.spec?.topologySpreadConstraints?.length) return true;
  return waiting.requiredAffinity.some((t) => termMatches(t, added.pod, nsLabels));
}
