// Authorization: may this user do this? Like upstream's union of authorizers
// (--authorization-mode=Node,RBAC plus the privileged group): the first that
// allows wins; nobody allowing is a 403 with upstream's message.

import { ApiError } from '../../../base/errors.ts';
import type { RequestInfo } from '../../http/request-info.ts';
import type { Attributes, PolicyRule, UserLike } from './rules.ts';
import { RuleResolver, type RbacSource } from './resolver.ts';
import { nodeAuthorize } from './node.ts';
import type { NodeGraph } from './node-graph.ts';

/** Members may do anything, whatever RBAC says (upstream's privileged group). */
export const GROUP_MASTERS = 'system:masters';

export interface Authorizer {
  authorize(a: Attributes): { allowed: boolean; reason?: string };
  /** The rules the user holds in a namespace (SelfSubjectRulesReview). */
  rulesFor(user: UserLike, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[]; incomplete: boolean };
}

/** --authorization-mode=Node,RBAC with the privileged group: the cluster's authorizer. */
export class RbacAuthorizer implements Authorizer {
  readonly resolver: RuleResolver;

  /** `nodeGraph`: what pods bound to each node reference (Node authorizer); absent, nodes read no Secrets/ConfigMaps/claims. */
  constructor(private readonly src: RbacSource, readonly nodeGraph?: NodeGraph) { this.resolver = new RuleResolver(src); }

  authorize(a: Attributes): { allowed: boolean; reason?: string } {
    if (a.user.groups.includes(GROUP_MASTERS)) return { allowed: true, reason: '' };
    const node = nodeAuthorize(this.src, a, this.nodeGraph);
    if (node.allowed) return { allowed: true, reason: 'Node: allowed for node identities' };
    if (this.resolver.allows(a)) return { allowed: true, reason: 'RBAC: allowed by a binding' };
    // The Node authorizer's reason (e.g. "no relationship found …") ends upstream's 403 message.
    return { allowed: false, reason: node.reason ?? '' };
  }

  rulesFor(user: UserLike, namespace: string) {
    if (user.groups.includes(GROUP_MASTERS)) {
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
    }
    const rules = this.resolver.rulesFor(user, namespace);
    return {
      resourceRules: rules.filter((r) => r.resources?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) })),
      nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs! })),
      incomplete: false,
    };
  }
}

/** Anybody may do anything (authorization off: `--authorization-mode AlwaysAllow`). */
export const alwaysAllow: Authorizer = {
  authorize: () => ({ allowed: true }),
  rulesFor: () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  }),
};

/** The attributes of an HTTP request, as upstream derives them from its RequestInfo. */
export function attributesOf(user: UserLike, info: RequestInfo, method: string): Attributes {
  if (!info.isResourceRequest) return { user, verb: method.toLowerCase(), resourceRequest: false, path: info.path };
  return {
    user, verb: info.verb, resourceRequest: true, apiGroup: info.group, resource: info.resource, subresource: info.subresource, name: info.name,
    // A namespace is its own namespace: a RoleBinding there may grant reading it.
    namespace: info.resource === 'namespaces' && !info.namespace ? info.name : info.namespace,
  };
}

/** Upstream's 403 for a request nobody allowed. */
export function forbidden(a: Attributes, reason = ''): ApiError {
  const who = JSON.stringify(a.user.username);
  let msg: string;
  if (!a.resourceRequest) {
    msg = `User ${who} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  } else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource ?? '';
    msg = a.namespace
      ? `User ${who} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup ?? '')} in the namespace ${JSON.stringify(a.namespace)}`
      : `User ${who} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup ?? '')} at the cluster scope`;
  }
  if (reason) msg += `: ${reason}`;
  const qualified = a.resourceRequest ? (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource ?? '') : '';
  const subject = !qualified ? 'forbidden' : a.name ? `${qualified} ${JSON.stringify(a.name)} is forbidden` : `${qualified} is forbidden`;
  return ApiError.forbidden(`${subject}: ${msg}`, { name: a.name || undefined, group: a.apiGroup || undefined, kind: a.resource || undefined });
}
