// Node identities (system:node:<name> in group system:nodes) get the
// permissions of the system:node ClusterRole, as upstream's Node authorizer
// grants them without any RoleBinding. Not yet like upstream: it does not
// narrow Secrets/ConfigMaps/PVCs to the pods bound to the node, and there is no
// NodeRestriction admission (a node may modify other nodes' objects).

import { ruleAllows, type Attributes, type PolicyRule } from './rules.ts';
import type { RbacSource } from './resolver.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

export function isNode(user: { username: string; groups: string[] }): boolean {
  return user.groups.includes(NODES_GROUP) && user.username.startsWith(NODE_USER_PREFIX) && user.username.length > NODE_USER_PREFIX.length;
}

export function nodeAllows(src: RbacSource, a: Attributes): boolean {
  if (!isNode(a.user)) return false;
  const rules = (src.clusterRole('system:node')?.rules ?? []) as PolicyRule[];
  return rules.some((r) => ruleAllows(a, r));
}
