// A StatefulSet's status from its pods (upstream stateful_set_control.go):
// counts of created / ready / available pods and of pods at the current and
// update revisions, and when a finished rolling update makes the update
// revision current.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import { isCreated, isRunningAndAvailable, isRunningAndReady, isTerminating, revisionOfPod } from './identity.ts';

/** computeReplicaStatus over every list (live replicas, condemned), added up; missing (not yet created) entries count nothing. */
export function countReplicas(status: StatefulSetStatus, minReadySeconds: number, nowMs: number, ...lists: readonly (Pod | undefined)[][]): void {
  let replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
  for (const list of lists) {
    for (const pod of list) {
      if (!pod) continue;
      if (isCreated(pod)) replicas++;
      if (isRunningAndReady(pod)) {
        ready++;
        if (isRunningAndAvailable(pod, minReadySeconds, nowMs)) available++;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        const rev = revisionOfPod(pod);
        if (rev === status.currentRevision) current++;
        if (rev === status.updateRevision) updated++;
      }
    }
  }
  status.replicas = replicas;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  status.currentReplicas = current;
  status.updatedReplicas = updated;
}

/** completeRollingUpdate: every pod updated and ready → the update revision becomes the current one. */
export function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): void {
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** inconsistentStatus: whether the computed status differs from the stored one (worth a write). */
export function inconsistentStatus(set: StatefulSet, status: StatefulSetStatus): boolean {
  const cur = set.status ?? { replicas: 0 };
  return (status.observedGeneration ?? 0) > (cur.observedGeneration ?? 0)
    || (status.replicas ?? 0) !== (cur.replicas ?? 0)
    || (status.currentReplicas ?? 0) !== (cur.currentReplicas ?? 0)
    || (status.readyReplicas ?? 0) !== (cur.readyReplicas ?? 0)
    || (status.updatedReplicas ?? 0) !== (cur.updatedReplicas ?? 0)
    || (status.currentRevision ?? '') !== (cur.currentRevision ?? '')
    || (status.availableReplicas ?? 0) !== (cur.availableReplicas ?? 0)
    || (status.updateRevision ?? '') !== (cur.updateRevision ?? '')
    || (status.collisionCount ?? 0) !== (cur.collisionCount ?? 0);
}

/** As apps/v1 serializes it: omitempty fields left out when zero; replicas, availableReplicas and a set collisionCount always present. */
export function normalizeStatus(s: StatefulSetStatus): StatefulSetStatus {
  const out: StatefulSetStatus = { replicas: s.replicas ?? 0, availableReplicas: s.availableReplicas ?? 0 };
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.currentReplicas) out.currentReplicas = s.currentReplicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.currentRevision) out.currentRevision = s.currentRevision;
  if (s.updateRevision) out.updateRevision = s.updateRevision;
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}
