// Pods as controllers see them (upstream pkg/api/v1/pod and pkg/controller):
// active/ready/available, the pod a template makes, and which pods go first
// when scaling down.

import type { Pod, PodCondition, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { parseTime } from './util.ts';

/** Not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

export function podReadyCondition(p: Pod): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(p: Pod): boolean {
  return podReadyCondition(p)?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(p)) return false;
  if (!minReadySeconds) return true;
  const since = parseTime(podReadyCondition(p)?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** The pod a controller creates from its template (controller.GetPodFromTemplate); the server appends 5 random characters. */
export function podFromTemplate(template: PodTemplateSpec | undefined, ownerName: string, ref: OwnerReference): Pod {
  const meta = template?.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { generateName: `${ownerName}-`, ownerReferences: [ref] },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
  if (meta.labels && Object.keys(meta.labels).length) pod.metadata!.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata!.annotations = { ...meta.annotations };
  if (meta.finalizers?.length) pod.metadata!.finalizers = [...meta.finalizers];
  return pod;
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** controller.kubernetes.io/pod-deletion-cost; invalid or absent counts 0. */
export function deletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function maxRestarts(p: Pod): [number, number] {
  let regular = 0;
  for (const c of p.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((p.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let sidecar = 0;
  for (const c of p.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

/** Go's int(math.Log2(float64(d))) for a duration in nanoseconds; -1 for d ≤ 0. */
function log2Rank(nanos: number): number {
  return nanos > 0 ? Math.trunc(Math.log2(nanos)) : -1;
}

/** afterOrZero: a zero time sorts first, else the later one first. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** Logarithmically bucketed comparison (LogarithmicScaleDown, on by default): true when `a` goes first. */
function newerFirst(a: Pod, ta: number | undefined, b: Pod, tb: number | undefined, nowMs: number): boolean {
  if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
  const diff = log2Rank((nowMs - ta) * 1e6) - log2Rank((nowMs - tb) * 1e6);
  if (diff === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
  return diff < 0;
}

/**
 * controller.ActivePodsWithRanks.Less: true when `a` should be deleted before
 * `b`. Unassigned < assigned; Pending < Unknown < Running; not ready < ready;
 * lower deletion cost first; more related pods on the same node first; ready
 * for less time first; more restarts first; newer first.
 */
export function deleteBefore(a: Pod, rankA: number, b: Pod, rankB: number, nowMs: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_ORDER[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDER[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return !ra;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  if (rankA !== rankB) return rankA > rankB;
  if (ra && rb) {
    const ta = parseTime(podReadyCondition(a)?.lastTransitionTime);
    const tb = parseTime(podReadyCondition(b)?.lastTransitionTime);
    if (ta !== tb) return newerFirst(a, ta, b, tb, nowMs);
  }
  const [regA, sideA] = maxRestarts(a);
  const [regB, sideB] = maxRestarts(b);
  if (regA !== regB) return regA > regB;
  if (sideA !== sideB) return sideA > sideB;
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) return newerFirst(a, ta, b, tb, nowMs);
  return false;
}

/**
 * getPodsToDelete: the `diff` pods to remove, ranked by deleteBefore; a pod's
 * rank is how many of `related` (active pods of the same owner's ReplicaSets)
 * share its node.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((p) => ({ p, rank: onNode.get(p.spec?.nodeName ?? '') ?? 0 }));
  // A stable sort with a strict-weak-order "less", as Go's sort.Sort expects.
  ranked.sort((x, y) => (deleteBefore(x.p, x.rank, y.p, y.rank, nowMs) ? -1 : deleteBefore(y.p, y.rank, x.p, x.rank, nowMs) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.p);
}
