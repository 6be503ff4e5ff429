// NodePorts: a pod's hostPorts must be free on the node. 0.0.0.0 conflicts
// with every address for the same protocol and port.

import { SUCCESS as SUCCESS_, unschedulable, type Plugin } from '../types.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import type { HostPort } from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;

export const NODE_PORTS = 'NodePorts';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

function conflicts(hp: HostPort, node: NodeInfo): boolean {
  const used = node.usedPorts;
  if (used.size === 0) return false;
  if (hp.ip === '0.0.0.0') {
    const suffix = `/${hp.protocol}/${hp.port}`;
    for (const k of used.keys()) if (k.endsWith(suffix)) return true;
    return false;
  }
  return used.has(`${hp.ip}/${hp.protocol}/${hp.port}`) || used.has(`0.0.0.0/${hp.protocol}/${hp.port}`);
}

export const nodePorts: Plugin = {
  name: NODE_PORTS,
  events: ['NodeAdd', 'AssignedPodDelete'],
  filter(_state, pod, node) {
    for (const hp of pod.hostPorts) if (conflicts(hp, node)) return unschedulable(ERR_NODE_PORTS);
    return SUCCESS;
  },
};
