// NodeName: a pod naming a node in spec.nodeName fits only that node.

import { SUCCESS as SUCCESS_, unresolvable, type Plugin } from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const NODE_NAME = 'NodeName';
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

export const nodeName: Plugin = {
  name: NODE_NAME,
  events: ['NodeAdd'],
  filter(_state, pod, node) {
    const want = pod.pod.spec?.nodeName;
    return !want || want === node.name ? SUCCESS : unresolvable(ERR_NODE_NAME);
  },
};
