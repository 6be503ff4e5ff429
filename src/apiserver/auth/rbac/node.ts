// The Node authorizer (upstream plugin/pkg/auth/authorizer/node): node
// identities (system:node:<name> in group system:nodes) get the permissions
// of the system:node ClusterRole without any binding, except that reading
// Secrets, ConfigMaps, PersistentVolumeClaims and PersistentVolumes, and
// creating service-account tokens, is narrowed to what pods bound to that
// node use (node-graph.ts); Leases and CSINodes to the node's own. Anything
// refused here is "no opinion": RBAC may still grant it. What a node may
// write is narrowed further by the NodeRestriction admission plugin.

import { ruleAllows, type Attributes, type PolicyRule } from './rules.ts';
import type { RbacSource } from './resolver.ts';
import type { NodeGraph } from './node-graph.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export function isNode(user: { username: string; groups: string[] }): boolean {
  return user.groups.includes(NODES_GROUP) && user.username.startsWith(NODE_USER_PREFIX) && user.username.length > NODE_USER_PREFIX.length;
}

export interface NodeDecision { allowed: boolean; reason?: string }

const noOpinion = (reason: string): NodeDecision => ({ allowed: false, reason });
const ALLOW: NodeDecision = { allowed: true, reason: '' };

/** The Node authorizer's decision; `graph` absent: nothing is bound anywhere (narrowed reads are refused). */
export function nodeAuthorize(src: RbacSource, a: Attributes, graph?: NodeGraph): NodeDecision {
  if (!isNode(a.user)) return { allowed: false };
  const node = a.user.username.slice(NODE_USER_PREFIX.length);
  if (a.resourceRequest) {
    const group = a.apiGroup ?? '';
    const res = a.resource ?? '';
    if (group === '') {
      switch (res) {
        case 'secrets': return readNamespaced(node, 'secrets', a, graph);
        case 'configmaps': return readNamespaced(node, 'configmaps', a, graph);
        case 'persistentvolumeclaims':
          if (a.subresource === 'status') return statusUpdate(node, a, graph);
          return getOnly(a) ?? related(node, a, (g) => g.references(node, 'persistentvolumeclaims', a.namespace ?? '', a.name ?? ''), graph);
        case 'persistentvolumes':
          return getOnly(a) ?? related(node, a, (g) => g.referencesVolume(node, a.name ?? ''), graph);
        case 'serviceaccounts': return createToken(node, a, graph);
      }
    }
    if (group === 'coordination.k8s.io' && res === 'leases') return lease(node, a);
    if (group === 'storage.k8s.io' && res === 'csinodes') return csiNode(node, a);
  }
  const rules = (src.clusterRole('system:node')?.rules ?? []) as PolicyRule[];
  return rules.some((r) => ruleAllows(a, r)) ? ALLOW : { allowed: false };
}

/** Kept for callers that only need the yes/no. */
export function nodeAllows(src: RbacSource, a: Attributes, graph?: NodeGraph): boolean {
  return nodeAuthorize(src, a, graph).allowed;
}

function readNamespaced(node: string, kind: 'secrets' | 'configmaps', a: Attributes, graph?: NodeGraph): NodeDecision {
  if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
  if (a.subresource) return noOpinion('cannot read subresource');
  if (!a.namespace) return noOpinion('can only read namespaced object of this type');
  return related(node, a, (g) => g.references(node, kind, a.namespace ?? '', a.name ?? ''), graph);
}

function getOnly(a: Attributes): NodeDecision | undefined {
  if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
  if (a.subresource) return noOpinion('cannot get subresource');
  return undefined;
}

function statusUpdate(node: string, a: Attributes, graph?: NodeGraph): NodeDecision {
  if (!['update', 'patch'].includes(a.verb)) return noOpinion('can only get or update persistentvolumeclaim status');
  return related(node, a, (g) => g.references(node, 'persistentvolumeclaims', a.namespace ?? '', a.name ?? ''), graph);
}

function createToken(node: string, a: Attributes, graph?: NodeGraph): NodeDecision {
  if (a.verb !== 'create' || !a.name || a.subresource !== 'token') return noOpinion('can only create tokens for individual service accounts');
  return related(node, a, (g) => g.references(node, 'serviceaccounts', a.namespace ?? '', a.name ?? ''), graph);
}

/** A named object with a path to the node in the graph. */
function related(node: string, a: Attributes, has: (g: NodeGraph) => boolean, graph?: NodeGraph): NodeDecision {
  if (!a.name) return noOpinion('No Object name found');
  if (graph && has(graph)) return ALLOW;
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

function lease(node: string, a: Attributes): NodeDecision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the ${NODE_LEASE_NAMESPACE} namespace`);
  // A create carries no name in its URL; NodeRestriction checks the body's.
  if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
  return ALLOW;
}

function csiNode(node: string, a: Attributes): NodeDecision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
  if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
  if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access CSINode with the same name as the requesting node');
  return ALLOW;
}
