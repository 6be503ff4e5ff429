// The bootstrap token authenticator (upstream plugin/pkg/auth/authenticator/
// token/bootstrap): a bearer token `<id>.<secret>` is the user
// system:bootstrap:<id> in system:bootstrappers (plus the Secret's
// auth-extra-groups) while its Secret exists, is meant for authentication, is
// not being deleted and has not expired. Anything else about a well-formed
// token is a rejection (401), never a fall-through to other authenticators.

import * as crypto from 'node:crypto';
import type { TokenAuthenticator, UserInfo } from '../authn.ts';
import {
  BOOTSTRAP_DEFAULT_GROUP, BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_USER_PREFIX, KEYS,
  extraGroupsOf, isExpired, parseToken, secretName, secretValue, type SecretLike,
} from './token.ts';

/** Reads a Secret from the current state; undefined when absent. */
export type SecretGetter = (namespace: string, name: string) => Promise<SecretLike | undefined>;

export interface BootstrapAuthenticatorOptions {
  getSecret: SecretGetter;
  now?: () => number;
  /** Why a token was refused (debug logging): never the token itself. */
  onReject?: (tokenId: string, reason: string) => void;
}

export function bootstrapTokenAuthenticator(opts: BootstrapAuthenticatorOptions): TokenAuthenticator {
  const now = opts.now ?? Date.now;
  const reject = (id: string, reason: string): undefined => { opts.onReject?.(id, reason); return undefined; };
  return {
    async authenticateToken(token: string): Promise<UserInfo | undefined> {
      const parts = parseToken(token);
      if (!parts) return undefined;
      const s = await opts.getSecret(BOOTSTRAP_TOKEN_NAMESPACE, secretName(parts.id));
      if (!s) return reject(parts.id, 'no bootstrap token secret');
      if (s.metadata?.deletionTimestamp) return reject(parts.id, 'secret is being deleted');
      if (s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return reject(parts.id, `secret has type ${JSON.stringify(s.type ?? '')}`);
      const wantSecret = secretValue(s, KEYS.tokenSecret) ?? '';
      if (!constantTimeEqual(wantSecret, parts.secret)) return reject(parts.id, 'wrong token secret');
      if (secretValue(s, KEYS.tokenId) !== parts.id) return reject(parts.id, 'token id does not match the secret');
      if (isExpired(s, now())) return reject(parts.id, 'token has expired');
      if (secretValue(s, KEYS.usageAuthentication) !== 'true') return reject(parts.id, 'token is not meant for authentication');
      const extra = extraGroupsOf(s);
      if (extra.error) return reject(parts.id, extra.error);
      return { username: `${BOOTSTRAP_USER_PREFIX}${parts.id}`, groups: [BOOTSTRAP_DEFAULT_GROUP, ...extra.groups.filter((g) => g !== BOOTSTRAP_DEFAULT_GROUP)] };
    },
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  const da = crypto.createHash('sha256').update(a).digest();
  const db = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(da, db) && a.length === b.length;
}
