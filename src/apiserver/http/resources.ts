// Serves resource requests: routes a parsed RequestInfo to the registry and
// encodes the result in the negotiated format.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../base/errors.ts';
import { apiVersionOf, findResource, qualifiedName, type ResourceInfo } from '../../api/resources.ts';
import { printTable } from '../../api/printers/index.ts';
import { parseLabelSelector } from '../../api/selectors/labels.ts';
import { escapeFieldValue, parseFieldSelector } from '../../api/selectors/fields.ts';
import { defaultManagerFromUserAgent } from '../../api/patch/index.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceREST, PatchType } from '../registry/rest.ts';
import { listObjects, type Selection } from '../registry/list.ts';
import type { RequestContext, UserInfo } from '../registry/strategy.ts';
import { bindPod, finalize, toScale, updateScale } from '../registry/subresources.ts';
import { createServiceAccountToken } from '../registry/token-request.ts';
import type { ServiceAccountTokens } from '../auth/serviceaccount/tokens.ts';
import { alwaysAllow, type Authorizer } from '../auth/rbac/authorizer.ts';
import { evictPod } from '../registry/eviction.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../api/patch/index.ts';
import { schemaFor } from '../../api/schema/index.ts';
import type { Obj } from '../registry/codec.ts';
import type { RequestInfo } from './request-info.ts';
import { bodyTypeOf, decodeBody, negotiateOutput, type OutputFormat } from './negotiation.ts';
import { successStatus, writeObject } from './respond.ts';
import { boolParam, deleteOptions, dryRunParam, fieldValidationParam, intParam } from './params.ts';
import { serveWatch } from './watch.ts';
import { annotateRequest } from '../audit/auditor.ts';
import { answerReview, answerTokenReview, type TokenReviewer } from './reviews.ts';
import { recordRequestBody } from '../audit/auditor.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ResourceHandlerDeps {
  registry: Registry;
  now: () => Date;
  serviceAccountTokens?: ServiceAccountTokens;
  tokenReview?: TokenReviewer;
  /** Answers access reviews; absent: everything is allowed. */
  authorizer?: Authorizer;
}

