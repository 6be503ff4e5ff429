// Serves /openapi/v2 and /openapi/v3 the way kube-openapi's handlers do. Pure: the
// HTTP layer passes the path, query and the request's Accept / If-None-Match
// headers, and writes back what this returns (gzip and HEAD are its business).
//
// - /openapi/v2: JSON, or gnostic protobuf when Accept asks for
//   application/com.github.proto-openapi.spec.v2[@.]v1.0+protobuf (client-go only
//   ever asks for protobuf there). Unmatched Accept → 406.
// - /openapi/v3: the index {"paths": {"apis/apps/v1": {"serverRelativeURL":
//   "/openapi/v3/apis/apps/v1?hash=<ETAG>"}, …}}.
// - /openapi/v3/<gv>: that group-version's document (JSON only). With a matching
//   ?hash=: Cache-Control "public, immutable" and Expires a year ahead; with a
//   stale hash: 301 to the current URL. Unknown group-version → 404.
// Every document carries ETag = "<uppercase hex SHA-512 of its JSON>"; an
// If-None-Match naming it gets 304. Paths outside /openapi/v2 and /openapi/v3[/…]
// return undefined (not ours).

import { createHash } from 'node:crypto';
import { buildV2, buildV3 } from './build.ts';
import { encodeV2Document } from './proto.ts';

export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Doc { json: Buffer; etag: string }

const PROTO_V2 = 'com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTO_V2_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';

let builtAt: Date | undefined;
let v2: (Doc & { proto?: Buffer }) | undefined;
let v3: Map<string, Doc> | undefined;
let v3Index: Doc | undefined;

function etagOf(b: Buffer): string {
  return createHash('sha512').update(b).digest('hex').toUpperCase();
}

function doc(obj: unknown): Doc {
  const json = Buffer.from(JSON.stringify(obj));
  return { json, etag: etagOf(json) };
}

function lastModified(): string {
  builtAt ??= new Date(Math.floor(Date.now() / 1000) * 1000);
  return builtAt.toUTCString();
}

function getV2(): Doc & { proto?: Buffer } {
  v2 ??= doc(buildV2());
  lastModified();
  return v2;
}

function getV2Proto(): Buffer {
  const d = getV2();
  d.proto ??= encodeV2Document(JSON.parse(d.json.toString('utf8')));
  return d.proto;
}

function getV3(): Map<string, Doc> {
  if (!v3) {
    v3 = new Map();
    for (const [k, d] of buildV3()) v3.set(k, doc(d));
    lastModified();
  }
  return v3;
}

/** The hash-qualified URL of a v3 document, as the index lists it. */
export function v3URL(gv: string): string | undefined {
  const d = getV3().get(gv);
  return d ? `/openapi/v3/${gv}?hash=${d.etag}` : undefined;
}

function getV3Index(): Doc {
  if (!v3Index) {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of getV3().keys()) paths[gv] = { serverRelativeURL: v3URL(gv) as string };
    v3Index = doc({ paths });
  }
  return v3Index;
}

interface Clause { type: string; subtype: string; q: number }

/** Accept header → clauses, best first (as goautoneg.ParseAccept orders them). */
export function parseAccept(accept: string | undefined): Clause[] {
  const header = accept && accept.trim() ? accept : '*/*';
  const out: (Clause & { i: number })[] = [];
  header.split(',').forEach((part, i) => {
    const [mt, ...params] = part.trim().split(';');
    if (!mt) return;
    const slash = mt.indexOf('/');
    const type = (slash < 0 ? mt : mt.slice(0, slash)).trim().toLowerCase();
    const subtype = (slash < 0 ? '*' : mt.slice(slash + 1)).trim().toLowerCase();
    let qv = 1;
    for (const p of params) {
      const [k, v] = p.split('=').map((x) => x.trim());
      if (k === 'q' && v !== undefined) qv = Number(v);
    }
    if (!Number.isNaN(qv) && qv > 0) out.push({ type, subtype, q: qv, i });
  });
  out.sort((a, b) => b.q - a.q
    || Number(a.type === '*') - Number(b.type === '*')
    || Number(a.subtype === '*') - Number(b.subtype === '*')
    || a.i - b.i);
  return out;
}

function negotiate(accept: string | undefined, offers: string[]): string | undefined {
  for (const c of parseAccept(accept)) {
    for (const o of offers) {
      const [t, s] = o.split('/');
      if ((c.type === t || c.type === '*') && (c.subtype === s || c.subtype === '*')) return o;
    }
  }
  return undefined;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === `"${etag}"`;
  });
}

function serve(body: Buffer, etag: string, contentType: string, ifNoneMatch: string | undefined,
  extra: Record<string, string> = {}): OpenAPIResponse {
  const headers: Record<string, string> = {
    'Content-Type': contentType, 'Etag': `"${etag}"`, 'Last-Modified': lastModified(), ...extra,
  };
  if (etagMatches(ifNoneMatch, etag)) {
    delete headers['Content-Type'];
    return { status: 304, headers, body: Buffer.alloc(0) };
  }
  return { status: 200, headers, body };
}

function plain(status: number, text: string, headers: Record<string, string> = {}): OpenAPIResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: Buffer.from(text) };
}

/**
 * The answer to GET `path` (without query string), or undefined when `path` is
 * not an OpenAPI path. `ifNoneMatch` is the request's If-None-Match header.
 */
export function openapiResponse(path: string, query: URLSearchParams, accept: string | undefined,
  ifNoneMatch?: string): OpenAPIResponse | undefined {
  if (path === '/openapi/v2') {
    const chosen = negotiate(accept, ['application/json', `application/${PROTO_V2_DEPRECATED}`, `application/${PROTO_V2}`]);
    if (!chosen) return plain(406, 'Not Acceptable\n', { Vary: 'Accept' });
    const d = getV2();
    if (chosen === 'application/json') return serve(d.json, d.etag, 'application/json', ifNoneMatch, { Vary: 'Accept' });
    return serve(getV2Proto(), d.etag, `application/${PROTO_V2}`, ifNoneMatch, { Vary: 'Accept' });
  }
  if (path === '/openapi/v3') {
    const d = getV3Index();
    return serve(d.json, d.etag, 'application/json', ifNoneMatch);
  }
  if (path.startsWith('/openapi/v3/')) {
    const gv = path.slice('/openapi/v3/'.length);
    const d = getV3().get(gv);
    if (!d) return plain(404, `Cannot find CRD group ${gv}\n`);
    if (!negotiate(accept, ['application/json'])) return plain(406, 'Not Acceptable\n', { Vary: 'Accept' });
    const hash = query.get('hash');
    if (hash) {
      if (hash !== d.etag) {
        return { status: 301, headers: { Location: v3URL(gv) as string, Vary: 'Accept' }, body: Buffer.alloc(0) };
      }
      const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
      return serve(d.json, d.etag, 'application/json', ifNoneMatch, { 'Vary': 'Accept', 'Cache-Control': 'public, immutable', 'Expires': expires });
    }
    return serve(d.json, d.etag, 'application/json', ifNoneMatch, { Vary: 'Accept' });
  }
  return undefined;
}
