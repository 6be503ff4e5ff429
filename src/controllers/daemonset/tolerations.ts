// Taints and tolerations as the DaemonSet controller needs them (core/v1
// Toleration.ToleratesTaint, v1helper.FindMatchingUntoleratedTaint), and the
// tolerations every daemon pod gets so that node problems the node lifecycle
// controller reports as taints do not evict or block daemons.

import type { PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { semanticEqual } from '../replicaset/util.ts';

/** Toleration.ToleratesTaint: empty effect/key match any; operator "" means Equal. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '': case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    case 'Exists': return true;
    default: return false;
  }
}

/** The first taint `include` selects that no toleration tolerates, if any. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined,
  include: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!include(taint)) continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

/** Toleration.MatchToleration: the same toleration apart from tolerationSeconds. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.effect ?? '') === (b.effect ?? '')
    && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '');
}

/** v1helper.AddOrUpdateTolerationInPodSpec: replaces a matching toleration, else appends. Mutates `spec`. */
export function addOrUpdateToleration(spec: PodSpec, toleration: Toleration): void {
  const current = spec.tolerations ?? [];
  let updated = false;
  const next: Toleration[] = [];
  for (const t of current) {
    if (sameToleration(toleration, t)) {
      if (semanticEqual(toleration, t)) return;
      next.push({ ...toleration });
      updated = true;
      continue;
    }
    next.push(t);
  }
  if (!updated) next.push({ ...toleration });
  spec.tolerations = next;
}

const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });

/**
 * util.AddOrUpdateDaemonPodTolerations: daemons keep running on not-ready and
 * unreachable nodes (NoExecute, no tolerationSeconds), and are placed on nodes
 * under disk/memory/PID pressure or cordoned; host-network daemons also on
 * nodes whose network is not up yet (they are often the network plugin).
 * Mutates `spec`.
 */
export function addDaemonPodTolerations(spec: PodSpec): void {
  addOrUpdateToleration(spec, exists('node.kubernetes.io/not-ready', 'NoExecute'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/unreachable', 'NoExecute'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/disk-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/memory-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/pid-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/unschedulable', 'NoSchedule'));
  if (spec.hostNetwork) addOrUpdateToleration(spec, exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
}
