// Auditing of the request path, as upstream's audit filter does it: every
// request gets an audit ID (the Audit-ID response header); once it is
// authenticated, the policy decides its level; events are written at the
// stages RequestReceived, ResponseStarted (long-running requests: watch,
// exec, logs…), ResponseComplete, or Panic (an unexpected error). The handler
// tells the request's AuditContext what only it knows (user, impersonation,
// authorization decision); the context watches the response itself for its
// code and, at RequestResponse level, its body. Request bodies are handed over
// by readBody (recordRequestBody), so nothing reads a body twice.

import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { parseRequestInfo, type RequestInfo } from '../http/request-info.ts';
import { bodyTypeOf, decodeBody } from '../http/negotiation.ts';
import { evaluatePolicy, levelAtLeast, type Level, type Policy, type PolicyDecision, type Stage } from './policy.ts';
import { auditUser, microTime, nowMicros, sourceIPs, type AuditEvent, type AuditUser, type ResponseStatus } from './event.ts';
import type { AuditLogWriter } from './log-writer.ts';

type Obj = Record<string, any>;

export interface AuditUserInfo { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export interface AuditorOptions {
  /** Without a policy (or a sink), requests only get their Audit-ID. */
  policy?: Policy;
  sink?: Pick<AuditLogWriter, 'write' | 'close'>;
  logger?: Logger;
}

/** Upstream's long-running requests: their response starts long before it completes. */
const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);
/** Bodies beyond this are not kept for the log (the API refuses far smaller ones anyway). */
const MAX_CAPTURE = 4 * 1024 * 1024;

const contexts = new WeakMap<IncomingMessage, AuditContext>();

/** Called by readBody with the request's body: logged as requestObject at Request level and above. */
export function recordRequestBody(req: IncomingMessage, body: Buffer): void {
  contexts.get(req)?.requestBody(body);
}

/** An annotation from admission (e.g. pod-security.kubernetes.io/audit-violations) for the request's event. */
export function annotateRequest(req: IncomingMessage, key: string, value: string): void {
  contexts.get(req)?.annotate(key, value);
}

export class Auditor {
  constructor(private readonly opts: AuditorOptions = {}) {}

  get enabled(): boolean { return !!(this.opts.policy && this.opts.sink); }

  /** Starts auditing a request: call first thing, before authentication. */
  begin(req: IncomingMessage, res: ServerResponse): AuditContext {
    const ctx = new AuditContext(req, res, this.enabled ? this.opts.policy : undefined, (ev) => this.emit(ev));
    contexts.set(req, ctx);
    return ctx;
  }

  /** Writes what is queued and closes the log (at shutdown). */
  async close(): Promise<void> { await this.opts.sink?.close(); }

  private emit(ev: AuditEvent): void {
    let line: string;
    try {
      line = JSON.stringify(ev);
    } catch (e) {
      this.opts.logger?.warn({ err: e, auditID: ev.auditID }, 'audit event could not be serialized');
      return;
    }
    this.opts.sink?.write(line);
  }
}

