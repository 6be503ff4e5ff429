// NodeAffinity: spec.nodeSelector and required node affinity filter nodes;
// preferred terms score them (sum of the weights of matching terms, scaled to 0..100).

import { defaultNormalize, SUCCESS as SUCCESS_, unresolvable, type Plugin } from '../types.ts';
import { podMatchesNodeSelectorAndAffinity, termMatchesNode } from './helpers.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export const nodeAffinity: Plugin = {
  name: NODE_AFFINITY,
  events: ['NodeAdd', 'NodeLabelChange'],
  filter(_state, pod, node) {
    return podMatchesNodeSelectorAndAffinity(pod.pod, node.node!) ? SUCCESS : unresolvable(ERR_NODE_AFFINITY);
  },
  score(_state, pod, node) {
    let score = 0;
    for (const t of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (t.weight && termMatchesNode(t.preference, node.node!)) score += t.weight;
    }
    return score;
  },
  normalizeScore(_state, _pod, scores) { defaultNormalize(scores, false); },
};
