// Builds the OpenAPI documents the apiserver serves: the definitions come from the
// generated compact schema, the paths from the resource registry (RESOURCES), in
// the shapes upstream's kube-openapi produces (operation ids, x-kubernetes-action,
// x-kubernetes-group-version-kind, inline query parameters). Descriptions are left
// out. Paths under the deprecated `/watch/` prefix are not listed.

import { RESOURCES, type ResourceInfo, type SubresourceInfo, type Verb } from '../../api/resources.ts';
import { definitions, definitionNameFor } from '../../api/schema/index.ts';
import type { SchemaNode } from '../../api/schema/types.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

// ---------------------------------------------------------------------------
// Schemas

/** Compact node → OpenAPI v2 schema (upstream's swagger.json shape). */
export function toV2Schema(n: SchemaNode): JsonObject {
  const o: JsonObject = {};
  if (n.ref) o.$ref = `#/definitions/${n.ref}`;
  if (n.type) o.type = n.type;
  // v2 has no oneOf: upstream states IntOrString and Quantity as strings.
  else if (n.oneOf && !n.ref) o.type = 'string';
  common(n, o, toV2Schema);
  return o;
}

/** Compact node → OpenAPI v3 schema (upstream's /openapi/v3 shape). */
export function toV3Schema(n: SchemaNode): JsonObject {
  const o: JsonObject = {};
  if (n.type) o.type = n.type;
  if (n.oneOf) o.oneOf = n.oneOf.map(toV3Schema);
  if (n.default !== undefined) o.default = n.default as Json;
  common(n, o, toV3Schema);
  if (n.ref) {
    // A ref with siblings is wrapped in allOf, as upstream does.
    if (Object.keys(o).length === 0) return { $ref: `#/components/schemas/${n.ref}` };
    return { allOf: [{ $ref: `#/components/schemas/${n.ref}` }], ...o };
  }
  return o;
}

function common(n: SchemaNode, o: JsonObject, sub: (n: SchemaNode) => JsonObject): void {
  if (n.format) o.format = n.format;
  if (n.enum) o.enum = n.enum;
  if (n.properties) {
    const props: JsonObject = {};
    for (const [k, v] of Object.entries(n.properties)) props[k] = sub(v);
    o.properties = props;
  }
  if (n.required) o.required = n.required;
  if (n.items) o.items = sub(n.items);
  if (n.additionalProperties) o.additionalProperties = sub(n.additionalProperties);
  if (n.intOrString) o['x-kubernetes-int-or-string'] = true;
  if (n.preserveUnknownFields) o['x-kubernetes-preserve-unknown-fields'] = true;
  if (n.listMapKeys) o['x-kubernetes-list-map-keys'] = n.listMapKeys;
  if (n.listType) o['x-kubernetes-list-type'] = n.listType;
  if (n.mapType ?? n.structType) o['x-kubernetes-map-type'] = (n.mapType ?? n.structType) as string;
  if (n.patchMergeKey) o['x-kubernetes-patch-merge-key'] = n.patchMergeKey;
  if (n.patchStrategy) o['x-kubernetes-patch-strategy'] = n.patchStrategy;
  if (n.gvk) o['x-kubernetes-group-version-kind'] = n.gvk.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  if (n.unions) o['x-kubernetes-unions'] = n.unions as Json;
}

/** Definitions reachable from `roots` (names), roots included. */
export function closure(roots: Iterable<string>): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (n: SchemaNode): void => {
    if (n.ref && !seen.has(n.ref)) stack.push(n.ref);
    for (const p of Object.values(n.properties ?? {})) visit(p);
    if (n.items) visit(n.items);
    if (n.additionalProperties) visit(n.additionalProperties);
    for (const x of n.oneOf ?? []) visit(x);
  };
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name) || !defs[name]) continue;
    seen.add(name);
    visit(defs[name]);
  }
  return [...seen].sort();
}

// ---------------------------------------------------------------------------
// Operations, described once and rendered as v2 or v3

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
type ParamType = 'string' | 'integer' | 'boolean';

interface Param { name: string; in: 'query' | 'path'; type: ParamType; required?: boolean }

