// The request path: authenticate → route (health, version, OpenAPI,
// discovery, resources) → one central error handler that turns anything
// unexpected into a 500 Status and logs it.

import type { ServiceAccountTokens } from '../auth/serviceaccount/tokens.ts';
import type { TokenReviewer } from './reviews.ts';
import { attributesOf, forbidden, type Authorizer } from '../auth/rbac/authorizer.ts';
import { impersonate } from '../auth/impersonation.ts';
import type { Auditor } from '../audit/auditor.ts';
import type { InflightLimiter } from './inflight.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { ApiError, isApiError } from '../../base/errors.ts';
import type { Authenticator } from '../auth/authn.ts';
import { openapiResponse } from '../openapi/index.ts';
import { aggregatedDiscovery, apiGroupDoc, apiGroupList, apiResourceList, apiVersions } from '../discovery/index.ts';
import type { Registry } from '../registry/registry.ts';
import { apiRequestDuration, apiRequests, metricsRegistry } from '../../base/metrics.ts';
import { parseRequestInfo, type RequestInfo } from './request-info.ts';
import { negotiateOutput, type OutputFormat } from './negotiation.ts';
import { writeError, writeObject, writeText } from './respond.ts';
import { handleResource, notFoundPath } from './resources.ts';

export interface ApiHandlerOptions {
  registry: Registry;
  authenticator: Authenticator;
  /** Issues and verifies service-account tokens (TokenRequest, OIDC discovery). */
  serviceAccountTokens?: ServiceAccountTokens;
  /** TokenReview's answer: the status for a token and the audiences asked for. */
  tokenReview?: TokenReviewer;
  /** Max requests in flight (429 beyond); absent: unlimited. */
  inflight?: InflightLimiter;
  /** Authorization (RBAC); absent: every authenticated user may do everything. */
  authorizer?: Authorizer;
  /** Audit logging (--audit-policy-file, --audit-log-path); also sets the Audit-Id header. */
  audit?: Auditor;
  logger: Logger;
  /** host:port clients should use (discovery's serverAddressByClientCIDRs). */
  advertiseAddress: string;
  version: VersionInfo;
  now?: () => Date;
  /** Extra readiness checks (e.g. "the store answers"). */
  ready?: () => Promise<boolean>;
}

export interface VersionInfo {
  major: string; minor: string; gitVersion: string; gitCommit: string; gitTreeState: string;
  buildDate: string; goVersion: string; compiler: string; platform: string;
}

