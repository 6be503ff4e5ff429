// The scheduling queue (upstream's PriorityQueue):
//  - activeQ: pods to try now, highest priority first, then oldest first;
//  - backoffQ: pods that failed, waiting out a per-pod exponential backoff
//    (1 s doubling to 10 s by attempts), then moved to activeQ;
//  - unschedulable: pods no node fits; they stay until a cluster event that
//    could help one of the plugins that rejected them (a node added, a pod
//    deleted…) moves them out — no polling — with upstream's safety net of
//    flushing any pod left there for 5 minutes.
// A move request that arrives while a pod is being scheduled is remembered
// (moveRequestCycle), so a pod failing on stale data goes to backoff, not to
// the unschedulable set where it could wait forever.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock, type Disposable } from '../base/clock.ts';
import { KeyedHeap } from './heap.ts';
import { buildPodInfo, podKey } from './podinfo.ts';
import type { ClusterEvent, PodInfo } from './types.ts';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod entered the queue it is in (or last failed). */
  timestamp: number;
  /** When the pod was first added; for latency metrics. */
  initialTimestamp: number;
  attempts: number;
  /** Plugins that rejected it in its last attempt; empty = an error (always retried after backoff). */
  unschedulablePlugins: Set<string>;
}

export interface SchedulingQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest stay in the unschedulable set without a helpful event. Default 5 min. */
  maxUnschedulableMs?: number;
  /** Plugin name → events that may help pods it rejected. */
  pluginEvents?: ReadonlyMap<string, readonly ClusterEvent[]>;
}