interface Op {
  method: Method;
  operationId: string;
  action: string;
  gvk: { group: string; kind: string; version: string };
  params: Param[];
  /** Definition name of the body; with `bodyRequired`. */
  body?: string;
  bodyRequired?: boolean;
  consumes: string[];
  produces: string[];
  /** status code → definition name, or 'string' for plain text bodies. */
  responses: Record<string, string>;
  tag: string;
}

interface PathSpec { path: string; params: Param[]; ops: Op[] }

const q = (name: string, type: ParamType = 'string'): Param => ({ name, in: 'query', type });
const pathParam = (name: string): Param => ({ name, in: 'path', type: 'string', required: true });

const LIST_PARAMS: Param[] = [
  q('allowWatchBookmarks', 'boolean'), q('continue'), q('fieldSelector'), q('labelSelector'), q('limit', 'integer'),
  q('resourceVersion'), q('resourceVersionMatch'), q('sendInitialEvents', 'boolean'), q('timeoutSeconds', 'integer'),
  q('watch', 'boolean'),
];
const WRITE_PARAMS: Param[] = [q('dryRun'), q('fieldManager'), q('fieldValidation')];
const PATCH_PARAMS: Param[] = [...WRITE_PARAMS, q('force', 'boolean')];
const DELETE_PARAMS: Param[] = [q('dryRun'), q('gracePeriodSeconds', 'integer'), q('orphanDependents', 'boolean'), q('propagationPolicy')];
const DELETE_COLLECTION_PARAMS: Param[] = [
  q('continue'), q('dryRun'), q('fieldSelector'), q('gracePeriodSeconds', 'integer'), q('labelSelector'), q('limit', 'integer'),
  q('orphanDependents', 'boolean'), q('propagationPolicy'), q('resourceVersion'), q('resourceVersionMatch'),
  q('sendInitialEvents', 'boolean'), q('timeoutSeconds', 'integer'),
];
const LOG_PARAMS: Param[] = [
  q('container'), q('follow', 'boolean'), q('insecureSkipTLSVerifyBackend', 'boolean'), q('limitBytes', 'integer'),
  q('previous', 'boolean'), q('sinceSeconds', 'integer'), q('tailLines', 'integer'), q('timestamps', 'boolean'),
];
const CONNECT_PARAMS: Record<string, Param[]> = {
  exec: [q('command'), q('container'), q('stderr', 'boolean'), q('stdin', 'boolean'), q('stdout', 'boolean'), q('tty', 'boolean')],
  attach: [q('container'), q('stderr', 'boolean'), q('stdin', 'boolean'), q('stdout', 'boolean'), q('tty', 'boolean')],
  portforward: [q('ports', 'integer')],
  proxy: [q('path')],
};