/** Paths anyone may read, as upstream's system:public-info-viewer role allows. */
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const now = opts.now ?? (() => new Date());
  return (req, res) => {
    const started = process.hrtime.bigint();
    let fmt: OutputFormat | undefined;
    let info: RequestInfo | undefined;
    const done = (): void => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (info?.isResourceRequest) {
        apiRequests.inc({ verb: info.verb, group: info.group, resource: info.resource, subresource: info.subresource, code: String(res.statusCode) });
        if (info.verb !== 'watch') apiRequestDuration.observe({ verb: info.verb, resource: info.resource }, ms / 1000);
      }
      opts.logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms }, 'request');
    };
    res.once('finish', done);
    const audit = opts.audit?.begin(req, res);
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      let user = await opts.authenticator.authenticate(req);
      audit?.authenticated(user);
      if (!user && !PUBLIC.has(path) && !path.startsWith('/healthz/') && !path.startsWith('/livez/') && !path.startsWith('/readyz/')) {
        throw ApiError.unauthorized();
      }
      if (user && opts.authorizer) {
        // Acting as someone else (kubectl --as) needs the right to; from here on the request is theirs.
        user = impersonate(req, user, opts.authorizer);
        audit?.impersonated(user);
      }
      // Parsed once: the in-flight limit, authorization and routing all read it.
      const reqInfo = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
      if (user && opts.inflight) {
        // Upstream's order: authentication, impersonation, in-flight limit, then authorization.
        const release = opts.inflight.acquire(reqInfo, user.groups);
        res.once('close', release);
      }
      if (user && opts.authorizer) {
        // Every authenticated request is authorized first, health checks included, as upstream.
        const attrs = attributesOf(user, reqInfo, req.method ?? 'GET');
        const decision = opts.authorizer.authorize(attrs);
        audit?.authorized(decision);
        if (!decision.allowed) throw forbidden(attrs, decision.reason);
      }
      if (path === '/healthz' || path === '/livez' || path.startsWith('/healthz/') || path.startsWith('/livez/')) {
        writeText(res, 200, 'ok');
        return;
      }
      if (path === '/readyz' || path.startsWith('/readyz/')) {
        const ok = opts.ready ? await opts.ready() : true;
        writeText(res, ok ? 200 : 500, ok ? 'ok' : '[-]storage failed: not ready\nreadyz check failed');
        return;
      }
      if (path === '/version') { writeObject(res, 200, opts.version, { kind: 'json' }, { pretty: true }); return; }
      if (path === '/openapi/v2' || path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
        const r = openapiResponse(path, url.searchParams, req.headers.accept, req.headers['if-none-match']);
        if (!r) throw notFoundPath();
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && r.body.length > 1024;
        const body = gzip ? gzipCached(r.body) : r.body;
        res.writeHead(r.status, { ...r.headers, 'Content-Length': String(body.length), ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (path === '/' ) {
        writeObject(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] }, { kind: 'json' }, { pretty: true });
        return;
      }
      if (opts.serviceAccountTokens && (path === '/.well-known/openid-configuration' || path === '/openid/v1/jwks')) {
        const t = opts.serviceAccountTokens;
        const doc = path === '/openid/v1/jwks' ? t.jwks() : t.discoveryDocument(`${t.issuer}/openid/v1/jwks`);
        writeText(res, 200, JSON.stringify(doc), path === '/openid/v1/jwks' ? 'application/jwk-set+json' : 'application/json');
        return;
      }
      if (path === '/metrics') {
        writeText(res, 200, await metricsRegistry.metrics(), metricsRegistry.contentType);
        return;
      }
      info = reqInfo;
      if (!info.apiPrefix) throw notFoundPath();
      if (!info.isResourceRequest) {
        serveDiscovery(req, res, info.apiPrefix, info.parts, opts.advertiseAddress);
        return;
      }
      fmt = undefined;
      await handleResource(req, res, info, url.searchParams, user!, {
        registry: opts.registry, now, serviceAccountTokens: opts.serviceAccountTokens, tokenReview: opts.tokenReview, authorizer: opts.authorizer,
      });
    })().catch((e: unknown) => {
      if (isApiError(e)) {
        writeError(res, e, fmt);
        return;
      }
      opts.logger.error({ err: e, method: req.method, url: req.url }, 'unexpected error serving request');
      audit?.panicked(e);
      writeError(res, ApiError.internal(e instanceof Error ? e.message : String(e)));
    });
  };
}

// The OpenAPI documents are built once; so is their compressed form.
const gzipped = new WeakMap<Buffer, Buffer>();
function gzipCached(b: Buffer): Buffer {
  let z = gzipped.get(b);
  if (!z) { z = gzipSync(b); gzipped.set(b, z); }
  return z;
}

function serveDiscovery(req: IncomingMessage, res: ServerResponse, prefix: 'api' | 'apis', parts: string[], advertise: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw ApiError.methodNotAllowed();
  if (parts.length === 0) {
    const fmt = negotiateOutput(req.headers.accept, { allowTable: false, allowDiscovery: true, allowPartial: false });
    if (fmt.kind === 'discovery') {
      writeObject(res, 200, aggregatedDiscovery(prefix, fmt.version), fmt, { headers: { Vary: 'Accept' } });
      return;
    }
    writeObject(res, 200, prefix === 'api' ? apiVersions(advertise) : apiGroupList(), fmt, { headers: { Vary: 'Accept' } });
    return;
  }
  const fmt = negotiateOutput(req.headers.accept, { allowTable: false, allowDiscovery: false, allowPartial: false });
  if (prefix === 'api') {
    const doc = parts.length === 1 ? apiResourceList('', parts[0]) : undefined;
    if (!doc) throw notFoundPath();
    writeObject(res, 200, doc, fmt);
    return;
  }
  const doc = parts.length === 1 ? apiGroupDoc(parts[0]) : parts.length === 2 ? apiResourceList(parts[0], parts[1]) : undefined;
  if (!doc) throw notFoundPath();
  writeObject(res, 200, doc, fmt);
}
