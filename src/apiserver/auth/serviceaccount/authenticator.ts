// Bearer tokens that are service-account JWTs: signature by one of the
// cluster's service-account keys, claims (claims.ts), then — as upstream's
// validator does — the objects the token names must still exist with the same
// UIDs: the ServiceAccount, and the Pod/Secret/Node it is bound to (a pod that
// is gone, or being deleted past its grace, ends its tokens at once).

import type * as crypto from 'node:crypto';
import type { UserInfo, TokenAuthenticator } from '../authn.ts';
import { checkClaims, SA_GROUP, SA_PREFIX, type TokenSubject } from './claims.ts';
import { looksLikeJwt, verifyJwt } from './jwt.ts';

export type ObjectGetter = (kind: 'ServiceAccount' | 'Pod' | 'Secret' | 'Node', namespace: string, name: string)
  => Promise<{ metadata?: { uid?: string; deletionTimestamp?: string } } | undefined>;

export interface ServiceAccountAuthOptions {
  /** Verification keys (the signing key's public half first). */
  keys: crypto.KeyObject[];
  /** Accepted `iss` values (upstream: every --service-account-issuer). */
  issuers: string[];
  /** Accepted audiences (upstream --api-audiences; default: the issuer). */
  audiences: string[];
  getObject: ObjectGetter;
  now?: () => number;
}

export type SaTokenResult = { user: UserInfo; audiences: string[] } | { error: string } | undefined;

export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly opts: ServiceAccountAuthOptions) {}

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const r = await this.review(token, this.opts.audiences);
    return r && 'user' in r ? r.user : undefined;
  }

  /**
   * The user behind `token` for the given audiences, an error text (a
   * service-account token that is no longer, or not here, valid), or undefined
   * (not a token of ours). TokenReview reports the error text.
   */
  async review(token: string, audiences: string[]): Promise<SaTokenResult> {
    if (!looksLikeJwt(token)) return undefined;
    const payload = verifyJwt(token, this.opts.keys);
    if (!payload) return undefined;
    const now = Math.floor((this.opts.now ?? Date.now)() / 1000);
    const c = checkClaims(payload, { issuers: this.opts.issuers, audiences, nowS: now });
    if (!c.ok) return { error: c.error };
    const bad = await this.boundObjectsProblem(c.subject, now);
    if (bad) return { error: bad };
    return { user: userOf(c.subject, c.jti), audiences: c.audiences };
  }

  private async boundObjectsProblem(s: TokenSubject, nowS: number): Promise<string | undefined> {
    const sa = await this.opts.getObject('ServiceAccount', s.namespace, s.serviceAccount.name);
    if (!sa) return `serviceaccounts "${s.serviceAccount.name}" not found`;
    if (sa.metadata?.uid !== s.serviceAccount.uid) {
      return `service account UID (${s.serviceAccount.uid}) does not match claim (${String(sa.metadata?.uid)})`;
    }
    const checks: [ 'Pod' | 'Secret' | 'Node', string, { name: string; uid: string } | undefined][] = [
      ['Pod', s.namespace, s.pod], ['Secret', s.namespace, s.secret], ['Node', '', s.node],
    ];
    for (const [kind, ns, ref] of checks) {
      if (!ref) continue;
      const obj = await this.opts.getObject(kind, ns, ref.name);
      const plural = `${kind.toLowerCase()}s`;
      if (!obj) return `${plural} "${ref.name}" not found`;
      if (obj.metadata?.uid !== ref.uid) return `${kind.toLowerCase()} UID (${ref.uid}) does not match claim (${String(obj.metadata?.uid)})`;
      const del = obj.metadata?.deletionTimestamp ? Date.parse(obj.metadata.deletionTimestamp) / 1000 : undefined;
      // Upstream: tokens of a deleted object stop working (60 s of leeway for a pod's grace).
      if (del !== undefined && del + 60 < nowS) return `${kind} "${ref.name}" is marked for deletion`;
    }
    return undefined;
  }
}

function userOf(s: TokenSubject, jti: string | undefined): UserInfo {
  const extra: Record<string, string[]> = {};
  if (s.pod) { extra['authentication.kubernetes.io/pod-name'] = [s.pod.name]; extra['authentication.kubernetes.io/pod-uid'] = [s.pod.uid]; }
  if (s.node) { extra['authentication.kubernetes.io/node-name'] = [s.node.name]; extra['authentication.kubernetes.io/node-uid'] = [s.node.uid]; }
  if (jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${jti}`];
  return {
    username: `${SA_PREFIX}${s.namespace}:${s.serviceAccount.name}`, uid: s.serviceAccount.uid,
    groups: [SA_GROUP, `${SA_GROUP}:${s.namespace}`],
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
