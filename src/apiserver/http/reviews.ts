// The review resources: questions about the requester, answered at once and
// never stored. `kubectl auth whoami` posts a SelfSubjectReview; `kubectl auth
// can-i` a SelfSubjectAccessReview (or a rules review with --list).
//
// Access reviews ask the cluster's authorizer (RBAC) the same question a
// request would; rules reviews list what RBAC grants.

import type { Authorizer } from '../auth/rbac/authorizer.ts';
import type { Attributes } from '../auth/rbac/rules.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { UserInfo } from '../registry/strategy.ts';
import { rfc3339, type Obj } from '../registry/codec.ts';

function attributesFromSpec(user: { username: string; groups: string[] }, spec: Obj): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user, verb: String(r.verb ?? ''), resourceRequest: true, namespace: r.namespace ?? '', apiGroup: r.group ?? '',
      resource: r.resource ?? '', subresource: r.subresource ?? '', name: r.name ?? '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return { user, verb: String(n.verb ?? ''), resourceRequest: false, path: n.path ?? '' };
}

function decide(authz: Authorizer, user: { username: string; groups: string[] }, spec: Obj): Obj {
  const d = authz.authorize(attributesFromSpec(user, spec));
  return d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
}

function userInfoOf(u: UserInfo & { extra?: Record<string, string[]> }): Obj {
  const out: Obj = { username: u.username, groups: u.groups };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The response object for a review POST, or throws ApiError for a malformed body. */
export function answerReview(res: ResourceInfo, body: Obj, user: UserInfo, namespace: string, now: Date, authz: Authorizer): Obj {
  const base: Obj = {
    kind: res.kind, apiVersion: `${res.group}/${res.version}`,
    metadata: { ...(body.metadata ?? {}), creationTimestamp: rfc3339(now) },
    spec: body.spec,
  };
  delete base.metadata.resourceVersion;
  switch (res.kind) {
    case 'SelfSubjectReview':
      delete base.spec;
      return { ...base, status: { userInfo: userInfoOf(user) } };
    case 'SelfSubjectAccessReview':
      requireAttributes(res, body);
      return { ...base, status: decide(authz, user, body.spec) };
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      requireAttributes(res, body);
      if (!body.spec.user && !(Array.isArray(body.spec.groups) && body.spec.groups.length)) {
        throw ApiError.invalid(res.kind, res.group, '', [{ type: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
      }
      if (res.kind === 'LocalSubjectAccessReview' && body.spec.resourceAttributes?.namespace && body.spec.resourceAttributes.namespace !== namespace) {
        throw ApiError.invalid(res.kind, res.group, '', [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: `Invalid value: "${String(body.spec.resourceAttributes.namespace)}": must match metadata.namespace` }]);
      }
      return { ...base, status: decide(authz, { username: body.spec.user ?? '', groups: body.spec.groups ?? [] }, body.spec) };
    }
    case 'SelfSubjectRulesReview':
      return { ...base, status: authz.rulesFor(user, body.spec?.namespace ?? '') };
    default:
      throw ApiError.methodNotAllowed();
  }
}

function requireAttributes(res: ResourceInfo, body: Obj): void {
  const spec = body?.spec;
  const hasRes = !!spec?.resourceAttributes, hasNonRes = !!spec?.nonResourceAttributes;
  if (hasRes === hasNonRes) {
    throw ApiError.invalid(res.kind, res.group, '', [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
}

/**
 * Who a bearer token belongs to, for the audiences asked (empty: the API
 * server's own). `error` when it is not valid. Wired by the server from its
 * token authenticators.
 */
export type TokenReviewer = (token: string, audiences: string[]) => Promise<{ user?: UserInfo & { extra?: Record<string, string[]> }; audiences?: string[]; error?: string }>;

/** authentication.k8s.io/v1 TokenReview: never stored; the status says whether the token authenticates. */
export async function answerTokenReview(body: Obj, reviewer: TokenReviewer | undefined, now: Date): Promise<Obj> {
  const token = body?.spec?.token;
  if (typeof token !== 'string' || token === '') {
    throw ApiError.invalid('TokenReview', 'authentication.k8s.io', '', [{ type: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }]);
  }
  const audiences: string[] = Array.isArray(body.spec.audiences) ? body.spec.audiences.filter((a: unknown) => typeof a === 'string') : [];
  const r = reviewer ? await reviewer(token, audiences) : { error: 'token authentication is not configured' };
  const base: Obj = {
    kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...(body.metadata ?? {}), creationTimestamp: rfc3339(now) },
    spec: body.spec,
  };
  delete base.metadata.resourceVersion;
  if (!r.user) return { ...base, status: { user: {}, error: r.error ?? 'invalid bearer token' } };
  const user: Obj = userInfoOf(r.user);
  return { ...base, status: { authenticated: true, user, ...(r.audiences ? { audiences: r.audiences } : {}) } };
}
