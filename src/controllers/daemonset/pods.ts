// Daemon pods grouped by the node they are for, and the order upstream keeps
// them in on one node (podByCreationTimestampAndPhase).

import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseTime } from '../replicaset/util.ts';
import { targetNodeName } from './node-affinity.ts';

export function isPodTerminal(p: Pod): boolean {
  return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
}

/** Scheduled first, then oldest first, then by name. */
export function compareDaemonPods(a: Pod, b: Pod): number {
  const sa = !!a.spec?.nodeName;
  const sb = !!b.spec?.nodeName;
  if (sa !== sb) return sa ? -1 : 1;
  const ta = parseTime(a.metadata?.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata?.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * getNodesToDaemonPods' grouping: node name → the DaemonSet's pods for it.
 * Terminal pods already being deleted are left out unless asked for (the
 * controller has nothing more to do with them); pods for no node are dropped.
 */
export function groupByNode(pods: readonly Pod[], includeDeletedTerminal: boolean): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    if (!includeDeletedTerminal && isPodTerminal(p) && p.metadata?.deletionTimestamp) continue;
    const node = targetNodeName(p);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list) list.push(p); else out.set(node, [p]);
  }
  return out;
}
