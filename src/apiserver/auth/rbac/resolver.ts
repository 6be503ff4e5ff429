// Which rules apply to a user where: the bindings that name the user (or a
// group of theirs, or their service account) and the roles they refer to.
// Reads a RbacSource (the live index in the apiserver, plain maps in tests).

import { appliesTo, ruleAllows, type Attributes, type Obj, type PolicyRule, type UserLike } from './rules.ts';

export interface RbacSource {
  role(namespace: string, name: string): Obj | undefined;
  clusterRole(name: string): Obj | undefined;
  roleBindings(namespace: string): Iterable<Obj>;
  clusterRoleBindings(): Iterable<Obj>;
}

export class RuleResolver {
  constructor(private readonly src: RbacSource) {}

  /** The rules a roleRef grants; undefined when the role does not exist. */
  roleRefRules(roleRef: Obj | undefined, namespace: string): PolicyRule[] | undefined {
    if (!roleRef?.name) return undefined;
    const role = roleRef.kind === 'ClusterRole' ? this.src.clusterRole(roleRef.name)
      : roleRef.kind === 'Role' ? this.src.role(namespace, roleRef.name) : undefined;
    return role ? (role.rules ?? []) as PolicyRule[] : undefined;
  }

  /** Whether some binding grants the request (RBAC only allows; it never denies). */
  allows(a: Attributes): boolean {
    for (const b of this.src.clusterRoleBindings()) {
      if (!appliesTo(b, a.user)) continue;
      const rules = this.roleRefRules(b.roleRef, '');
      if (rules?.some((r) => ruleAllows(a, r))) return true;
    }
    if (a.namespace) {
      for (const b of this.src.roleBindings(a.namespace)) {
        if (!appliesTo(b, a.user)) continue;
        const rules = this.roleRefRules(b.roleRef, a.namespace);
        if (rules?.some((r) => ruleAllows(a, r))) return true;
      }
    }
    return false;
  }

  /** Every rule the user holds in `namespace` ('' : cluster-wide only), as SelfSubjectRulesReview lists them. */
  rulesFor(user: UserLike, namespace: string): PolicyRule[] {
    const out: PolicyRule[] = [];
    for (const b of this.src.clusterRoleBindings()) {
      if (appliesTo(b, user)) out.push(...(this.roleRefRules(b.roleRef, '') ?? []));
    }
    if (namespace) {
      for (const b of this.src.roleBindings(namespace)) {
        if (appliesTo(b, user)) out.push(...(this.roleRefRules(b.roleRef, namespace) ?? []));
      }
    }
    return out;
  }
}