/** Past this much, an oversized body is not even drained: the connection is cut. */
const MAX_DRAIN_BYTES = 8 * MAX_BODY_BYTES;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      // Read (and drop) the rest, so the client gets to read our 413 instead of a reset
      // connection; a body far past the limit is cut off instead.
      if (size > MAX_DRAIN_BYTES) { req.socket.destroy(); break; }
      continue;
    }
    chunks.push(c as Buffer);
  }
  if (size > MAX_BODY_BYTES) throw ApiError.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
  const body = Buffer.concat(chunks);
  recordRequestBody(req, body);
  return body;
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, query: URLSearchParams, user: UserInfo, deps: ResourceHandlerDeps): Promise<void> {
  const resInfo = findResource(info.group, info.version, info.resource);
  if (!resInfo) throw notFoundPath();
  if (info.namespace && !resInfo.namespaced) throw notFoundPath();
  const sub = info.subresource;
  if (sub && !resInfo.subresources.some((s) => s.name === sub)) throw notFoundPath();
  const fmt = negotiateOutput(req.headers.accept, { allowTable: !sub || sub === 'status', allowDiscovery: false, allowPartial: !sub });
  const pretty = boolParam(query, 'pretty') ?? false;
  const ctx = makeContext(req, query, user, deps.now(), info.verb);
  const reply = (code: number, obj: unknown): void => writeObject(res, code, obj, fmt, { pretty, warnings: ctx.warnings });

  // Binding is a create-only resource of its own and a pod subresource.
  if (resInfo.plural === 'bindings' || sub === 'binding') {
    if (info.verb !== 'create') throw ApiError.methodNotAllowed();
    const body = await readObjectBody(req);
    if (sub) body.metadata = { ...(body.metadata ?? {}), name: info.name };
    await bindPod(restOf(deps.registry, findResource('', 'v1', 'pods')!), info.namespace, body, ctx);
    reply(201, successStatus({}));
    return;
  }

  // pods/eviction: a delete guarded by PodDisruptionBudgets (registry/eviction.ts).
  if (sub === 'eviction') {
    if (info.verb !== 'create') throw ApiError.methodNotAllowed();
    const body = await readObjectBody(req);
    // Admission sees a create of pods/eviction (NodeRestriction: a node evicts only its own pods).
    await deps.registry.admission.validate({ operation: 'CREATE', info: resInfo, namespace: info.namespace, subresource: 'eviction',
      obj: { ...body, metadata: { ...(body.metadata ?? {}), name: info.name } }, dryRun: ctx.dryRun, user, ctx });
    const evictionDeps = { pods: restOf(deps.registry, resInfo), pdbs: restOf(deps.registry, findResource('policy', 'v1', 'poddisruptionbudgets')!) };
    reply(201, await evictPod(evictionDeps, info.namespace, info.name, body, ctx));
    return;
  }

  if (resInfo.plural === 'serviceaccounts' && sub === 'token') {
    if (info.verb !== 'create') throw ApiError.methodNotAllowed();
    if (!deps.serviceAccountTokens) throw ApiError.methodNotAllowed('service account tokens are not issued by this server');
    const body = await readObjectBody(req);
    reply(201, await createServiceAccountToken(deps.registry, deps.serviceAccountTokens, info.namespace, info.name, body, ctx));
    return;
  }

  if (resInfo.group === 'authentication.k8s.io' || resInfo.group === 'authorization.k8s.io') {
    if (info.verb !== 'create' || info.name) throw ApiError.methodNotAllowed();
    const body = await readObjectBody(req);
    if (resInfo.kind === 'TokenReview') {
      reply(201, await answerTokenReview(body, deps.tokenReview, deps.now()));
      return;
    }
    reply(201, answerReview(resInfo, body, user, info.namespace, deps.now(), deps.authorizer ?? alwaysAllow));
    return;
  }

  const rest = restOf(deps.registry, resInfo);
  const ns = resInfo.namespaced ? info.namespace : '';
  if (resInfo.namespaced && !ns && !['list', 'watch'].includes(info.verb)) {
    throw ApiError.notFound(qualifiedName(resInfo), info.name || '', resInfo.group);
  }

  if (sub === 'scale') return handleScale(req, info, rest, ns, ctx, reply);
  if (sub === 'finalize') {
    if (info.verb !== 'update') throw ApiError.methodNotAllowed();
    reply(200, await finalize(rest, info.name, await readObjectBody(req), ctx));
    return;
  }
  if (sub && sub !== 'status' && sub !== 'approval') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${info.verb} ${resInfo.plural}/${sub})`);

  switch (info.verb) {
    case 'get': {
      const obj = await rest.get(ns, info.name);
      reply(200, encodeOne(resInfo, obj, fmt, query, deps.now()));
      return;
    }
    case 'list': {
      const sel = selection(resInfo, query);
      const out = await listObjects(rest, ns, {
        ...sel, limit: intParam(query, 'limit'), continue: query.get('continue') ?? undefined,
        resourceVersion: query.get('resourceVersion') ?? undefined, resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
      });
      reply(200, encodeList(resInfo, out.items, { resourceVersion: out.resourceVersion, continue: out.continue, remainingItemCount: out.remainingItemCount }, fmt, query, deps.now()));
      return;
    }
    case 'watch': {
      const sel = selection(resInfo, query);
      // A name from the URL (legacy /watch/…/name); one from the field selector is already in `sel`.
      if (info.name && !query.get('fieldSelector')) sel.field = parseFieldSelector(resInfo, `metadata.name=${escapeFieldValue(info.name)}`);
      await serveWatch(req, res, rest, ns, sel, query, fmt, deps.now);
      return;
    }
    case 'create': {
      if (info.name && !sub) throw ApiError.methodNotAllowed();
      const body = await readObjectBody(req);
      const obj = await rest.create(ns, body, ctx);
      reply(201, obj);
      return;
    }
    case 'update': {
      const body = await readObjectBody(req);
      const r = await rest.update(ns, info.name, body, ctx, sub);
      reply(r.created ? 201 : 200, r.obj);
      return;
    }
    case 'patch': {
      const type = patchType(req);
      const raw = await readBody(req);
      const patch = decodeBody(raw, type === 'apply-patch' ? 'apply-patch' : 'json');
      const r = await rest.patch(ns, info.name, type, patch, ctx, { subresource: sub, force: boolParam(query, 'force') ?? false });
      reply(r.created ? 201 : 200, r.obj);
      return;
    }
    case 'delete': {
      const raw = await readBody(req);
      const body = raw.length ? decodeBody(raw, bodyTypeOf(req.headers['content-type']) ?? 'json') : undefined;
      const opts = deleteOptions(query, body);
      if (opts.dryRun?.includes('All')) ctx.dryRun = true;
      const r = await rest.delete(ns, info.name, opts, ctx);
      if (r.deleted) reply(200, successStatus({ name: r.obj.metadata.name, group: resInfo.group || undefined, kind: resInfo.plural, uid: r.obj.metadata.uid }));
      else reply(202, r.obj);
      return;
    }
    case 'deletecollection': {
      if (!resInfo.verbs.includes('deletecollection')) throw ApiError.methodNotAllowed();
      const raw = await readBody(req);
      const body = raw.length ? decodeBody(raw, bodyTypeOf(req.headers['content-type']) ?? 'json') : undefined;
      const opts = deleteOptions(query, body);
      const sel = selection(resInfo, query);
      const out = await listObjects(rest, ns, sel);
      const items: Obj[] = [];
      for (const o of out.items) {
        try {
          items.push((await rest.delete(o.metadata.namespace ?? '', o.metadata.name as string, opts, ctx)).obj);
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      reply(200, { kind: resInfo.listKind, apiVersion: apiVersionOf(resInfo), metadata: { resourceVersion: out.resourceVersion }, items });
      return;
    }
    default:
      throw ApiError.methodNotAllowed();
  }
}

async function handleScale(req: IncomingMessage, info: RequestInfo, rest: ResourceREST, ns: string, ctx: RequestContext, reply: (code: number, obj: unknown) => void): Promise<void> {
  switch (info.verb) {
    case 'get': reply(200, toScale(await rest.get(ns, info.name))); return;
    case 'update': {
      const body = await readObjectBody(req);
      if (body.kind !== undefined && body.kind !== 'Scale') throw ApiError.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Scale)`);
      reply(200, await updateScale(rest, ns, info.name, ctx, () => body));
      return;
    }
    case 'patch': {
      const type = patchType(req);
      if (type === 'apply-patch') throw ApiError.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
      const patch = decodeBody(await readBody(req), 'json');
      reply(200, await updateScale(rest, ns, info.name, ctx, (scale) => {
        switch (type) {
          case 'json-patch': return applyJsonPatch(scale, patch) as Obj;
          case 'merge-patch': return applyMergePatch(scale, patch) as Obj;
          default: return applyStrategicMergePatch(scale, patch, schemaFor('autoscaling/v1', 'Scale') ?? {}) as Obj;
        }
      }));
      return;
    }
    default: throw ApiError.methodNotAllowed();
  }
}

