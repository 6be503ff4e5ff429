// RBAC's decision rules, as upstream's rbac authorizer applies them. Pure:
// objects in, answers out.
//
// - A rule matches a resource request when its verbs, apiGroups and resources
//   (with "*" wildcards and "<resource>/<subresource>", "*/<subresource>")
//   cover the request, and resourceNames is empty or names the object (so a
//   rule with resourceNames never matches list, watch, create or
//   deletecollection, which carry no name).
// - A rule matches a non-resource request when its verbs cover the verb and a
//   nonResourceURLs entry equals the path, or ends in "*" and prefixes it.
// - ClusterRoleBindings apply everywhere; RoleBindings in their namespace, to a
//   Role of that namespace or a ClusterRole.

export type Obj = Record<string, any>;  

/** One rule of a Role or ClusterRole (defined with the shared aggregation logic in api/). */
export type { PolicyRule } from '../../../api/rbac/aggregation.ts';
import type { PolicyRule } from '../../../api/rbac/aggregation.ts';

export interface Subject { kind: string; name: string; namespace?: string; apiGroup?: string }

export interface UserLike { username: string; groups: string[] }

export interface Attributes {
  user: UserLike;
  verb: string;
  /** Resource requests. */
  resourceRequest: boolean;
  namespace?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Non-resource requests. */
  path?: string;
}

const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));

export function verbMatches(r: PolicyRule, verb: string): boolean { return has(r.verbs, verb); }

export function apiGroupMatches(r: PolicyRule, group: string): boolean { return has(r.apiGroups, group); }

export function resourceMatches(r: PolicyRule, resource: string, subresource: string): boolean {
  const wanted = subresource ? `${resource}/${subresource}` : resource;
  for (const res of r.resources ?? []) {
    if (res === '*' || res === wanted) return true;
    if (subresource && res === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(r: PolicyRule, name: string): boolean {
  if (!r.resourceNames?.length) return true;
  return name !== '' && r.resourceNames.includes(name);
}

export function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, r: PolicyRule): boolean {
  if (a.resourceRequest) {
    return verbMatches(r, a.verb) && apiGroupMatches(r, a.apiGroup ?? '') &&
      resourceMatches(r, a.resource ?? '', a.subresource ?? '') && resourceNameMatches(r, a.name ?? '');
  }
  return verbMatches(r, a.verb) && nonResourceURLMatches(r, a.path ?? '');
}

export function subjectMatches(s: Subject, user: UserLike, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User': return s.name === user.username;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': {
      // A ServiceAccount subject without a namespace means the binding's (upstream defaults it so for RoleBindings).
      const ns = s.namespace || bindingNamespace;
      return !!ns && user.username === `system:serviceaccount:${ns}:${s.name}`;
    }
    default: return false;
  }
}

export function appliesTo(binding: Obj, user: UserLike): boolean {
  const ns = binding.metadata?.namespace ?? '';
  return ((binding.subjects ?? []) as Subject[]).some((s) => subjectMatches(s, user, ns));
}

// ---- escalation: does one set of rules cover another? ----------------------

/** One verb × group × resource × name (or verb × URL) permission. */
function atomize(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const r of rules) {
    for (const verb of r.verbs ?? []) {
      if (r.nonResourceURLs?.length) {
        for (const url of r.nonResourceURLs) out.push({ verbs: [verb], nonResourceURLs: [url] });
      }
      if (!r.resources?.length) continue;
      for (const g of r.apiGroups ?? []) {
        for (const res of r.resources) {
          if (r.resourceNames?.length) {
            for (const n of r.resourceNames) out.push({ verbs: [verb], apiGroups: [g], resources: [res], resourceNames: [n] });
          } else {
            out.push({ verbs: [verb], apiGroups: [g], resources: [res] });
          }
        }
      }
    }
  }
  return out;
}

function coversResource(owner: string[] | undefined, res: string): boolean {
  if (!owner) return false;
  if (owner.includes('*') || owner.includes(res)) return true;
  const slash = res.indexOf('/');
  return slash > 0 && owner.includes(`*${res.slice(slash)}`);
}

function coversURL(owner: string[] | undefined, url: string): boolean {
  for (const u of owner ?? []) {
    if (u === '*' || u === url) return true;
    if (u.endsWith('*') && url.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

function ruleCovers(owner: PolicyRule, req: PolicyRule): boolean {
  if (!has(owner.verbs, req.verbs[0]!)) return false;
  if (req.nonResourceURLs) return coversURL(owner.nonResourceURLs, req.nonResourceURLs[0]!);
  if (!has(owner.apiGroups, req.apiGroups![0]!) || !coversResource(owner.resources, req.resources![0]!)) return false;
  if (!owner.resourceNames?.length) return true;
  return !!req.resourceNames?.length && owner.resourceNames.includes(req.resourceNames[0]!);
}

/** The requested permissions that `owner` does not hold (empty: covered). */
export function uncoveredRules(owner: PolicyRule[], requested: PolicyRule[]): PolicyRule[] {
  return atomize(requested).filter((req) => !owner.some((o) => ruleCovers(o, req)));
}

/** Upstream's compact rule text, e.g. {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function describeRule(r: PolicyRule): string {
  const q = (l: string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
