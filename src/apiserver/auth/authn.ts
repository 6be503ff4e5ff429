// Authentication: who is making this request. Mirrors upstream's union of
// authenticators — client certificate first, then bearer tokens — with the same
// rules: the first that recognises the request wins; a bearer token that nothing
// recognises is a 401, never anonymous; authenticated users get the group
// `system:authenticated`.
//
// The https server must run with `requestCert: true, rejectUnauthorized: false,
// ca: [caPem]`, so a client without a certificate can still connect (and use a
// token), while `socket.authorized` tells whether the one it sent chains to our CA.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface Authenticator {
  /**
   * The user behind the request, or undefined when it must be answered 401
   * (credentials presented but not valid, or none presented and anonymous is off).
   * Cheap: it runs on every request (synchronous for certificates and static
   * tokens; service-account tokens look up the objects they are bound to).
   */
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined>;
  /** A bearer token alone, through the same token authenticators (TokenReview). */
  authenticateToken(token: string): Promise<UserInfo | undefined>;
}

/**
 * A source of users for bearer tokens. Returns undefined for a token it does not
 * recognise (the next one is tried). Service-account JWTs plug in here
 * (serviceaccount/authenticator.ts), as does TokenReview's answer.
 */
export interface TokenAuthenticator {
  authenticateToken(token: string): UserInfo | undefined | Promise<UserInfo | undefined>;
}

export interface AuthenticatorOptions {
  /** Upstream --token-auth-file: CSV lines `token,user,uid[,"group1,group2"]`. */
  tokenFile?: string;
  /** Tried after the token file, in order (service-account tokens go here). */
  tokenAuthenticators?: TokenAuthenticator[];
  /**
   * Upstream --anonymous-auth: a request with no credentials at all becomes
   * system:anonymous (group system:unauthenticated) instead of a 401. Default false.
   */
  anonymous?: boolean;
}

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
export const USER_ANONYMOUS = 'system:anonymous';
export const GROUP_MASTERS = 'system:masters';

export function createAuthenticator(opts: AuthenticatorOptions = {}): Authenticator {
  const tokenAuths: TokenAuthenticator[] = [];
  if (opts.tokenFile) tokenAuths.push(tokenFileAuthenticator(opts.tokenFile));
  tokenAuths.push(...(opts.tokenAuthenticators ?? []));

  // A TLS connection's certificate cannot change, and kubectl keeps connections
  // alive: decode it once per socket.
  const certUsers = new WeakMap<TLSSocket, UserInfo | null>();
  const userFromCert = (sock: TLSSocket): UserInfo | null => {
    let u = certUsers.get(sock);
    if (u === undefined) { u = certUser(sock); certUsers.set(sock, u); }
    return u;
  };

  const authenticateToken = async (token: string): Promise<UserInfo | undefined> => {
    if (token === '') return undefined;
    for (const a of tokenAuths) {
      const u = await a.authenticateToken(token);
      if (u) return withAuthenticatedGroup(u);
    }
    return undefined;
  };

  return {
    async authenticate(req) {
      const sock = req.socket as TLSSocket;
      if (sock.encrypted) {
        const u = userFromCert(sock);
        if (u) return withAuthenticatedGroup(u);
      }
      const token = bearerToken(req);
      if (token !== undefined) return authenticateToken(token);
      if (opts.anonymous) return { username: USER_ANONYMOUS, groups: [GROUP_UNAUTHENTICATED] };
      return undefined;
    },
    authenticateToken,
  };
}

/** CN → user name, O → groups, for a certificate that verified against the CA. */
function certUser(sock: TLSSocket): UserInfo | null {
  // `authorized` is false when no certificate was sent, when it does not chain to
  // the `ca` given to the server, when it has expired, or when it is not fit for
  // client authentication (OpenSSL checks the purpose).
  if (!sock.authorized) return null;
  const cert = sock.getPeerCertificate();
  if (!cert || !cert.subject) return null;
  const cn = first(cert.subject.CN);
  // Upstream: a certificate with an empty common name identifies nobody.
  if (!cn) return null;
  return { username: cn, groups: all(cert.subject.O) };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}

