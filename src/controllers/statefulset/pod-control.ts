// Creating, fixing and deleting one StatefulSet pod and its claims (upstream
// StatefulPodControl), each step reported as an event on the set:
// "create Pod web-0 in StatefulSet web successful", "create Claim
// data-web-0 Pod web-0 in StatefulSet web success", …

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { isAlreadyExists, isConflict, type Lister } from '../../client/index.ts';
import { aggregate, errorMessage } from '../replicaset/util.ts';
import type { Recorder, StatefulSetApi } from './api.ts';
import { claimName, claimsFor, identityMatches, ordinalOf, storageMatches, updateIdentity, updateStorage } from './identity.ts';
import { claimOwnerMatchesSetAndPod, hasStaleOwnerRef, updateClaimOwnerRefs } from './retention.ts';

const UPDATE_RETRIES = 4;

function title(verb: string): string {
  return verb.charAt(0).toUpperCase() + verb.slice(1);
}

export class StatefulPodControl {
  constructor(
    private readonly api: StatefulSetApi,
    private readonly claims: Lister<PersistentVolumeClaim>,
    private readonly recorder: Recorder,
  ) {}

  private recordPodEvent(verb: string, set: StatefulSet, pod: Pod, err?: unknown): void {
    const name = pod.metadata?.name;
    if (err === undefined) {
      this.recorder.event(set, 'Normal', `Successful${title(verb)}`, `${verb} Pod ${name} in StatefulSet ${set.metadata?.name} successful`);
    } else {
      this.recorder.event(set, 'Warning', `Failed${title(verb)}`, `${verb} Pod ${name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
    }
  }

  private recordClaimEvent(verb: string, set: StatefulSet, pod: Pod, claim: PersistentVolumeClaim, err?: unknown): void {
    const c = claim.metadata?.name;
    if (err === undefined) {
      this.recorder.event(set, 'Normal', `Successful${title(verb)}`, `${verb} Claim ${c} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
    } else {
      this.recorder.event(set, 'Warning', `Failed${title(verb)}`, `${verb} Claim ${c} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
    }
  }

  /** CreateStatefulPod: the claims first, then the pod, then the claims' retention references. */
  async createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (e) {
      this.recordPodEvent('create', set, pod, e);
      throw e;
    }
    let created: Pod;
    try {
      created = await this.api.createPod(set.metadata!.namespace!, pod);
    } catch (e) {
      // Someone (a lagging cache of ours) made it already: no event, just retry later.
      if (!isAlreadyExists(e)) this.recordPodEvent('create', set, pod, e);
      throw e;
    }
    try {
      await this.updatePodClaimForRetentionPolicy(set, created);
    } catch (e) {
      this.recordPodEvent('update', set, pod, e);
      throw e;
    }
    this.recordPodEvent('create', set, pod);
  }

  /** createMissingPersistentVolumeClaims: for a Pending pod whose claims went away. */
  async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createClaims(set, pod);
    try {
      await this.updatePodClaimForRetentionPolicy(set, pod);
    } catch (e) {
      this.recordPodEvent('update', set, pod, e);
      throw e;
    }
  }

  /** createPersistentVolumeClaims: creates the claims the cache does not have; a claim being deleted is an error. */
  private async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errors: unknown[] = [];
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const name = claim.metadata!.name!;
      const existing = this.claims.get(set.metadata?.namespace, name);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) errors.push(new Error(`pvc ${name} is being deleted`));
        continue;
      }
      try {
        await this.api.createClaim(set.metadata!.namespace!, claim);
        this.recordClaimEvent('create', set, pod, claim);
      } catch (e) {
        // Our cache lagging behind an earlier create: the claim is there, which is all we want.
        if (isAlreadyExists(e)) continue;
        errors.push(new Error(`failed to create PVC ${name}: ${errorMessage(e)}`, { cause: e }));
        this.recordClaimEvent('create', set, pod, claim, e);
      }
    }
    const err = aggregate(errors);
    if (err) throw err;
  }

  /**
   * UpdateStatefulPod: restores identity (name labels), storage (volumes and
   * claims) and the claims' retention references; writes the pod only when
   * something was off, retrying on conflicts with a fresh copy.
   */
  async updateStatefulPod(set: StatefulSet, original: Pod): Promise<void> {
    let pod = structuredClone(original);
    let attempted = false;
    let lastErr: unknown;
    for (let i = 0; i <= UPDATE_RETRIES; i++) {
      let consistent = true;
      if (!identityMatches(set, pod)) {
        updateIdentity(set, pod);
        consistent = false;
      }
      try {
        if (!storageMatches(set, pod)) {
          updateStorage(set, pod);
          consistent = false;
          await this.createClaims(set, pod);
        }
        if (!this.claimsMatchRetentionPolicy(set, pod)) {
          await this.updatePodClaimForRetentionPolicy(set, pod);
          consistent = false;
        }
      } catch (e) {
        this.recordPodEvent('update', set, pod, e);
        throw e;
      }
      if (consistent) return;
      attempted = true;
      try {
        await this.api.updatePod(pod);
        lastErr = undefined;
        break;
      } catch (e) {
        lastErr = e;
        if (!isConflict(e)) break;
        try {
          pod = await this.api.getPod(set.metadata!.namespace!, pod.metadata!.name!);
        } catch {
          break;
        }
      }
    }
    if (attempted) this.recordPodEvent('update', set, pod, lastErr);
    if (lastErr !== undefined) throw lastErr;
  }

  /** DeleteStatefulPod. */
  async deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.api.deletePod(set.metadata!.namespace!, pod.metadata!.name!);
    } catch (e) {
      this.recordPodEvent('delete', set, pod, e);
      throw e;
    }
    this.recordPodEvent('delete', set, pod);
  }

  /** ClaimsMatchRetentionPolicy: missing claims count as matching (picked up later). */
  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const claim = this.claims.get(set.metadata?.namespace, claimName(set, t.metadata?.name, ordinal));
      if (claim && !claimOwnerMatchesSetAndPod(claim, set, pod)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy: fixes the owner references of every claim of the pod that the cache has. */
  async updatePodClaimForRetentionPolicy(set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(set, t.metadata?.name, ordinal);
      const cached = this.claims.get(set.metadata?.namespace, name);
      if (!cached || claimOwnerMatchesSetAndPod(cached, set, pod)) continue;
      const claim = structuredClone(cached);
      if (!updateClaimOwnerRefs(claim, set, pod)) continue;
      try {
        await this.api.updateClaim(claim);
      } catch (e) {
        throw new Error(`could not update claim ${name} for delete policy ownerRefs: ${errorMessage(e)}`, { cause: e });
      }
    }
  }

  /** PodClaimIsStale: a claim of this pod still belongs to an earlier pod of the same name (and will be garbage collected). */
  podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const cached = this.claims.get(set.metadata?.namespace, claim.metadata!.name!);
      if (cached && !cached.metadata?.deletionTimestamp && hasStaleOwnerRef(cached, pod)) return true;
    }
    return false;
  }
}