const keyOf = (q: QueuedPodInfo): string => q.podInfo.key;
/** Shared empty answer: asked once per node per cycle, it must not allocate. */
const NONE: readonly PodInfo[] = Object.freeze([]);

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly eventPlugins = new Map<ClusterEvent, string[]>();
  private readonly active = new KeyedHeap<QueuedPodInfo>(keyOf, (a, b) =>
    a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp < b.timestamp);
  private readonly backoff = new KeyedHeap<QueuedPodInfo>(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** plugin → keys of unschedulable pods it rejected (so an event touches only pods it may help). */
  private readonly byPlugin = new Map<string, Set<string>>();
  /** Pods popped and not yet done: their latest object, or null once deleted. */
  private readonly inFlight = new Map<string, Pod | null>();
  private readonly waiters: (() => void)[] = [];
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private backoffTimer?: Disposable;
  private backoffTimerAt = Infinity;
  private flushTimer?: Disposable;
  private closed = false;
  /** nodeName → pods nominated to it by preemption. */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    for (const [plugin, events] of opts.pluginEvents ?? []) {
      for (const ev of events) {
        let l = this.eventPlugins.get(ev);
        if (!l) this.eventPlugins.set(ev, l = []);
        l.push(plugin);
      }
    }
    this.scheduleLeftoverFlush();
  }

  // ---- informer side ------------------------------------------------------------

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.inFlight.has(key)) { this.inFlight.set(key, pod); return; }
    if (this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key)) { this.update(pod, pod); return; }
    const now = this.clock.now();
    const info = buildPodInfo(pod);
    this.active.push({ podInfo: info, timestamp: now, initialTimestamp: now, attempts: 0, unschedulablePlugins: new Set() });
    this.updateNominated(info);
    this.wake();
  }

  /** A pending pod changed. Spec/label changes give an unschedulable pod another try. */
  update(oldPod: Pod, pod: Pod): void {
    const key = podKey(pod);
    if (this.inFlight.has(key)) { this.inFlight.set(key, pod); return; }
    const info = buildPodInfo(pod);
    this.updateNominated(info);
    for (const heap of [this.active, this.backoff]) {
      const q = heap.get(key);
      if (q) { heap.push({ ...q, podInfo: info }); return; }
    }
    const q = this.unschedulable.get(key);
    if (q) {
      q.podInfo = info;
      if (specChanged(oldPod, pod)) {
        this.removeUnschedulable(key);
        this.requeue(q);
      }
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    if (this.inFlight.has(key)) this.inFlight.set(key, null);
    this.active.remove(key);
    this.backoff.remove(key);
    this.removeUnschedulable(key);
    this.deleteNominated(key);
  }

  // ---- scheduler side -----------------------------------------------------------

  /** The next pod to schedule; waits while activeQ is empty. Undefined once closed or `signal` aborts. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    while (!this.closed && !signal?.aborted) {
      const q = this.active.pop();
      if (q) {
        q.attempts++;
        this.schedulingCycle++;
        this.inFlight.set(q.podInfo.key, q.podInfo.pod);
        return q;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve(); });
      });
    }
    return undefined;
  }

  /** The cycle number of the last pop (a failure reports the cycle it happened in). */
  currentCycle(): number { return this.schedulingCycle; }

  /** The pod's attempt is over (bound, assumed or requeued). */
  done(key: string): void { this.inFlight.delete(key); }

  /**
   * A pod that failed in `cycle` goes back: to backoffQ if something changed
   * since it was popped (or it failed on an error), otherwise to the
   * unschedulable set until a helpful event. The pod's latest object is used;
   * a pod deleted meanwhile is dropped.
   */
  addUnschedulable(q: QueuedPodInfo, cycle: number): void {
    const key = q.podInfo.key;
    const latest = this.inFlight.get(key);
    this.inFlight.delete(key);
    if (latest === null || this.closed) return;
    if (this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key)) return;
    if (latest && latest !== q.podInfo.pod) q.podInfo = buildPodInfo(latest);
    q.timestamp = this.clock.now();
    if (this.moveRequestCycle >= cycle || q.unschedulablePlugins.size === 0) {
      this.pushBackoff(q);
      return;
    }
    this.unschedulable.set(key, q);
    for (const p of q.unschedulablePlugins) {
      let s = this.byPlugin.get(p);
      if (!s) this.byPlugin.set(p, s = new Set());
      s.add(key);
    }
  }

  /**
   * A cluster event happened: pods rejected by a plugin it may help move on
   * (to backoffQ while still backing off, else activeQ). `mayHelp` narrows
   * further per pod (e.g. an added pod matches its affinity terms).
   */
  moveOnEvent(event: ClusterEvent, mayHelp?: (q: QueuedPodInfo) => boolean): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return;
    const keys = new Set<string>();
    for (const plugin of this.eventPlugins.get(event) ?? []) for (const k of this.byPlugin.get(plugin) ?? []) keys.add(k);
    for (const k of keys) {
      const q = this.unschedulable.get(k);
      if (!q || (mayHelp && !mayHelp(q))) continue;
      this.removeUnschedulable(k);
      this.requeue(q);
    }
  }

  /** Moves every unschedulable pod (a change the queue cannot attribute). */
  moveAll(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const [k, q] of [...this.unschedulable]) {
      this.removeUnschedulable(k);
      this.requeue(q);
    }
  }

  close(): void {
    this.closed = true;
    this.backoffTimer?.dispose();
    this.flushTimer?.dispose();
    this.wake(true);
  }

  /** Sizes, for tests and metrics. */
  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** Where a pod is: 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined. */
  whereIs(key: string): string | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** Backoff of a pod after `attempts` failures: 1 s, 2 s, 4 s … capped at 10 s. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  // ---- nominated pods (preemption) -------------------------------------------------

  /** Pods nominated to `nodeName` (they will land there once their victims are gone). */
  nominatedPodsFor(nodeName: string): readonly PodInfo[] {
    const m = this.nominated.get(nodeName);
    return m ? [...m.values()] : NONE;
  }

  addNominated(info: PodInfo, nodeName: string): void {
    this.deleteNominated(info.key);
    let m = this.nominated.get(nodeName);
    if (!m) this.nominated.set(nodeName, m = new Map());
    m.set(info.key, info);
    this.nominatedNodeOf.set(info.key, nodeName);
  }

  deleteNominated(key: string): void {
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominated.get(node);
    m?.delete(key);
    if (m?.size === 0) this.nominated.delete(node);
  }

  private updateNominated(info: PodInfo): void {
    const node = info.pod.status?.nominatedNodeName;
    if (node) this.addNominated(info, node);
    else this.deleteNominated(info.key);
  }

  // ---- internals ----------------------------------------------------------------

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  private requeue(q: QueuedPodInfo): void {
    if (this.backoffExpiry(q) > this.clock.now()) this.pushBackoff(q);
    else {
      this.active.push(q);
      this.wake();
    }
  }

  private pushBackoff(q: QueuedPodInfo): void {
    this.backoff.push(q);
    this.armBackoffTimer();
  }

  private removeUnschedulable(key: string): void {
    const q = this.unschedulable.get(key);
    if (!q) return;
    this.unschedulable.delete(key);
    for (const p of q.unschedulablePlugins) this.byPlugin.get(p)?.delete(key);
  }

  /** One timer, at the earliest backoff expiry (more precise than upstream's 1 s ticker). */
  private armBackoffTimer(): void {
    if (this.closed) return;
    const head = this.backoff.peek();
    if (!head) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && at >= this.backoffTimerAt) return;
    this.backoffTimer?.dispose();
    this.backoffTimerAt = at;
    this.backoffTimer = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoff();
    }, at - this.clock.now());
  }

  private flushBackoff(): void {
    const now = this.clock.now();
    let moved = false;
    for (let head = this.backoff.peek(); head && this.backoffExpiry(head) <= now; head = this.backoff.peek()) {
      this.backoff.pop();
      this.active.push(head);
      moved = true;
    }
    if (moved) this.wake();
    this.armBackoffTimer();
  }

  private scheduleLeftoverFlush(): void {
    if (this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      for (const [k, q] of [...this.unschedulable]) {
        if (now - q.timestamp < this.maxUnschedulableMs) continue;
        this.removeUnschedulable(k);
        this.requeue(q);
      }
      this.scheduleLeftoverFlush();
    }, 30_000);
  }

  private wake(all = false): void {
    if (all) { for (const w of this.waiters.splice(0)) w(); return; }
    this.waiters.shift()?.();
  }
}

/** Whether a pending pod changed in a way that may change where it fits (not status, not bookkeeping). */
function specChanged(a: Pod, b: Pod): boolean {
  if (a === b) return false;
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec)
    || JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {});
}
