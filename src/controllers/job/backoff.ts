// Pod re-creation back-off (upstream backoff_utils): after pods fail, a Job
// waits 10 s, 20 s, 40 s, … (capped at 10 minutes, upstream's
// MaxJobPodFailureBackOff) after the last failure before it makes new pods.
// Counted per Job from the failures since the last success, in memory only:
// a restarted controller starts again without delay, as upstream does.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseTime } from '../replicaset/util.ts';

export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** When the pod finished: its containers' latest finishedAt, else Ready=False's time, else deletion, else creation. */
export function podFinishedTime(p: Pod): number {
  let latest: number | undefined;
  for (const c of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    const t = parseTime(c.state?.terminated?.finishedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  return parseTime(ready?.lastTransitionTime) ?? parseTime(p.metadata?.deletionTimestamp) ?? parseTime(p.metadata?.creationTimestamp) ?? 0;
}

export class BackoffStore {
  private readonly records = new Map<string, BackoffRecord>();

  get(key: string): BackoffRecord | undefined {
    const r = this.records.get(key);
    return r && { ...r };
  }

  /** The record this sync would make from the pods that finished since the last one (not stored yet). */
  newRecord(key: string, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
    const r: BackoffRecord = this.get(key) ?? { key, failuresAfterLastSuccess: 0 };
    const failed = newFailed.map(podFinishedTime).sort((a, b) => a - b);
    if (newSucceeded.length === 0) {
      if (failed.length === 0) return r;
      r.failuresAfterLastSuccess += failed.length;
      r.lastFailureTime = failed[failed.length - 1];
      return r;
    }
    // Only failures after the latest success count.
    const lastSuccess = Math.max(...newSucceeded.map(podFinishedTime));
    r.failuresAfterLastSuccess = 0;
    r.lastFailureTime = undefined;
    for (let i = failed.length - 1; i >= 0 && failed[i] > lastSuccess; i--) {
      r.lastFailureTime ??= failed[i];
      r.failuresAfterLastSuccess++;
    }
    return r;
  }

  update(r: BackoffRecord): void {
    this.records.set(r.key, { ...r });
  }

  remove(key: string): void {
    this.records.delete(key);
  }
}

/** How long to wait before creating pods again (0: now). */
export function remainingBackoffMs(r: BackoffRecord, nowMs: number, baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < r.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= maxMs) { d = maxMs; break; }
  }
  const elapsed = nowMs - r.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}
