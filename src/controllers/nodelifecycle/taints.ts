// Taints the node controllers manage and how pods tolerate them (upstream's
// taint/toleration helpers): matching, the taints node conditions map to, and
// set arithmetic on taint lists.

import type { Node, NodeCondition, Taint, Toleration } from 'kubernetes-types/core/v1.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };
export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };

/** Node condition type → condition status → the NoSchedule taint it implies (TaintNodesByCondition). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));

/** Same key and effect: the identity of a taint on a node (a node has at most one per pair). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: readonly Taint[] | undefined, t: Taint): boolean {
  return (taints ?? []).some((x) => sameTaint(x, t));
}

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

/**
 * GetMatchingTolerations: whether every taint is tolerated, and the
 * tolerations used for them (the first matching one per taint).
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((x) => toleratesTaint(x, taint));
    if (!t) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/** getMinTolerationTime in ms: the shortest tolerationSeconds; -1 when every toleration is forever. */
export function minTolerationMs(used: readonly Toleration[]): number {
  let min = -1;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const ms = Math.max(0, t.tolerationSeconds) * 1000;
    if (min < 0 || ms < min) min = ms;
  }
  return min;
}

export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function condition(node: Node | undefined, type: string): NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === type);
}

/** The NoSchedule taints a node's conditions and spec.unschedulable call for (doNoScheduleTaintingPass). */
export function noScheduleTaintsFor(node: Node): Taint[] {
  const out: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  return out;
}

/** The node's NoSchedule taints that the controller owns (condition taints and unschedulable). */
export function controllerNoScheduleTaints(node: Node): Taint[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
}

/** TaintSetDiff: what `want` has that `have` lacks, and what `have` has that `want` lacks (by key and effect). */
export function taintSetDiff(want: readonly Taint[], have: readonly Taint[]): { add: Taint[]; remove: Taint[] } {
  return {
    add: want.filter((t) => !have.some((h) => sameTaint(h, t))),
    remove: have.filter((h) => !want.some((t) => sameTaint(h, t))),
  };
}

/**
 * The taints after adding `add` and removing `remove` (matched by key and
 * effect). A taint already present with the same value keeps its timeAdded;
 * new ones are stamped `now`. Undefined when nothing changes.
 */
export function swapTaints(current: readonly Taint[] | undefined, add: readonly Taint[], remove: readonly Taint[], nowIso: string): Taint[] | undefined {
  const cur = [...(current ?? [])];
  let out = cur.filter((t) => !remove.some((r) => sameTaint(r, t)));
  let changed = out.length !== cur.length;
  for (const t of add) {
    const existing = out.find((x) => sameTaint(x, t));
    if (existing && (existing.value ?? '') === (t.value ?? '')) continue;
    out = out.filter((x) => !sameTaint(x, t));
    out.push({ ...t, timeAdded: nowIso });
    changed = true;
  }
  return changed ? out : undefined;
}
