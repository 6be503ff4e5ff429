// Impersonation (kubectl --as / --as-group / --as-uid): a request may act as
// another user when its real user holds the `impersonate` verb on that user,
// each group, uid and extra, as upstream checks them. The request then runs
// entirely as the impersonated user (authorization included).

import type { IncomingMessage } from 'node:http';
import { ApiError } from '../../base/errors.ts';
import type { UserInfo } from './authn.ts';
import { forbidden, type Authorizer } from './rbac/authorizer.ts';
import type { Attributes } from './rbac/rules.ts';

const SA_PREFIX = 'system:serviceaccount:';

function headerList(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** The user the request acts as: `user`, or the one it impersonates (after checking it may). */
export function impersonate(req: IncomingMessage, user: UserInfo, authz: Authorizer): UserInfo {
  const name = req.headers['impersonate-user'];
  const groups = headerList(req, 'impersonate-group');
  const uid = req.headers['impersonate-uid'];
  const extraKeys = Object.keys(req.headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (name === undefined && !groups.length && uid === undefined && !extraKeys.length) return user;
  if (typeof name !== 'string' || name === '') {
    throw ApiError.badRequest('requested impersonation of groups, uid or extra without impersonating a user');
  }
  const check = (a: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>): void => {
    const attrs: Attributes = { user, verb: 'impersonate', resourceRequest: true, ...a };
    if (!authz.authorize(attrs).allowed) throw forbidden(attrs);
  };
  let impGroups: string[];
  if (name.startsWith(SA_PREFIX)) {
    const [ns, sa] = name.slice(SA_PREFIX.length).split(':');
    check({ apiGroup: '', resource: 'serviceaccounts', namespace: ns, name: sa });
    impGroups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`];
  } else {
    check({ apiGroup: '', resource: 'users', name });
    impGroups = [];
  }
  for (const g of groups) check({ apiGroup: '', resource: 'groups', name: g });
  if (typeof uid === 'string') check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  const extra: Record<string, string[]> = {};
  for (const h of extraKeys) {
    const key = decodeURIComponent(h.slice('impersonate-extra-'.length));
    for (const v of headerList(req, h)) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
    extra[key] = headerList(req, h);
  }
  const all = [...groups, ...impGroups.filter((g) => !groups.includes(g))];
  const anonymous = name === 'system:anonymous';
  const implied = anonymous ? 'system:unauthenticated' : 'system:authenticated';
  if (!all.includes(implied)) all.push(implied);
  return { username: name, groups: all, ...(typeof uid === 'string' ? { uid } : {}), ...(extraKeys.length ? { extra } : {}) };
}
