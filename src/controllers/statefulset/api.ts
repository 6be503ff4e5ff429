// The API calls the StatefulSet controller makes; a fake records them in tests.

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { EventRecorder, RestClient } from '../../client/index.ts';

export interface StatefulSetApi {
  /** An uncached read (adoption recheck, status retry). */
  getStatefulSet(namespace: string, name: string): Promise<StatefulSet>;
  updateStatefulSetStatus(set: StatefulSet): Promise<StatefulSet>;
  createPod(namespace: string, pod: Pod): Promise<Pod>;
  getPod(namespace: string, name: string): Promise<Pod>;
  updatePod(pod: Pod): Promise<Pod>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** Strategic merge patch. */
  patchPod(namespace: string, name: string, patch: object): Promise<void>;
  createClaim(namespace: string, claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim>;
  updateClaim(claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim>;
  createRevision(namespace: string, cr: ControllerRevision): Promise<ControllerRevision>;
  getRevision(namespace: string, name: string): Promise<ControllerRevision>;
  updateRevision(cr: ControllerRevision): Promise<ControllerRevision>;
  deleteRevision(namespace: string, name: string): Promise<void>;
  /** Strategic merge patch. */
  patchRevision(namespace: string, name: string, patch: object): Promise<void>;
}

export function restStatefulSetApi(client: RestClient): StatefulSetApi {
  const sets = client.resource<StatefulSet>('apps/v1', 'StatefulSet');
  const pods = client.resource<Pod>('v1', 'Pod');
  const claims = client.resource<PersistentVolumeClaim>('v1', 'PersistentVolumeClaim');
  const revs = client.resource<ControllerRevision>('apps/v1', 'ControllerRevision');
  return {
    getStatefulSet: (ns, name) => sets.namespace(ns).get(name),
    updateStatefulSetStatus: (set) => sets.namespace(set.metadata!.namespace!).updateStatus(set),
    createPod: (ns, pod) => pods.namespace(ns).create(pod),
    getPod: (ns, name) => pods.namespace(ns).get(name),
    updatePod: (pod) => pods.namespace(pod.metadata!.namespace!).update(pod),
    deletePod: async (ns, name) => { await pods.namespace(ns).delete(name); },
    patchPod: async (ns, name, patch) => { await pods.namespace(ns).patch(name, 'strategic', patch); },
    createClaim: (ns, claim) => claims.namespace(ns).create(claim),
    updateClaim: (claim) => claims.namespace(claim.metadata!.namespace!).update(claim),
    createRevision: (ns, cr) => revs.namespace(ns).create(cr),
    getRevision: (ns, name) => revs.namespace(ns).get(name),
    updateRevision: (cr) => revs.namespace(cr.metadata!.namespace!).update(cr),
    deleteRevision: async (ns, name) => { await revs.namespace(ns).delete(name); },
    patchRevision: async (ns, name, patch) => { await revs.namespace(ns).patch(name, 'strategic', patch); },
  };
}

export type Recorder = Pick<EventRecorder, 'event' | 'eventf'>;
