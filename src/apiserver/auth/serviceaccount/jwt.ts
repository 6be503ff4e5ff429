// Compact JWS (JWT) signing and verification with ES256 on node:crypto —
// synchronous, so verification fits the request path without a library round
// trip. Only ES256 (the cluster's service-account key is ECDSA P-256) and RS256
// (keys a user brings) are accepted; `none` and anything else is refused.

import * as crypto from 'node:crypto';

export type JwtPayload = Record<string, unknown>;

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Upstream's key id: base64url(SHA-256(DER SubjectPublicKeyInfo)), so tools comparing kids agree. */
export function keyIdOf(publicKey: crypto.KeyObject): string {
  return b64url(crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest());
}

export function algOf(key: crypto.KeyObject): 'ES256' | 'RS256' {
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new Error(`unsupported service-account key type ${key.asymmetricKeyType}`);
}

export function signJwt(payload: JwtPayload, privateKey: crypto.KeyObject): string {
  const pub = crypto.createPublicKey(privateKey);
  const alg = algOf(privateKey);
  const head = b64url(JSON.stringify({ alg, kid: keyIdOf(pub) }));
  const body = b64url(JSON.stringify(payload));
  const data = `${head}.${body}`;
  const sig = crypto.sign('sha256', Buffer.from(data), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${data}.${b64url(sig)}`;
}

/** Whether `token` looks like a JWT at all (three base64url parts, JSON header with alg). Cheap. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const h = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof h.alg === 'string';
  } catch {
    return false;
  }
}

/**
 * The payload of a token signed by one of `keys`, or undefined (bad format,
 * unknown algorithm, or a signature none of the keys made). Claims are NOT
 * checked here (claims.ts does).
 */
export function verifyJwt(token: string, keys: crypto.KeyObject[]): JwtPayload | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const sig = Buffer.from(s, 'base64url');
  const data = Buffer.from(`${h}.${p}`);
  for (const key of keys) {
    const alg = algOf(key);
    if (header.alg !== alg) continue;
    if (typeof header.kid === 'string' && header.kid !== '' && header.kid !== keyIdOf(key)) continue;
    const ok = crypto.verify('sha256', data, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (ok) return payload as JwtPayload;
  }
  return undefined;
}

/** The JWKS document entry for a public key (RFC 7517), as /openid/v1/jwks serves it. */
export function jwkOf(publicKey: crypto.KeyObject): Record<string, string> {
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { use: 'sig', kty: jwk.kty!, kid: keyIdOf(publicKey), alg: algOf(publicKey), ...(jwk.crv ? { crv: jwk.crv, x: jwk.x!, y: jwk.y! } : { n: jwk.n!, e: jwk.e! }) };
}
