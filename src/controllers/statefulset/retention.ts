// persistentVolumeClaimRetentionPolicy (upstream StatefulSetAutoDeletePVC, on
// by default): which owner references a pod's claims carry so that the
// garbage collector deletes them at the right time. whenDeleted=Delete → the
// set owns the claim (deleted with the set); whenScaled=Delete → a pod that is
// scaled away owns its claims (deleted with the pod). Retain → no reference.
// These references are plain owner references, never controller ones.

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { podInOrdinalRange } from './identity.ts';

interface Owner { metadata?: { name?: string; uid?: string } }

function policyOf(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

export function hasOwnerRef(target: PersistentVolumeClaim, owner: Owner): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && !!target.metadata?.ownerReferences?.some((r) => r.uid === uid);
}

/**
 * hasStaleOwnerRef: a claim still owned by an earlier pod of the same name —
 * it is about to be garbage collected and must not be reused.
 */
export function hasStaleOwnerRef(claim: PersistentVolumeClaim, pod: Pod): boolean {
  return !!claim.metadata?.ownerReferences?.some((r) => r.kind === 'Pod' && r.name === pod.metadata?.name && r.uid !== pod.metadata?.uid);
}

function setOwnerRef(target: PersistentVolumeClaim, owner: Owner, apiVersion: string, kind: string): boolean {
  if (hasOwnerRef(target, owner)) return false;
  const ref: OwnerReference = { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '' };
  target.metadata = { ...(target.metadata ?? {}), ownerReferences: [...(target.metadata?.ownerReferences ?? []), ref] };
  return true;
}

function removeOwnerRef(target: PersistentVolumeClaim, owner: Owner): boolean {
  if (!hasOwnerRef(target, owner)) return false;
  const refs = target.metadata!.ownerReferences!.filter((r) => r.uid !== owner.metadata?.uid);
  if (refs.length) target.metadata!.ownerReferences = refs;
  else delete target.metadata!.ownerReferences;
  return true;
}

/** claimOwnerMatchesSetAndPod: the claim's references already say what the policy wants. */
export function claimOwnerMatchesSetAndPod(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const { whenDeleted, whenScaled } = policyOf(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  const bySet = hasOwnerRef(claim, set);
  const byPod = hasOwnerRef(claim, pod);
  if (whenScaled === 'Delete' && whenDeleted === 'Delete') return scaledDown !== bySet && scaledDown === byPod;
  if (whenScaled === 'Delete') return !bySet && scaledDown === byPod;
  if (whenDeleted === 'Delete') return bySet && !byPod;
  // Retain/Retain, and unknown values treated as Retain.
  return !bySet && !byPod;
}

/** updateClaimOwnerRefForSetAndPod: rewrites the claim's references for the policy; true when it changed. */
export function updateClaimOwnerRefs(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const { whenDeleted, whenScaled } = policyOf(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  const ownBySet = (): boolean => setOwnerRef(claim, set, 'apps/v1', 'StatefulSet');
  const ownByPod = (): boolean => setOwnerRef(claim, pod, 'v1', 'Pod');
  let changed = false;
  if (whenScaled === 'Delete' && whenDeleted === 'Delete') {
    if (scaledDown) {
      changed = removeOwnerRef(claim, set) || changed;
      changed = ownByPod() || changed;
    } else {
      changed = ownBySet() || changed;
      changed = removeOwnerRef(claim, pod) || changed;
    }
  } else if (whenScaled === 'Delete') {
    changed = removeOwnerRef(claim, set) || changed;
    changed = (scaledDown ? ownByPod() : removeOwnerRef(claim, pod)) || changed;
  } else if (whenDeleted === 'Delete') {
    changed = ownBySet() || changed;
    changed = removeOwnerRef(claim, pod) || changed;
  } else {
    changed = removeOwnerRef(claim, set) || changed;
    changed = removeOwnerRef(claim, pod) || changed;
  }
  return changed;
}