export class AuditContext {
  readonly auditID: string;
  private readonly receivedAt = nowMicros();
  private decision?: PolicyDecision;
  private event?: AuditEvent;
  private info?: RequestInfo;
  private user?: AuditUserInfo;
  private reqBody?: Buffer;
  private resChunks: Buffer[] = [];
  private resBytes = 0;
  private started = false;
  private done = false;

  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse, private readonly policy: Policy | undefined,
    private readonly emit: (ev: AuditEvent) => void) {
    const given = req.headers['audit-id'];
    // A client may name the request's audit ID (as upstream allows); otherwise a fresh UUID.
    this.auditID = typeof given === 'string' && given.trim() !== '' && given.length <= 128 ? given.trim() : crypto.randomUUID();
    res.setHeader('Audit-Id', this.auditID);
  }

  get level(): Level { return this.decision?.level ?? 'None'; }

  /** The authenticated user (undefined: anonymous): the policy is evaluated, RequestReceived logged. */
  authenticated(user: AuditUserInfo | undefined): void {
    if (!this.policy || this.decision) return;
    const url = new URL(this.req.url ?? '/', 'https://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const info = parseRequestInfo(this.req.method ?? 'GET', path, url.searchParams);
    // Upstream's request info names a namespace by itself: /api/v1/namespaces/foo is in namespace foo.
    if (info.isResourceRequest && info.resource === 'namespaces' && info.name && !info.namespace) info.namespace = info.name;
    this.info = info;
    this.user = user;
    const subject = user ?? { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    this.decision = evaluatePolicy(this.policy, {
      user: subject, verb: info.verb, resourceRequest: info.isResourceRequest, path,
      apiGroup: info.group, namespace: info.namespace, resource: info.resource, subresource: info.subresource, name: info.name,
    });
    if (this.level === 'None') return;
    this.event = {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: this.level, auditID: this.auditID, stage: 'RequestReceived',
      requestURI: this.req.url ?? '/', verb: info.verb, user: auditUser(subject), sourceIPs: sourceIPs(this.req),
      ...(this.req.headers['user-agent'] ? { userAgent: this.req.headers['user-agent'] } : {}),
      ...(info.isResourceRequest ? { objectRef: {
        resource: info.resource, ...(info.namespace ? { namespace: info.namespace } : {}), ...(info.name ? { name: info.name } : {}),
        ...(info.group ? { apiGroup: info.group } : {}), apiVersion: info.version, ...(info.subresource ? { subresource: info.subresource } : {}),
      } } : {}),
      requestReceivedTimestamp: microTime(this.receivedAt), stageTimestamp: microTime(this.receivedAt),
    };
    this.watchResponse();
    this.log('RequestReceived');
  }

  /** The user the request acts as after impersonation (the same object when none). */
  impersonated(user: AuditUserInfo): void {
    if (this.event && this.user && user !== this.user) this.event.impersonatedUser = auditUser(user);
  }

  /** The authorization decision of the request, as upstream's annotations. */
  authorized(d: { allowed: boolean; reason?: string }): void {
    this.annotate('authorization.k8s.io/decision', d.allowed ? 'allow' : 'forbid');
    this.annotate('authorization.k8s.io/reason', d.reason ?? '');
  }

  annotate(key: string, value: string): void {
    if (!this.event) return;
    this.event.annotations = { ...(this.event.annotations ?? {}), [key]: value };
  }

  /** An unexpected error (upstream: a panic in a handler): a Panic event instead of ResponseComplete. */
  panicked(err: unknown): void {
    if (!this.event || this.done) return;
    this.done = true;
    const message = err instanceof Error ? err.message : String(err);
    this.event.responseStatus = { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${message}`, reason: 'InternalError', code: 500 };
    this.log('Panic');
  }

  requestBody(body: Buffer): void {
    if (this.event && !this.reqBody) this.reqBody = body;
  }

  private get longRunning(): boolean {
    return !!this.info && (LONG_RUNNING_VERBS.has(this.info.verb) || LONG_RUNNING_SUBRESOURCES.has(this.info.subresource));
  }

  /** Follows the response: its start (long-running requests), its body when wanted, its end. */
  private watchResponse(): void {
    const res = this.res as ServerResponse & Obj;
    const self = this;
    const origWriteHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const r = (origWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      self.responseStarted();
      return r;
    } as typeof res.writeHead;
    for (const m of ['write', 'end'] as const) {
      const orig = res[m] as (...a: unknown[]) => unknown;
      (res as Obj)[m] = function (this: ServerResponse, ...args: unknown[]) {
        self.capture(args[0]);
        const r = orig.apply(this, args);
        self.responseStarted();
        return r;
      };
    }
    res.once('close', () => this.complete());
  }

  private wantsBody(): boolean {
    // Errors are Status objects: their fields go into responseStatus at any level.
    return !this.longRunning && (levelAtLeast(this.level, 'RequestResponse') || this.res.statusCode >= 400);
  }

  private capture(chunk: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function' || !this.wantsBody()) return;
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    if (!b || this.resBytes + b.length > MAX_CAPTURE) { this.resBytes = MAX_CAPTURE + 1; return; }
    this.resChunks.push(b);
    this.resBytes += b.length;
  }

  private responseStarted(): void {
    if (this.started || !this.res.headersSent) return;
    this.started = true;
    if (!this.longRunning || !this.event) return;
    this.event.responseStatus = { metadata: {}, code: this.res.statusCode };
    this.log('ResponseStarted');
  }

  private complete(): void {
    if (!this.event || this.done) return;
    this.done = true;
    const ev = this.event;
    const code = this.res.statusCode;
    // No credentials at all: upstream's failed-authentication event names no user.
    if (!this.user && code === 401) ev.user = {};
    const requestObject = this.reqBody?.length ? this.decodeRequest(this.reqBody) : undefined;
    // A create names its object in the body: upstream fills objectRef from it.
    if (ev.objectRef && requestObject && typeof requestObject === 'object') {
      const meta = (requestObject as Obj).metadata as Obj | undefined;
      if (!ev.objectRef.name && typeof meta?.name === 'string' && this.info?.verb === 'create') ev.objectRef.name = meta.name;
      if (!ev.objectRef.namespace && typeof meta?.namespace === 'string') ev.objectRef.namespace = meta.namespace;
    }
    const responseObject = this.wantsBody() && this.resBytes <= MAX_CAPTURE ? this.decodeResponse() : undefined;
    const status: ResponseStatus = { metadata: {}, code };
    if (responseObject && (responseObject as Obj).kind === 'Status') {
      const s = responseObject as Obj;
      for (const k of ['status', 'message', 'reason', 'details'] as const) if (s[k] !== undefined) status[k] = s[k];
    }
    ev.responseStatus = status;
    if (levelAtLeast(this.level, 'Request') && requestObject !== undefined) ev.requestObject = this.trim(requestObject);
    if (levelAtLeast(this.level, 'RequestResponse') && responseObject !== undefined) ev.responseObject = this.trim(responseObject);
    this.log('ResponseComplete');
  }

  private decodeRequest(body: Buffer): unknown {
    try {
      const t = bodyTypeOf(this.req.headers['content-type']) ?? 'json';
      return decodeBody(body, t);
    } catch {
      return undefined;
    }
  }

  private decodeResponse(): unknown {
    if (!this.resChunks.length || this.res.getHeader('content-encoding')) return undefined;
    const type = String(this.res.getHeader('content-type') ?? '');
    const text = Buffer.concat(this.resChunks).toString('utf8');
    try {
      if (/json/.test(type)) return JSON.parse(text) as unknown;
      if (/yaml/.test(type)) return parseYaml(text) as unknown;
    } catch {
      // Not an object: nothing to log.
    }
    return undefined;
  }

  /** omitManagedFields: objects (and list items) without metadata.managedFields. */
  private trim(o: unknown): unknown {
    if (!this.decision?.omitManagedFields || !o || typeof o !== 'object') return o;
    const strip = (x: Obj): Obj => (x.metadata?.managedFields ? { ...x, metadata: { ...x.metadata, managedFields: undefined } } : x);
    const obj = strip(o as Obj);
    return Array.isArray(obj.items) ? { ...obj, items: (obj.items as Obj[]).map((i) => (i && typeof i === 'object' ? strip(i) : i)) } : obj;
  }

  private log(stage: Stage): void {
    if (!this.event || this.decision?.omitStages.includes(stage)) return;
    const e = this.event;
    // Upstream's field order, so the lines read the same.
    this.emit({
      kind: e.kind, apiVersion: e.apiVersion, level: e.level, auditID: e.auditID, stage, requestURI: e.requestURI, verb: e.verb,
      user: e.user, impersonatedUser: e.impersonatedUser, sourceIPs: e.sourceIPs, userAgent: e.userAgent, objectRef: e.objectRef,
      responseStatus: e.responseStatus, requestObject: e.requestObject, responseObject: e.responseObject,
      requestReceivedTimestamp: e.requestReceivedTimestamp,
      stageTimestamp: microTime(stage === 'RequestReceived' ? this.receivedAt : nowMicros()),
      annotations: e.annotations,
    });
  }
}

export type { AuditUser };
