// The scale a pod's controller asks for: the denominator of percentage
// budgets and of maxUnavailable (upstream's getExpectedScale and its finders).
// Built-in controllers are read from the informer caches; any other kind
// through its scale subresource, so custom resources with a scale work too.

import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Lister } from '../../client/index.ts';
import { controllerOf } from '../replicaset/util.ts';

export interface ControllerAndScale { uid: string; scale: number }

/** A Scale (autoscaling/v1) of the object an owner reference names; undefined when it does not exist. Throws when the kind has no scale. */
export type ScaleGetter = (ref: OwnerReference, namespace: string) => Promise<{ uid?: string; replicas: number } | undefined>;

export interface FinderListers {
  replicaSets: Lister<ReplicaSet>;
  deployments: Lister<Deployment>;
  statefulSets: Lister<StatefulSet>;
  replicationControllers: Lister<ReplicationController>;
}

type Finder = (ref: OwnerReference, ns: string) => Promise<ControllerAndScale | undefined>;

function group(apiVersion: string | undefined): string {
  const i = (apiVersion ?? '').indexOf('/');
  return i < 0 ? '' : apiVersion!.slice(0, i);
}

/** Upstream's finders, in order: RC, Deployment (through its ReplicaSet), ReplicaSet, StatefulSet, then any scale. */
export function finders(l: FinderListers, getScale: ScaleGetter): Finder[] {
  const rc: Finder = async (ref, ns) => {
    if (ref.kind !== 'ReplicationController' || group(ref.apiVersion) !== '') return undefined;
    const o = l.replicationControllers.get(ns, ref.name);
    if (!o || o.metadata?.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: o.spec?.replicas ?? 1 };
  };
  const deployment: Finder = async (ref, ns) => {
    if (ref.kind !== 'ReplicaSet' || group(ref.apiVersion) !== 'apps') return undefined;
    const rs = l.replicaSets.get(ns, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    const dref = controllerOf(rs);
    if (!dref || dref.kind !== 'Deployment' || group(dref.apiVersion) !== 'apps') return undefined;
    const d = l.deployments.get(ns, dref.name);
    if (!d || d.metadata?.uid !== dref.uid) return undefined;
    return { uid: dref.uid, scale: d.spec?.replicas ?? 1 };
  };
  const replicaSet: Finder = async (ref, ns) => {
    if (ref.kind !== 'ReplicaSet' || group(ref.apiVersion) !== 'apps') return undefined;
    const rs = l.replicaSets.get(ns, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
    // A Deployment's ReplicaSet counts through its Deployment (above), never alone.
    if (controllerOf(rs)?.kind === 'Deployment') return undefined;
    return { uid: ref.uid, scale: rs.spec?.replicas ?? 1 };
  };
  const statefulSet: Finder = async (ref, ns) => {
    if (ref.kind !== 'StatefulSet' || group(ref.apiVersion) !== 'apps') return undefined;
    const s = l.statefulSets.get(ns, ref.name);
    if (!s || s.metadata?.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: s.spec?.replicas ?? 1 };
  };
  const scale: Finder = async (ref, ns) => {
    const s = await getScale(ref, ns);
    if (!s || s.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: s.replicas };
  };
  return [rc, deployment, replicaSet, statefulSet, scale];
}

/**
 * getExpectedScale: the sum of the scales of the pods' controllers, each
 * counted once; pods without a controller are listed as unmanaged. A pod whose
 * controller cannot be found is an error (the budget then fails safe).
 */
export async function expectedScale(pods: Pod[], find: Finder[]): Promise<{ expected: number; unmanagedPods: string[] }> {
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) { unmanagedPods.push(pod.metadata?.name ?? ''); continue; }
    if (scales.has(ref.uid)) continue;
    let found: ControllerAndScale | undefined;
    for (const f of find) {
      found = await f(ref, pod.metadata?.namespace ?? '');
      if (found) break;
    }
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const n of scales.values()) expected += n;
  return { expected, unmanagedPods };
}
