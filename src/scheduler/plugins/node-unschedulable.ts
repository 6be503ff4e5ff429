// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that
// tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.

import { SUCCESS as SUCCESS_, unresolvable, type Plugin } from '../types.ts';
import { tolerates } from './helpers.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: Plugin = {
  name: NODE_UNSCHEDULABLE,
  events: ['NodeAdd', 'NodeSpecUnschedulableChange', 'NodeTaintChange'],
  filter(_state, pod, node) {
    if (!node.node?.spec?.unschedulable) return SUCCESS;
    const tolerated = (pod.pod.spec?.tolerations ?? []).some((t) => tolerates(t, TAINT));
    return tolerated ? SUCCESS : unresolvable(ERR_NODE_UNSCHEDULABLE);
  },
};
