// A StatefulSet pod's stable identity (upstream stateful_set_utils.go): the
// name <set>-<ordinal>, the labels that carry it, hostname/subdomain for DNS,
// and the volumes that bind it to its own claims <template>-<set>-<ordinal>.
// Also the health predicates the ordered control loop decides on.

import type { PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { isPodReady, podFromTemplate } from '../replicaset/pods.ts';
import { newControllerRef, parseTime } from '../replicaset/util.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The revision (ControllerRevision name) a pod was made from. */
export const REVISION_LABEL = 'controller-revision-hash';

const STATEFUL_POD = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: ["web", 3] for "web-3"; ordinal -1 when the name has no ordinal. */
export function parentAndOrdinal(pod: Pod): [string, number] {
  const m = STATEFUL_POD.exec(pod.metadata?.name ?? '');
  if (!m) return ['', -1];
  const n = Number(m[2]);
  // Go parses the ordinal as an int32.
  return [m[1], Number.isSafeInteger(n) && n <= 2147483647 ? n : -1];
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod)[1];
}

/** isMemberOf: the pod's name says it belongs to this set. */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod)[0] === set.metadata?.name;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name}-${ordinal}`;
}

export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

/** spec.ordinals.start (StatefulSetStartOrdinal, on by default). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function podInOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export function revisionOfPod(pod: Pod): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}

function setPodRevision(pod: Pod, revision: string): void {
  pod.metadata!.labels = { ...(pod.metadata!.labels ?? {}), [REVISION_LABEL]: revision };
}

/** getPersistentVolumeClaimName. */
export function claimName(set: StatefulSet, templateName: string | undefined, ordinal: number): string {
  return `${templateName}-${set.metadata?.name}-${ordinal}`;
}

/**
 * getPersistentVolumeClaims: the claims a pod of this ordinal uses, keyed by
 * template (= volume) name, labelled with the set's matchLabels.
 */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  const matchLabels = set.spec?.selector?.matchLabels ?? {};
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const templateName = t.metadata?.name ?? '';
    // A template's status (if any) is not the new claim's.
    const { spec, metadata } = structuredClone(t);
    const claim: PersistentVolumeClaim = {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: {
        ...(metadata ?? {}),
        name: claimName(set, templateName, ordinal),
        namespace: set.metadata?.namespace,
        labels: { ...(metadata?.labels ?? {}), ...matchLabels },
      },
      spec,
    };
    out.set(templateName, claim);
  }
  return out;
}

/** updateIdentity: name, namespace and the identity labels. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata ??= {};
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata?.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

/** identityMatches. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const [parent, ordinal] = parentAndOrdinal(pod);
  return ordinal >= 0 && parent === set.metadata?.name && pod.metadata?.name === podName(set, ordinal)
    && pod.metadata?.namespace === set.metadata?.namespace && pod.metadata?.labels?.[POD_NAME_LABEL] === pod.metadata?.name;
}

/** updateStorage: one volume per claim template, named like it, pointing at the pod's claim; other volumes kept. */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = claimsFor(set, ordinalOf(pod));
  const volumes: Volume[] = [];
  for (const [name, claim] of claims) {
    volumes.push({ name, persistentVolumeClaim: { claimName: claim.metadata!.name! } });
  }
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec ??= { containers: [] };
  if (volumes.length) pod.spec.volumes = volumes;
}

/** storageMatches: every claim template has its volume, bound to this pod's claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [name, claim] of claimsFor(set, ordinal)) {
    const v = volumes.get(name);
    if (!v?.persistentVolumeClaim || v.persistentVolumeClaim.claimName !== claim.metadata?.name) return false;
  }
  return true;
}

/** newStatefulSetPod: the pod for `ordinal` from the set's template. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const pod = podFromTemplate(set.spec?.template, set.metadata!.name!, newControllerRef(set, 'apps/v1', 'StatefulSet'));
  pod.metadata!.name = podName(set, ordinal);
  updateIdentity(set, pod);
  // Set only at creation: these fields of a pod are immutable.
  pod.spec!.hostname = pod.metadata!.name;
  if (set.spec?.serviceName) pod.spec!.subdomain = set.spec.serviceName;
  updateStorage(set, pod);
  return pod;
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, without a
 * rollingUpdate block, below currentReplicas) are made at the current
 * revision, the rest at the update revision.
 */
export function newVersionedStatefulSetPod(currentSet: StatefulSet, updateSet: StatefulSet, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const us = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  // Go's precedence: (RollingUpdate && nil-block && below currentReplicas) || (block && below partition).
  const keepCurrent = (us?.type === 'RollingUpdate' && !us.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0))
    || (!!us?.rollingUpdate && ordinal < start + (us.rollingUpdate.partition ?? 0));
  const pod = newStatefulSetPod(keepCurrent ? currentSet : updateSet, ordinal);
  setPodRevision(pod, keepCurrent ? currentRevision : updateRevision);
  return pod;
}

// ---- health -----------------------------------------------------------------

/** isCreated: the API server gave it a phase (Pending at least). */
export function isCreated(pod: Pod): boolean {
  return !!pod.status?.phase;
}

export function isPending(pod: Pod): boolean {
  return pod.status?.phase === 'Pending';
}

export function isFailed(pod: Pod): boolean {
  return pod.status?.phase === 'Failed';
}

export function isSucceeded(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded';
}

export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** isRunningAndAvailable: Ready for at least minReadySeconds. */
export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isRunningAndReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** isHealthy: running, ready and not being deleted. */
export function isHealthy(pod: Pod): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}
