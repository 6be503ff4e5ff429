// TaintToleration: NoSchedule/NoExecute taints a pod does not tolerate rule
// the node out; untolerated PreferNoSchedule taints lower its score.

import type { Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, SUCCESS as SUCCESS_, unresolvable, type Plugin } from '../types.ts';
import { firstUntolerated, tolerates } from './helpers.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const TAINT_TOLERATION = 'TaintToleration';
const STATE = 'PreScore/TaintToleration';

export const taintToleration: Plugin = {
  name: TAINT_TOLERATION,
  events: ['NodeAdd', 'NodeTaintChange'],
  filter(_state, pod, node) {
    const taint = firstUntolerated(node.taints, pod.pod.spec?.tolerations ?? [], ['NoSchedule', 'NoExecute']);
    if (!taint) return SUCCESS;
    return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
  preScore(state, pod) {
    // Only tolerations that can tolerate PreferNoSchedule matter for scoring.
    state.write(STATE, (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
    return SUCCESS;
  },
  score(state, _pod, node) {
    const tols = state.read<Toleration[]>(STATE) ?? [];
    let n = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule' && !tols.some((t) => tolerates(t, taint))) n++;
    }
    return n;
  },
  normalizeScore(_state, _pod, scores) { defaultNormalize(scores, true); },
};