/** Media types our apiserver answers with (no protobuf). */
const PRODUCES = ['application/json', 'application/yaml'];
const PRODUCES_LIST = [...PRODUCES, 'application/json;stream=watch'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

const cap = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** "Core", "Apps", "Coordination", "RbacAuthorization" — upstream's operation id group part. */
function groupPart(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(cap).join('');
}

export function tagOf(group: string, version: string): string {
  const g = groupPart(group);
  return `${g[0].toLowerCase()}${g.slice(1)}_${version}`;
}

export function prefixOf(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

function defName(apiVersion: string, kind: string): string | undefined {
  return definitionNameFor(apiVersion, kind);
}

function resourcePaths(r: ResourceInfo): PathSpec[] {
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  const prefix = prefixOf(r.group, r.version);
  const gv = `${groupPart(r.group)}${cap(r.version)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const tag = tagOf(r.group, r.version);
  const gvk = { group: r.group, kind: r.kind, version: r.version };
  const obj = defName(apiVersion, r.kind);
  const list = defName(apiVersion, r.listKind);
  const has = (v: Verb): boolean => r.verbs.includes(v);
  const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const scopeParams = r.namespaced ? [pathParam('namespace')] : [];
  const out: PathSpec[] = [];
  if (!obj) return out;

  const mk = (method: Method, verb: string, action: string, suffix: string, extra: Partial<Op>): Op => ({
    method, operationId: `${verb}${gv}${suffix}`, action, gvk, params: [], consumes: ['*/*'],
    produces: PRODUCES, responses: {}, tag, ...extra,
  });

  // Collection
  const coll: Op[] = [];
  if (has('list') && list) {
    coll.push(mk('get', 'list', 'list', `${ns}${r.kind}`, { params: LIST_PARAMS, produces: PRODUCES_LIST, responses: { 200: list } }));
  }
  if (has('create')) {
    coll.push(mk('post', 'create', 'post', `${ns}${r.kind}`, { params: WRITE_PARAMS, body: obj, bodyRequired: true,
      responses: { 200: obj, 201: obj, 202: obj } }));
  }
  if (has('deletecollection')) {
    coll.push(mk('delete', 'delete', 'deletecollection', `Collection${ns}${r.kind}`, { params: DELETE_COLLECTION_PARAMS,
      body: `${META}DeleteOptions`, responses: { 200: `${META}Status` } }));
  }
  if (coll.length) out.push({ path: base, params: [...scopeParams, q('pretty')], ops: coll });

  // Item
  const itemPath = `${base}/{name}`;
  const itemParams = [pathParam('name'), ...scopeParams, q('pretty')];
  const item: Op[] = [];
  if (has('get')) item.push(mk('get', 'read', 'get', `${ns}${r.kind}`, { responses: { 200: obj } }));
  if (has('update')) {
    item.push(mk('put', 'replace', 'put', `${ns}${r.kind}`, { params: WRITE_PARAMS, body: obj, bodyRequired: true,
      responses: { 200: obj, 201: obj } }));
  }
  if (has('patch')) {
    item.push(mk('patch', 'patch', 'patch', `${ns}${r.kind}`, { params: PATCH_PARAMS, body: `${META}Patch`, bodyRequired: true,
      consumes: PATCH_TYPES, responses: { 200: obj, 201: obj } }));
  }
  if (has('delete')) {
    item.push(mk('delete', 'delete', 'delete', `${ns}${r.kind}`, { params: DELETE_PARAMS, body: `${META}DeleteOptions`,
      responses: { 200: `${META}Status`, 202: `${META}Status` } }));
  }
  if (item.length) out.push({ path: itemPath, params: itemParams, ops: item });

  // Every namespace at once
  if (r.namespaced && has('list') && list) {
    out.push({ path: `${prefix}/${r.plural}`, params: [...LIST_PARAMS, q('pretty')], ops: [
      mk('get', 'list', 'list', `${r.kind}ForAllNamespaces`, { produces: PRODUCES_LIST, responses: { 200: list } }),
    ] });
  }

  for (const sub of r.subresources) out.push(...subresourcePaths(r, sub, { gv, ns, tag, itemPath, scopeParams }));
  return out;
}

function subresourcePaths(r: ResourceInfo, sub: SubresourceInfo,
  c: { gv: string; ns: string; tag: string; itemPath: string; scopeParams: Param[] }): PathSpec[] {
  const group = sub.group ?? r.group;
  const version = sub.version ?? r.version;
  const kind = sub.kind || r.kind;
  const gvk = { group, kind, version };
  const apiVersion = group ? `${group}/${version}` : version;
  const obj = defName(apiVersion, kind);
  const subName = sub.name === 'portforward' ? 'Portforward' : cap(sub.name);
  const id = `${c.ns}${r.kind}${subName}`;
  const path = `${c.itemPath}/${sub.name}`;
  const params = [pathParam('name'), ...c.scopeParams];
  const op = (method: Method, verb: string, action: string, extra: Partial<Op>): Op => ({
    method, operationId: `${verb}${c.gv}${id}`, action, gvk, params: [], consumes: ['*/*'], produces: PRODUCES,
    responses: {}, tag: c.tag, ...extra,
  });
  const has = (v: Verb): boolean => sub.verbs.includes(v);

  switch (sub.name) {
    case 'log':
      return [{ path, params: [...LOG_PARAMS, ...params, q('pretty')], ops: [
        op('get', 'read', 'get', { produces: ['text/plain', ...PRODUCES], responses: { 200: 'string' } }),
      ] }];
    case 'exec': case 'attach': case 'portforward': case 'proxy': {
      const methods: [Verb, Method][] = [['get', 'get'], ['create', 'post'], ['update', 'put'], ['patch', 'patch'], ['delete', 'delete']];
      const connect = (withPath: boolean): Op[] => methods.filter(([v]) => has(v)).map(([, m]) => op(m, 'connect', 'connect', {
        operationId: `connect${c.gv}${cap(m)}${id}${withPath ? 'WithPath' : ''}`, produces: ['*/*'], responses: { 200: 'string' },
      }));
      const out: PathSpec[] = [{ path, params: [...CONNECT_PARAMS[sub.name], ...params], ops: connect(false) }];
      if (sub.name === 'proxy') {
        out.push({ path: `${path}/{path}`, params: [...params, pathParam('path'), q('path')], ops: connect(true) });
      }
      return out;
    }
    default: {
      if (!obj) return [];
      const ops: Op[] = [];
      if (has('get')) ops.push(op('get', 'read', 'get', { responses: { 200: obj } }));
      if (has('create')) {
        ops.push(op('post', 'create', 'post', { params: WRITE_PARAMS, body: obj, bodyRequired: true, responses: { 200: obj, 201: obj, 202: obj } }));
      }
      if (has('update')) {
        ops.push(op('put', 'replace', 'put', { params: WRITE_PARAMS, body: obj, bodyRequired: true, responses: { 200: obj, 201: obj } }));
      }
      if (has('patch')) {
        ops.push(op('patch', 'patch', 'patch', { params: PATCH_PARAMS, body: `${META}Patch`, bodyRequired: true, consumes: PATCH_TYPES,
          responses: { 200: obj, 201: obj } }));
      }
      return ops.length ? [{ path, params: [...params, q('pretty')], ops }] : [];
    }
  }
}

/** The discovery document at the root of a group-version (`/apis/apps/v1/`). */
function discoveryPath(group: string, version: string): PathSpec {
  const gv = `${groupPart(group)}${cap(version)}`;
  return { path: `${prefixOf(group, version)}/`, params: [], ops: [{
    method: 'get', operationId: `get${gv}APIResources`, action: '', gvk: { group: '', kind: '', version: '' }, params: [],
    consumes: PRODUCES, produces: PRODUCES, responses: { 200: `${META}APIResourceList` }, tag: tagOf(group, version),
  }] };
}

function pathsFor(group: string, version: string): PathSpec[] {
  const out = [discoveryPath(group, version)];
  for (const r of RESOURCES) if (r.group === group && r.version === version) out.push(...resourcePaths(r));
  return out;
}

function allPaths(): PathSpec[] {
  const seen = new Set<string>();
  const out: PathSpec[] = [];
  for (const r of RESOURCES) {
    const k = `${r.group}/${r.version}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(...pathsFor(r.group, r.version));
  }
  return out;
}

/** Paths of the small non-resource documents (/api/, /apis/, /apis/<g>/, /version/). */
function rootPath(path: string, operationId: string, tag: string, response: string, produces = PRODUCES): PathSpec {
  return { path, params: [], ops: [{
    method: 'get', operationId, action: '', gvk: { group: '', kind: '', version: '' }, params: [], consumes: produces, produces,
    responses: { 200: response }, tag,
  }] };
}

// ---------------------------------------------------------------------------
// Rendering

const refV2 = (name: string): JsonObject => (name === 'string' ? { type: 'string' } : { $ref: `#/definitions/${name}` });
const refV3 = (name: string): JsonObject => (name === 'string' ? { type: 'string' } : { $ref: `#/components/schemas/${name}` });

function paramV2(p: Param): JsonObject {
  const o: JsonObject = { in: p.in, name: p.name, type: p.type, uniqueItems: true };
  if (p.required) o.required = true;
  return o;
}

function paramV3(p: Param): JsonObject {
  const o: JsonObject = { in: p.in, name: p.name, schema: { type: p.type, uniqueItems: true } };
  if (p.required) o.required = true;
  return o;
}

function opExtensions(op: Op, o: JsonObject): void {
  if (op.action) {
    o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  }
}

function opV2(op: Op): JsonObject {
  const params: Json[] = [];
  if (op.body) {
    const b: JsonObject = { in: 'body', name: 'body', schema: refV2(op.body) };
    if (op.bodyRequired) b.required = true;
    params.push(b);
  }
  params.push(...op.params.map(paramV2));
  const responses: JsonObject = {};
  for (const [code, name] of Object.entries(op.responses)) responses[code] = { schema: refV2(name) };
  responses['401'] = {};
  const o: JsonObject = { consumes: op.consumes, operationId: op.operationId, produces: op.produces, responses, schemes: ['https'], tags: [op.tag] };
  if (params.length) o.parameters = params;
  opExtensions(op, o);
  return o;
}

function opV3(op: Op): JsonObject {
  const o: JsonObject = { operationId: op.operationId };
  if (op.params.length) o.parameters = op.params.map(paramV3);
  if (op.body) {
    const content: JsonObject = {};
    for (const t of op.consumes) content[t] = { schema: refV3(op.body) };
    o.requestBody = { content };
  }
  const responses: JsonObject = {};
  for (const [code, name] of Object.entries(op.responses)) {
    const content: JsonObject = {};
    for (const t of op.produces) content[t] = { schema: refV3(name) };
    responses[code] = { content };
  }
  responses['401'] = {};
  o.responses = responses;
  o.tags = [op.tag];
  opExtensions(op, o);
  return o;
}

function renderPaths(specs: PathSpec[], v: 2 | 3): JsonObject {
  const out: JsonObject = {};
  for (const s of specs) {
    const item: JsonObject = {};
    for (const op of s.ops) item[op.method] = v === 2 ? opV2(op) : opV3(op);
    if (s.params.length) item.parameters = s.params.map(v === 2 ? paramV2 : paramV3);
    out[s.path] = item;
  }
  return out;
}

function refsOfPaths(specs: PathSpec[]): Set<string> {
  const out = new Set<string>();
  for (const s of specs) {
    for (const op of s.ops) {
      if (op.body) out.add(op.body);
      for (const r of Object.values(op.responses)) if (r !== 'string') out.add(r);
    }
  }
  return out;
}

const INFO: JsonObject = { title: 'Kubernetes', version: 'unversioned' };
const BEARER: JsonObject = { in: 'header', name: 'authorization', type: 'apiKey' };

/** The whole API as one swagger 2.0 document (`/openapi/v2`). */
export function buildV2(): JsonObject {
  const defs = definitions();
  const definitionsOut: JsonObject = {};
  for (const name of Object.keys(defs).sort()) definitionsOut[name] = toV2Schema(defs[name]);
  return {
    definitions: definitionsOut,
    info: INFO,
    paths: renderPaths(allPaths(), 2),
    security: [{ BearerToken: [] }],
    securityDefinitions: { BearerToken: BEARER },
    swagger: '2.0',
  };
}

function v3Doc(specs: PathSpec[]): JsonObject {
  const defs = definitions();
  const schemas: JsonObject = {};
  for (const name of closure(refsOfPaths(specs))) schemas[name] = toV3Schema(defs[name]);
  return {
    components: { schemas, securitySchemes: { BearerToken: BEARER } },
    info: INFO,
    openapi: '3.0.0',
    paths: renderPaths(specs, 3),
  };
}

/**
 * Every OpenAPI v3 document, keyed as upstream's `/openapi/v3` index keys them:
 * "api", "api/v1", "apis", "apis/apps", "apis/apps/v1", …, "version".
 */
export function buildV3(): Map<string, JsonObject> {
  const docs = new Map<string, JsonObject>();
  docs.set('api', v3Doc([rootPath('/api/', 'getCoreAPIVersions', 'core', `${META}APIVersions`)]));
  docs.set('apis', v3Doc([rootPath('/apis/', 'getAPIVersions', 'apis', `${META}APIGroupList`)]));
  const groups = new Set<string>();
  const gvs = new Set<string>();
  for (const r of RESOURCES) {
    const key = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
    if (r.group && !groups.has(r.group)) {
      groups.add(r.group);
      const g = groupPart(r.group);
      docs.set(`apis/${r.group}`, v3Doc([rootPath(`/apis/${r.group}/`, `get${g}APIGroup`, `${g[0].toLowerCase()}${g.slice(1)}`, `${META}APIGroup`)]));
    }
    if (gvs.has(key)) continue;
    gvs.add(key);
    docs.set(key, v3Doc(pathsFor(r.group, r.version)));
  }
  docs.set('version', v3Doc([rootPath('/version/', 'getCodeVersion', 'version', 'io.k8s.apimachinery.pkg.version.Info', ['application/json'])]));
  return new Map([...docs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
