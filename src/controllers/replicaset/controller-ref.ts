// Claiming dependents (upstream's ControllerRefManager): a controller adopts
// orphans its selector matches and releases dependents it owns that no longer
// match; objects owned by another controller are left alone.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isNotFound, type KubeObject } from '../../client/index.ts';
import { controllerOf, isInvalid } from './util.ts';

export interface ClaimOptions<T extends KubeObject> {
  /** The would-be owner. */
  owner: KubeObject;
  /** Does the dependent belong (selector, plus any filter)? */
  match(obj: T): boolean;
  /**
   * Checked once, before the first adoption: rejects when the owner is gone or
   * being deleted according to a fresh (uncached) read (upstream's
   * RecheckDeletionTimestamp), so a controller never adopts into a dying owner.
   */
  canAdopt(): Promise<void>;
  /** Makes the owner the dependent's controller (a patch). */
  adopt(obj: T): Promise<void>;
  /** Removes the owner's reference from the dependent (a patch). */
  release(obj: T): Promise<void>;
}

export interface ClaimResult<T> {
  claimed: T[];
  errors: unknown[];
}

/**
 * ClaimObject over a list: returns what the owner now owns (already owned and
 * matching, or just adopted) plus the errors of failed adoptions/releases.
 */
export async function claimObjects<T extends KubeObject>(objs: readonly T[], o: ClaimOptions<T>): Promise<ClaimResult<T>> {
  const ownerUid = o.owner.metadata?.uid;
  const ownerDeleting = !!o.owner.metadata?.deletionTimestamp;
  const ownerNs = o.owner.metadata?.namespace;
  let adoptable: Promise<void> | undefined;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  for (const obj of objs) {
    try {
      const ref = controllerOf(obj);
      if (ref) {
        if (ref.uid !== ownerUid) continue; // someone else's
        if (o.match(obj)) { claimed.push(obj); continue; }
        // Ours, but no longer selected: let go, unless we are being deleted.
        if (ownerDeleting) continue;
        try {
          await o.release(obj);
        } catch (e) {
          // Gone, or the reference is gone already: either way not ours.
          if (!isNotFound(e) && !isInvalid(e)) throw e;
        }
        continue;
      }
      // An orphan.
      if (ownerDeleting || !o.match(obj)) continue;
      if (obj.metadata?.deletionTimestamp) continue;
      if (ownerNs && obj.metadata?.namespace !== ownerNs) continue;
      adoptable ??= o.canAdopt();
      try {
        await adoptable;
        await o.adopt(obj);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      claimed.push(obj);
    } catch (e) {
      errors.push(e);
    }
  }
  return { claimed, errors };
}

/** Upstream's ownerRefControllerPatch (strategic merge): adds `owner` as controller; `uid` guards against a re-created dependent. */
export function adoptPatch(ref: OwnerReference, dependentUid: string | undefined): object {
  return { metadata: { ownerReferences: [ref], uid: dependentUid } };
}

/** Upstream's GenerateDeleteOwnerRefStrategicMergeBytes: removes the reference with `ownerUid`. */
export function releasePatch(ownerUid: string, dependentUid: string | undefined): object {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: dependentUid } };
}
