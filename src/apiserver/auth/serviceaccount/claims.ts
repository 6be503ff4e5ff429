// The claims of bound service-account tokens (the TokenRequest API), as
// upstream writes and checks them: `sub` system:serviceaccount:<ns>:<name>, the
// `kubernetes.io` private claim naming the account and the object the token is
// bound to (Pod, Secret or Node), iss/aud/iat/nbf/exp/jti. Pure: time is a
// parameter; the look-ups of the named objects happen in authenticator.ts.

import * as crypto from 'node:crypto';
import type { JwtPayload } from './jwt.ts';

export const SA_PREFIX = 'system:serviceaccount:';
export const SA_GROUP = 'system:serviceaccounts';
/** Clock skew tolerated between the issuer and this server (go-jose's default leeway). */
export const LEEWAY_S = 60;

export interface ObjectRef { name: string; uid: string }

export interface TokenSubject {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface IssueParams extends TokenSubject {
  issuer: string;
  audiences: string[];
  nowS: number;
  expirationSeconds: number;
}

export function buildClaims(p: IssueParams): JwtPayload {
  const k8s: Record<string, unknown> = { namespace: p.namespace, serviceaccount: { name: p.serviceAccount.name, uid: p.serviceAccount.uid } };
  if (p.pod) k8s.pod = { name: p.pod.name, uid: p.pod.uid };
  if (p.secret) k8s.secret = { name: p.secret.name, uid: p.secret.uid };
  if (p.node) k8s.node = { name: p.node.name, uid: p.node.uid };
  return {
    aud: p.audiences, exp: p.nowS + p.expirationSeconds, iat: p.nowS, iss: p.issuer, jti: crypto.randomUUID(),
    'kubernetes.io': k8s, nbf: p.nowS, sub: `${SA_PREFIX}${p.namespace}:${p.serviceAccount.name}`,
  };
}

export type ClaimsResult = { ok: true; subject: TokenSubject; jti?: string; audiences: string[] } | { ok: false; error: string };

/**
 * Checks issuer, audience (one of `audiences` must be in `aud`), time window and
 * shape. `error` texts follow upstream's ("token has expired", "token audiences …
 * is invalid for the target audiences …").
 */
export function checkClaims(c: JwtPayload, opts: { issuers: string[]; audiences: string[]; nowS: number }): ClaimsResult {
  if (typeof c.iss !== 'string' || !opts.issuers.includes(c.iss)) return { ok: false, error: 'token issuer is not trusted' };
  const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud.filter((a): a is string => typeof a === 'string') : [];
  const matched = aud.filter((a) => opts.audiences.includes(a));
  if (!matched.length) {
    return { ok: false, error: `token audiences ${JSON.stringify(aud)} is invalid for the target audiences ${JSON.stringify(opts.audiences)}` };
  }
  if (typeof c.exp !== 'number' || opts.nowS > c.exp + LEEWAY_S) return { ok: false, error: 'service account token has expired' };
  if (typeof c.nbf === 'number' && opts.nowS < c.nbf - LEEWAY_S) return { ok: false, error: 'service account token is not valid yet' };
  if (typeof c.iat === 'number' && opts.nowS < c.iat - LEEWAY_S) return { ok: false, error: 'service account token issued in the future' };
  const k = c['kubernetes.io'] as Record<string, unknown> | undefined;
  const ref = (v: unknown): ObjectRef | undefined => {
    const o = v as { name?: unknown; uid?: unknown } | undefined;
    return o && typeof o.name === 'string' && typeof o.uid === 'string' ? { name: o.name, uid: o.uid } : undefined;
  };
  const sa = ref(k?.serviceaccount);
  const ns = k?.namespace;
  if (typeof ns !== 'string' || !sa || c.sub !== `${SA_PREFIX}${ns}:${sa.name}`) return { ok: false, error: 'service account token claims are malformed' };
  return {
    ok: true, audiences: matched, jti: typeof c.jti === 'string' ? c.jti : undefined,
    subject: { namespace: ns, serviceAccount: sa, pod: ref(k?.pod), secret: ref(k?.secret), node: ref(k?.node) },
  };
}
