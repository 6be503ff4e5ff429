// VolumeBinding (basics): a pod's PersistentVolumeClaims must exist and be
// bound, and a bound volume's node affinity must admit the node (a local PV
// pins its pods to its node). Dynamic provisioning and delayed binding
// (WaitForFirstConsumer) are not done here: an unbound claim keeps the pod
// pending until the claim is bound.

import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { SKIP, SUCCESS as SUCCESS_, unresolvable, type Plugin } from '../types.ts';
import { nodeSelectorMatches } from './helpers.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const VOLUME_BINDING = 'VolumeBinding';
export const ERR_UNBOUND_CLAIMS = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
const STATE = 'PreFilter/VolumeBinding';

export const volumeBinding: Plugin = {
  name: VOLUME_BINDING,
  events: ['NodeAdd', 'NodeLabelChange', 'PersistentVolumeChange', 'PersistentVolumeClaimChange'],
  preFilter(state, pod, snap) {
    const claims = (pod.pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((c): c is string => !!c);
    if (claims.length === 0) return SKIP;
    const ns = pod.pod.metadata?.namespace ?? '';
    const pvs: PersistentVolume[] = [];
    for (const name of claims) {
      const pvc = snap.pvc(ns, name);
      if (!pvc) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      const volumeName = pvc.spec?.volumeName;
      if (!volumeName) return unresolvable(ERR_UNBOUND_CLAIMS);
      const pv = snap.pv(volumeName);
      if (!pv) return unresolvable(`persistentvolume "${volumeName}" not found`);
      pvs.push(pv);
    }
    state.write(STATE, pvs);
    return SUCCESS;
  },
  filter(state, _pod, node) {
    for (const pv of state.read<PersistentVolume[]>(STATE) ?? []) {
      const req = pv.spec?.nodeAffinity?.required;
      if (req && !nodeSelectorMatches(req, node.node!)) return unresolvable(ERR_NODE_CONFLICT);
    }
    return SUCCESS;
  },
};