function restOf(registry: Registry, info: ResourceInfo): ResourceREST {
  const r = registry.rest(info.group, info.version, info.plural);
  if (!r) throw notFoundPath();
  return r;
}

export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function makeContext(req: IncomingMessage, q: URLSearchParams, user: UserInfo, now: Date, verb: string): RequestContext {
  const fm = q.get('fieldManager');
  if (fm !== null && fm.length > 128) throw ApiError.badRequest('fieldManager: Too long: must have at most 128 bytes');
  return {
    user, now, dryRun: dryRunParam(q),
    fieldManager: fm || defaultManagerFromUserAgent(req.headers['user-agent']),
    fieldManagerDefaulted: !fm,
    fieldValidation: fieldValidationParam(q, verb),
    warnings: [],
    annotateAudit: (key, value) => annotateRequest(req, key, value),
  };
}

function patchType(req: IncomingMessage): PatchType {
  const t = bodyTypeOf(req.headers['content-type']);
  if (t === 'json-patch' || t === 'merge-patch' || t === 'strategic-merge-patch' || t === 'apply-patch') return t;
  throw ApiError.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']);
}

async function readObjectBody(req: IncomingMessage): Promise<Obj> {
  const type = bodyTypeOf(req.headers['content-type']);
  if (type !== 'json' && type !== 'yaml' && type !== 'protobuf') throw ApiError.unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  const v = decodeBody(await readBody(req), type);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw ApiError.badRequest('the body of the request was not a JSON object');
  return v as Obj;
}

function selection(res: ResourceInfo, q: URLSearchParams): Selection {
  const sel: Selection = {};
  const ls = q.get('labelSelector');
  if (ls) sel.label = parseLabelSelector(ls);
  const fs = q.get('fieldSelector');
  if (fs) sel.field = parseFieldSelector(res, fs);
  return sel;
}


// ---- encodings --------------------------------------------------------------

function partialMeta(obj: Obj, version: string): Obj {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function tableOf(res: ResourceInfo, objs: Obj[], listMeta: Obj, fmt: Extract<OutputFormat, { kind: 'table' }>, q: URLSearchParams, now: Date): Obj {
  const include = q.get('includeObject') ?? 'Metadata';
  if (!['None', 'Metadata', 'Object'].includes(include)) throw ApiError.badRequest(`includeObject: Unsupported value: "${include}"`);
  const t = printTable(res, objs, now.getTime());
  return {
    kind: 'Table', apiVersion: `meta.k8s.io/${fmt.version}`, metadata: listMeta,
    columnDefinitions: t.columnDefinitions,
    rows: t.rows.map((r) => {
      const row: Obj = { cells: r.cells };
      if (include === 'Object') row.object = r.object;
      else if (include === 'Metadata') row.object = partialMeta(r.object, fmt.version);
      return row;
    }),
  };
}

export function encodeOne(res: ResourceInfo, obj: Obj, fmt: OutputFormat, q: URLSearchParams, now: Date): Obj {
  if (fmt.kind === 'table') return tableOf(res, [obj], { resourceVersion: obj.metadata?.resourceVersion }, fmt, q, now);
  if (fmt.kind === 'partial') return partialMeta(obj, fmt.version);
  return obj;
}

function encodeList(res: ResourceInfo, items: Obj[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }, fmt: OutputFormat, q: URLSearchParams, now: Date): Obj {
  const listMeta: Obj = { resourceVersion: meta.resourceVersion };
  if (meta.continue) listMeta.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) listMeta.remainingItemCount = meta.remainingItemCount;
  if (fmt.kind === 'table') return tableOf(res, items, listMeta, fmt, q, now);
  if (fmt.kind === 'partial') {
    return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${fmt.version}`, metadata: listMeta, items: items.map((o) => ({ metadata: o.metadata })) };
  }
  return { kind: res.listKind, apiVersion: apiVersionOf(res), metadata: listMeta, items };
}
