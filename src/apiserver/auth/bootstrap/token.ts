// Bootstrap tokens (upstream's cluster-bootstrap/token): short-lived bearer
// tokens `<id>.<secret>` that let a new node authenticate just long enough to
// ask for its own client certificate. Each lives in a Secret of type
// bootstrap.kubernetes.io/token named bootstrap-token-<id> in kube-system;
// deleting the Secret revokes the token, and its `expiration` ends it.

import * as crypto from 'node:crypto';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAP_DEFAULT_GROUP = 'system:bootstrappers';
/** The extra group `pilot token create` gives its tokens (kubeadm's is system:bootstrappers:kubeadm:default-node-token). */
export const PILOT_DEFAULT_NODE_TOKEN_GROUP = 'system:bootstrappers:pilot:default-node-token';

/** Data keys of the Secret, as upstream names them. */
export const KEYS = {
  tokenId: 'token-id',
  tokenSecret: 'token-secret',
  expiration: 'expiration',
  description: 'description',
  usageAuthentication: 'usage-bootstrap-authentication',
  usageSigning: 'usage-bootstrap-signing',
  extraGroups: 'auth-extra-groups',
} as const;

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ID_RE = /^[a-z0-9]{6}$/;
const SECRET_RE = /^[a-z0-9]{16}$/;
/** Upstream's BootstrapGroupPattern: extra groups must sit under system:bootstrappers:. */
const GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface TokenParts { id: string; secret: string }

/** `<id>.<secret>` split, or undefined when the text is not shaped like a bootstrap token. */
export function parseToken(token: string): TokenParts | undefined {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function isValidTokenId(id: string): boolean { return ID_RE.test(id); }

/** Rejects an extra group outside system:bootstrappers: (a token must not claim system:masters). */
export function validateExtraGroup(g: string): string | undefined {
  return GROUP_RE.test(g) ? undefined : `${JSON.stringify(g)} (must match ${GROUP_RE.source})`;
}

/** A fresh random token: 6 + 16 characters of [a-z0-9], unbiased. */
export function generateToken(random: (n: number) => Buffer = crypto.randomBytes): TokenParts {
  const pick = (n: number): string => {
    let out = '';
    while (out.length < n) {
      for (const b of random(n * 2)) {
        // 252 = 7 × 36: bytes above it would favour the first letters.
        if (b < 252 && out.length < n) out += ALPHABET[b % 36];
      }
    }
    return out;
  };
  return { id: pick(6), secret: pick(16) };
}

export function secretName(id: string): string { return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`; }

export interface SecretLike {
  type?: string;
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** The Secret's value for `key`, decoded (stringData too: a Secret made but not yet normalised). */
export function secretValue(s: SecretLike, key: string): string | undefined {
  const v = s.data?.[key];
  if (v !== undefined) return Buffer.from(v, 'base64').toString('utf8');
  return s.stringData?.[key];
}

/**
 * When the token expires (ms since the epoch), undefined when it never does,
 * or NaN when the expiration is not RFC 3339 (upstream treats that as expired).
 */
export function expirationOf(s: SecretLike): number | undefined {
  const v = secretValue(s, KEYS.expiration);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return NaN;
  return Date.parse(v);
}

export function isExpired(s: SecretLike, nowMs: number): boolean {
  const exp = expirationOf(s);
  if (exp === undefined) return false;
  return Number.isNaN(exp) || exp <= nowMs;
}

/** The auth-extra-groups, comma-separated in the Secret; an invalid one makes the token unusable. */
export function extraGroupsOf(s: SecretLike): { groups: string[]; error?: string } {
  const raw = secretValue(s, KEYS.extraGroups) ?? '';
  const groups = raw.split(',').map((g) => g.trim()).filter((g) => g !== '');
  for (const g of groups) {
    const err = validateExtraGroup(g);
    if (err) return { groups: [], error: `invalid auth-extra-groups ${err}` };
  }
  return { groups };
}

/** RFC 3339 without fractions, as Go's time.RFC3339 prints UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Secret that holds a token (upstream's layout, as kubeadm writes it). */
export function tokenSecret(t: TokenParts, opts: { expiresAtMs?: number; description?: string; extraGroups?: string[]; usages?: ('authentication' | 'signing')[] }): SecretLike & { apiVersion: string; kind: string } {
  const usages = opts.usages ?? ['authentication', 'signing'];
  const data: Record<string, string> = {
    [KEYS.tokenId]: t.id,
    [KEYS.tokenSecret]: t.secret,
  };
  if (opts.description) data[KEYS.description] = opts.description;
  if (opts.expiresAtMs !== undefined) data[KEYS.expiration] = rfc3339(opts.expiresAtMs);
  if (usages.includes('authentication')) data[KEYS.usageAuthentication] = 'true';
  if (usages.includes('signing')) data[KEYS.usageSigning] = 'true';
  if (opts.extraGroups?.length) data[KEYS.extraGroups] = opts.extraGroups.join(',');
  return {
    apiVersion: 'v1', kind: 'Secret', type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    metadata: { name: secretName(t.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}
