// Escalation prevention, as upstream's RBAC storage enforces it: you may only
// write a Role or ClusterRole whose permissions you already hold (or hold the
// `escalate` verb on it), and only bind a role whose permissions you hold (or
// hold `bind` on it). Setting an aggregationRule needs full authority, since
// it can gather anything. Members of system:masters are exempt.

import { ApiError } from '../../../base/errors.ts';
import { GROUP_MASTERS, type Authorizer } from './authorizer.ts';
import type { RuleResolver } from './resolver.ts';
import { describeRule, uncoveredRules, type Obj, type PolicyRule, type UserLike } from './rules.ts';

const RBAC = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

export class EscalationGuard {
  constructor(private readonly authorizer: Authorizer, private readonly resolver: RuleResolver) {}

  /** Throws 403 unless `user` may write this Role (plural 'roles') or ClusterRole ('clusterroles'). */
  checkRole(user: UserLike, role: Obj, plural: 'roles' | 'clusterroles'): void {
    if (user.groups.includes(GROUP_MASTERS)) return;
    const ns = plural === 'roles' ? role.metadata?.namespace ?? '' : '';
    const name = role.metadata?.name ?? '';
    if (this.authorizer.authorize({ user, verb: 'escalate', resourceRequest: true, apiGroup: RBAC, resource: plural, namespace: ns, name }).allowed) return;
    const held = this.resolver.rulesFor(user, ns);
    if (plural === 'clusterroles' && role.aggregationRule && uncoveredRules(held, FULL_AUTHORITY).length) {
      throw forbidden(plural, name, 'must have cluster-admin privileges to use the aggregationRule');
    }
    const missing = uncoveredRules(held, (role.rules ?? []) as PolicyRule[]);
    if (missing.length) throw forbidden(plural, name, notHeld(user, missing));
  }

  /** Throws 403 unless `user` may write this RoleBinding ('rolebindings') or ClusterRoleBinding. */
  checkBinding(user: UserLike, b: Obj, plural: 'rolebindings' | 'clusterrolebindings'): void {
    if (user.groups.includes(GROUP_MASTERS)) return;
    const ns = plural === 'rolebindings' ? b.metadata?.namespace ?? '' : '';
    const ref = b.roleRef ?? {};
    const refPlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (this.authorizer.authorize({ user, verb: 'bind', resourceRequest: true, apiGroup: RBAC, resource: refPlural, namespace: ns, name: ref.name }).allowed) return;
    const rules = this.resolver.roleRefRules(ref, ns);
    const name = b.metadata?.name ?? '';
    if (!rules) throw forbidden(plural, name, `${refPlural}.${RBAC} ${JSON.stringify(String(ref.name ?? ''))} not found`);
    const missing = uncoveredRules(this.resolver.rulesFor(user, ns), rules);
    if (missing.length) throw forbidden(plural, name, notHeld(user, missing));
  }
}

function notHeld(user: UserLike, missing: PolicyRule[]): string {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  return `user ${JSON.stringify(user.username)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join('\n')}`;
}

function forbidden(plural: string, name: string, why: string): ApiError {
  return ApiError.forbidden(`${plural}.${RBAC} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: RBAC, kind: plural });
}
