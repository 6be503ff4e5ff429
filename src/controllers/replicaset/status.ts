// A ReplicaSet's status from its pods (upstream replica_set_utils.go).

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { selectorFromSet } from '../../api/selectors/labels.ts';
import { isPodAvailable, isPodReady } from './pods.ts';
import { errorMessage, jsonEqual, rfc3339 } from './util.ts';

export const REPLICA_FAILURE = 'ReplicaFailure';

/**
 * calculateStatus: counts over the active pods the ReplicaSet owns. A failed
 * create/delete sets ReplicaFailure (reason FailedCreate/FailedDelete); a clean
 * sync removes it. observedGeneration is left as it was (the writer sets it).
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], manageErr: unknown, nowMs: number): ReplicaSetStatus {
  const status: ReplicaSetStatus = structuredClone(rs.status ?? { replicas: 0 });
  const template = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0, ready = 0, available = 0;
  for (const p of pods) {
    if (template.matches(p.metadata?.labels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageErr && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    setCondition(status, { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339(nowMs), reason, message: errorMessage(manageErr) });
  } else if (!manageErr && failure) {
    status.conditions = status.conditions!.filter((c) => c.type !== REPLICA_FAILURE);
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return normalizeReplicaSetStatus(status);
}

/** SetCondition: replaces the condition of that type, keeping lastTransitionTime when status and reason are unchanged. */
function setCondition(status: ReplicaSetStatus, cond: ReplicaSetCondition): void {
  const current = status.conditions?.find((c) => c.type === cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

/** As the API serializes it: zero counts and empty conditions are omitted (omitempty), replicas always present. */
export function normalizeReplicaSetStatus(s: ReplicaSetStatus): ReplicaSetStatus {
  const out: ReplicaSetStatus = { replicas: s.replicas ?? 0 };
  if (s.fullyLabeledReplicas) out.fullyLabeledReplicas = s.fullyLabeledReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

/** updateReplicaSetStatus's "steady state" test: nothing to write. */
export function replicaSetStatusUnchanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? { replicas: 0 };
  return (cur.replicas ?? 0) === (next.replicas ?? 0)
    && (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0)
    && (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0)
    && (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0)
    && (rs.metadata?.generation ?? 0) === (cur.observedGeneration ?? 0)
    && jsonEqual(cur.conditions ?? [], next.conditions ?? []);
}