function withAuthenticatedGroup(u: UserInfo): UserInfo {
  if (u.groups.includes(GROUP_AUTHENTICATED)) return u;
  return { ...u, groups: [...u.groups, GROUP_AUTHENTICATED] };
}

const WS_TOKEN_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/**
 * The bearer token of a request: '' for a malformed one, undefined when the request
 * carries none. Browsers cannot set headers on WebSockets, so, like upstream, a
 * token may also come as a `Sec-WebSocket-Protocol` entry.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h !== undefined) {
    const parts = h.trim().split(/\s+/);
    if (parts[0]?.toLowerCase() === 'bearer') return parts.length === 2 ? parts[1]! : '';
    // Basic or other schemes are not ours; fall through as if absent.
  }
  const proto = req.headers['sec-websocket-protocol'];
  if (proto && req.headers.upgrade?.toLowerCase() === 'websocket') {
    for (const p of proto.split(',').map((s) => s.trim())) {
      if (p.startsWith(WS_TOKEN_PREFIX)) {
        try { return Buffer.from(p.slice(WS_TOKEN_PREFIX.length), 'base64url').toString('utf8'); } catch { return ''; }
      }
    }
  }
  return undefined;
}

/** Loads an upstream-format static token file. Errors name the file and line. */
export function tokenFileAuthenticator(file: string): TokenAuthenticator {
  return staticTokenAuthenticator(parseTokenFile(fs.readFileSync(file, 'utf8'), file));
}

export interface StaticToken { token: string; user: UserInfo }

/** Constant-time over the token's content: every entry is compared, by SHA-256 digest. */
export function staticTokenAuthenticator(tokens: StaticToken[]): TokenAuthenticator {
  const digest = (t: string): Buffer => crypto.createHash('sha256').update(t, 'utf8').digest();
  // Later lines win on duplicates, as upstream.
  const byDigest = new Map<string, { d: Buffer; user: UserInfo }>();
  for (const t of tokens) { const d = digest(t.token); byDigest.set(d.toString('hex'), { d, user: t.user }); }
  const entries = [...byDigest.values()];
  return {
    authenticateToken(token) {
      const d = digest(token);
      let found: UserInfo | undefined;
      for (const e of entries) if (crypto.timingSafeEqual(d, e.d)) found = e.user;
      return found ? { ...found, groups: [...found.groups] } : undefined;
    },
  };
}

/**
 * Parses `token,user,uid[,groups]` CSV (RFC 4180 quoting, as Go's encoding/csv).
 * Blank lines are skipped, as are records with an empty token; fewer than three
 * columns is an error, worded as upstream's.
 */
export function parseTokenFile(text: string, name = 'token file'): StaticToken[] {
  const out: StaticToken[] = [];
  for (const rec of parseCsv(text, name)) {
    if (rec.fields.length < 3) {
      throw new Error(`token file '${name}' must have at least 3 columns (token, user name, user uid), found ${rec.fields.length}`);
    }
    const [token, username, uid, groups] = rec.fields as [string, string, string, string | undefined];
    if (token === '') continue;
    // Upstream keeps an empty group name from an empty column; it names nothing, so drop it.
    const user: UserInfo = { username, groups: groups !== undefined ? groups.split(',').filter((g) => g !== '') : [] };
    if (uid !== '') user.uid = uid;
    out.push({ token, user });
  }
  return out;
}

function parseCsv(text: string, name: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let i = 0; let line = 1;
  const n = text.length;
  while (i < n) {
    // Skip empty lines, as encoding/csv does.
    if (text[i] === '\n') { i++; line++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') { i += 2; line++; continue; }
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new Error(`${name}:${startLine}: unterminated quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++; break;
          }
          if (c === '\n') line++;
          field += c; i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          throw new Error(`${name}:${line}: extraneous or missing " in quoted-field`);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new Error(`${name}:${line}: bare " in non-quoted-field`);
          field += text[i]; i++;
        }
      }
      fields.push(field);
      if (i < n && text[i] === ',') { i++; continue; }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') { i++; line++; }
    records.push({ line: startLine, fields });
  }
  return records;
}
