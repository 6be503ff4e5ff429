// Indexed Jobs (upstream indexed_job_utils): every pod carries a completion
// index; the Job reports the succeeded ones as a compressed list of ranges
// ("1,3-5") in status.completedIndexes, creates pods only for indexes not yet
// succeeded nor running, and removes pods that repeat an index or have none.

import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isPodReady } from '../replicaset/pods.ts';
import { parseTime } from '../replicaset/util.ts';
import { JOB_COMPLETION_INDEX, JOB_COMPLETION_INDEX_ENV } from './util.ts';

/** An inclusive range of indexes. */
export interface Interval { first: number; last: number }

/** Sorted, non-overlapping, non-adjacent intervals. */
export type OrderedIntervals = Interval[];

export const UNKNOWN_INDEX = -1;

export function intervalsTotal(iv: OrderedIntervals): number {
  return iv.reduce((n, i) => n + i.last - i.first + 1, 0);
}

export function intervalsHas(iv: OrderedIntervals, ix: number): boolean {
  // Few intervals in practice; a binary search would be the upstream way for big ones.
  let lo = 0;
  let hi = iv.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ix < iv[mid].first) hi = mid - 1;
    else if (ix > iv[mid].last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** "1,3-5": single indexes alone, runs of two or more as first-last. */
export function formatIntervals(iv: OrderedIntervals): string {
  return iv.map((i) => (i.first === i.last ? String(i.first) : `${i.first}-${i.last}`)).join(',');
}

/**
 * Parses a completedIndexes string, keeping indexes below `completions`;
 * malformed parts are skipped (the status is the controller's own writing,
 * but a user may have edited it).
 */
export function parseIntervals(s: string | undefined, completions: number): OrderedIntervals {
  const out: OrderedIntervals = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    let last = m[2] === undefined ? first : Number(m[2]);
    if (first >= completions || last < first) continue;
    last = Math.min(last, completions - 1);
    const prev = out[out.length - 1];
    if (prev && first <= prev.last + 1) prev.last = Math.max(prev.last, last);
    else out.push({ first, last });
  }
  return out;
}

/** The intervals plus `indexes` (any order, duplicates allowed). */
export function withIndexes(iv: OrderedIntervals, indexes: readonly number[]): OrderedIntervals {
  const all = [...iv.map((i) => ({ ...i })), ...indexes.map((ix) => ({ first: ix, last: ix }))];
  all.sort((a, b) => a.first - b.first);
  const out: OrderedIntervals = [];
  for (const i of all) {
    const prev = out[out.length - 1];
    if (prev && i.first <= prev.last + 1) prev.last = Math.max(prev.last, i.last);
    else out.push({ ...i });
  }
  return out;
}

/** The pod's completion index from its annotation; UNKNOWN_INDEX when absent or invalid. */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return UNKNOWN_INDEX;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : UNKNOWN_INDEX;
}

/**
 * The first `count` indexes below `completions` that have neither succeeded
 * nor an active pod holding them.
 */
export function firstPendingIndexes(activePods: readonly Pod[], succeeded: OrderedIntervals, count: number, completions: number): number[] {
  if (count <= 0) return [];
  const taken = new Set<number>();
  for (const p of activePods) {
    const ix = completionIndex(p);
    if (ix !== UNKNOWN_INDEX && ix < completions) taken.add(ix);
  }
  const out: number[] = [];
  for (let ix = 0; ix < completions && out.length < count; ix++) {
    if (!taken.has(ix) && !intervalsHas(succeeded, ix)) out.push(ix);
  }
  return out;
}

/** The pod template for index `ix`: annotation, label, hostname, and the env var in every container. */
export function templateForIndex(template: PodTemplateSpec, jobName: string, ix: number): PodTemplateSpec {
  const t = structuredClone(template);
  const meta = (t.metadata ??= {});
  meta.annotations = { ...meta.annotations, [JOB_COMPLETION_INDEX]: String(ix) };
  meta.labels = { ...meta.labels, [JOB_COMPLETION_INDEX]: String(ix) };
  const spec = (t.spec ??= { containers: [] });
  spec.hostname = `${jobName}-${ix}`;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (c.env?.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) continue;
    c.env = [...(c.env ?? []), {
      name: JOB_COMPLETION_INDEX_ENV,
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } },
    }];
  }
  return t;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePods' order: true when `a` should go before `b`.
 * Unscheduled first, then Pending < Unknown < Running, not ready first, ready
 * for less time first, more restarts first, newer first.
 */
export function activePodLess(a: Pod, b: Pod): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_RANK[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_RANK[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return !ra;
  if (ra && rb) {
    const ta = parseTime(a.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime) ?? 0;
    const tb = parseTime(b.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime) ?? 0;
    if (ta !== tb) return ta > tb;
  }
  const restarts = (p: Pod): number => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  if (restarts(a) !== restarts(b)) return restarts(a) > restarts(b);
  const ca = parseTime(a.metadata?.creationTimestamp) ?? 0;
  const cb = parseTime(b.metadata?.creationTimestamp) ?? 0;
  return ca > cb;
}

export function sortActivePods(pods: Pod[]): Pod[] {
  return pods.sort((x, y) => (activePodLess(x, y) ? -1 : activePodLess(y, x) ? 1 : 0));
}

/**
 * activePodsForRemoval: for an Indexed Job first the pods with no index, an
 * index ≥ completions, or a repeated index (keeping the best of each
 * index); then, as for any Job, the least valuable pods until `rmAtLeast`.
 */
export function activePodsForRemoval(pods: readonly Pod[], rmAtLeast: number, indexedCompletions?: number): Pod[] {
  const rm: Pod[] = [];
  let left: Pod[] = [];
  if (indexedCompletions !== undefined) {
    const byIndex = new Map<number, Pod[]>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix === UNKNOWN_INDEX || ix >= indexedCompletions) { rm.push(p); continue; }
      const list = byIndex.get(ix) ?? [];
      list.push(p);
      byIndex.set(ix, list);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = sortActivePods(byIndex.get(ix)!);
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1]);
    }
  } else {
    left = [...pods];
  }
  if (rm.length < rmAtLeast) {
    sortActivePods(left);
    rm.push(...left.slice(0, rmAtLeast - rm.length));
  }
  return rm;
}
