import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse as yamlParse } from 'yaml';
import { openapiResponse, parseAccept } from './index.ts';
import { RESOURCES } from '../../api/resources.ts';

type Obj = Record<string, any>;

const none = new URLSearchParams();

function getJson(path: string, query = none, accept: string | undefined = 'application/json'): Obj {
  const r = openapiResponse(path, query, accept);
  assert.ok(r, path);
  assert.equal(r.status, 200, path);
  assert.equal(r.headers['Content-Type'], 'application/json');
  return JSON.parse(r.body.toString('utf8')) as Obj;
}

function v3(gv: string): Obj {
  const index = getJson('/openapi/v3');
  const url = index.paths[gv]?.serverRelativeURL as string;
  assert.ok(url, gv);
  const [p, qs] = url.split('?');
  return getJson(p, new URLSearchParams(qs));
}

function noDescriptions(v: unknown, where: string): void {
  if (Array.isArray(v)) { v.forEach((x) => noDescriptions(x, where)); return; }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assert.ok(!(k === 'description' && typeof x === 'string'), `description in ${where}`);
      noDescriptions(x, where);
    }
  }
}

void test('v3 index lists served group-versions with hash URLs', () => {
  const index = getJson('/openapi/v3');
  for (const k of ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/batch/v1', 'apis/policy/v1', 'version']) {
    assert.match(index.paths[k]?.serverRelativeURL ?? '', new RegExp(`^/openapi/v3/${k}\\?hash=[0-9A-F]{128}$`), k);
  }
  assert.equal(index.paths['apis/networking.k8s.io/v1'], undefined);
});

void test('apps/v1 document: paths, parameters, actions, GVKs, schemas', () => {
  const doc = v3('apis/apps/v1');
  assert.equal(doc.openapi, '3.0.0');
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.ok(coll);
  assert.equal(coll.get['x-kubernetes-action'], 'list');
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  assert.equal(coll.delete['x-kubernetes-action'], 'deletecollection');
  assert.deepEqual(coll.post['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  const names = (op: Obj): string[] => (op.parameters as Obj[]).map((p) => p.name as string);
  for (const n of ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'watch',
    'allowWatchBookmarks', 'timeoutSeconds']) assert.ok(names(coll.get).includes(n), n);
  assert.ok(names({ parameters: coll.parameters }).includes('pretty'));
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  for (const m of ['post', 'put', 'patch']) {
    const op = m === 'post' ? coll.post : item[m];
    for (const n of ['dryRun', 'fieldManager', 'fieldValidation']) assert.ok(names(op).includes(n), `${m} ${n}`);
  }
  assert.ok(names(item.patch).includes('force'));
  for (const n of ['gracePeriodSeconds', 'propagationPolicy', 'dryRun']) assert.ok(names(item.delete).includes(n), n);
  assert.deepEqual(Object.keys(item.patch.requestBody.content).sort(), [
    'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
  assert.equal(item.put.requestBody.content['*/*'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  assert.equal(item.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  // Every-namespace list, scale and status subresources
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.ok(names(scale.patch).includes('fieldValidation'));
  const status = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'];
  assert.deepEqual(status.patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.ok(names(status.patch).includes('fieldValidation'));
  assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/scale'], undefined);

  const schemas = doc.components.schemas;
  assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.ok(schemas['io.k8s.api.autoscaling.v1.Scale']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList']);
  const containers = schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers.items.$ref, '#/components/schemas/io.k8s.api.core.v1.Container');
  assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
  // Every $ref resolves inside the document.
  const refs = new Set<string>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { if (k === '$ref') refs.add(x as string); else collect(x); }
  };
  collect(doc);
  for (const r of refs) assert.ok(schemas[r.replace('#/components/schemas/', '')], r);
  noDescriptions(doc, 'apps/v1');
});

void test('core v1 document: subresources and connect operations', () => {
  const doc = v3('api/v1');
  const p = doc.paths;
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/log'].get['x-kubernetes-action'], 'get');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/exec'].post['x-kubernetes-action'], 'connect');
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get.operationId, 'connectCoreV1GetNamespacedPodExec');
  assert.deepEqual(p['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind'],
    { group: 'policy', kind: 'Eviction', version: 'v1' });
  assert.equal(p['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post.operationId, 'createCoreV1NamespacedPodBinding');
  assert.equal(p['/api/v1/namespaces/{namespace}/bindings'].post.operationId, 'createCoreV1NamespacedBinding');
  assert.equal(p['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
  assert.equal(p['/api/v1/nodes/{name}/proxy/{path}'].get.operationId, 'connectCoreV1GetNodeProxyWithPath');
  assert.ok(p['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post);
  assert.ok(p['/api/v1/nodes'].get);
  assert.ok(p['/api/v1/nodes/{name}'].patch);
  assert.equal(p['/api/v1/namespaces'].delete, undefined); // namespaces have no deletecollection
  assert.ok(doc.components.schemas['io.k8s.api.authentication.v1.TokenRequest']);
  const ctr = doc.components.schemas['io.k8s.api.core.v1.Container'].properties;
  assert.deepEqual(ctr.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(ctr.resources.$ref, '#/components/schemas/io.k8s.api.core.v1.ResourceRequirements');
  // A ref with facts beside it is wrapped in allOf, as upstream does.
  const claimRef = doc.components.schemas['io.k8s.api.core.v1.PersistentVolumeSpec'].properties.claimRef;
  assert.deepEqual(claimRef, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ObjectReference' }], 'x-kubernetes-map-type': 'granular' });
  noDescriptions(doc, 'v1');
});

void test('every served resource has its paths in its group-version document', () => {
  const index = getJson('/openapi/v3');
  const docs = new Map<string, Obj>();
  for (const r of RESOURCES) {
    const gv = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
    if (!docs.has(gv)) docs.set(gv, v3(gv));
    assert.ok(index.paths[gv]);
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
    const paths = docs.get(gv)?.paths as Obj;
    if (r.verbs.includes('create')) assert.ok(paths[base]?.post, `${base} post`);
    if (r.verbs.includes('get')) assert.ok(paths[`${base}/{name}`]?.get, `${base} get`);
    if (r.verbs.includes('patch')) {
      const params = (paths[`${base}/{name}`].patch.parameters as Obj[]).map((x) => x.name);
      assert.ok(params.includes('fieldValidation'), `${base} fieldValidation`);
    }
  }
});

void test('hash handling: match is immutable, mismatch redirects, unknown is 404', () => {
  const index = getJson('/openapi/v3');
  const [p, qs] = (index.paths['apis/apps/v1'].serverRelativeURL as string).split('?');
  const ok = openapiResponse(p, new URLSearchParams(qs), 'application/json');
  assert.equal(ok?.headers['Cache-Control'], 'public, immutable');
  assert.ok(ok?.headers.Expires);
  assert.equal(ok?.headers.Etag, `"${new URLSearchParams(qs).get('hash')}"`);
  assert.equal(ok?.headers.Etag, `"${createHash('sha512').update(ok.body).digest('hex').toUpperCase()}"`);
  const plain = openapiResponse(p, none, undefined);
  assert.equal(plain?.status, 200);
  assert.equal(plain?.headers['Cache-Control'], undefined);
  const stale = openapiResponse(p, new URLSearchParams('hash=ABC'), 'application/json');
  assert.equal(stale?.status, 301);
  assert.equal(stale?.headers.Location, `${p}?${qs}`);
  assert.equal(openapiResponse('/openapi/v3/apis/nope/v1', none, 'application/json')?.status, 404);
  assert.equal(openapiResponse('/openapi/v3/apis/apps/v1', none, 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf')?.status, 406);
  assert.equal(openapiResponse('/api/v1', none, 'application/json'), undefined);
  const notModified = openapiResponse(p, none, 'application/json', ok?.headers.Etag);
  assert.equal(notModified?.status, 304);
  assert.equal(notModified?.body.length, 0);
});

void test('v2 JSON document', () => {
  const doc = getJson('/openapi/v2', none, 'application/json');
  assert.equal(doc.swagger, '2.0');
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  const postParams = (coll.post.parameters as Obj[]);
  assert.deepEqual(postParams[0], { in: 'body', name: 'body', schema: { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' }, required: true });
  assert.ok(postParams.some((x) => x.name === 'fieldValidation' && x.in === 'query' && x.type === 'string'));
  assert.deepEqual(coll.post['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
  assert.equal(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  assert.equal(doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
  noDescriptions(doc, 'v2');
  // Accept negotiation
  assert.equal(openapiResponse('/openapi/v2', none, undefined)?.headers['Content-Type'], 'application/json');
  assert.equal(openapiResponse('/openapi/v2', none, 'text/html')?.status, 406);
});

// --- a minimal protobuf reader, enough to check the gnostic encoding ---------

type Fields = Map<number, (Buffer | number)[]>;

function readVarint(b: Buffer, pos: { i: number }): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos.i++];
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) return result;
    mul *= 128;
  }
}

function fields(b: Buffer): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = readVarint(b, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let v: Buffer | number;
    if (wire === 0) v = readVarint(b, pos);
    else if (wire === 2) { const len = readVarint(b, pos); v = b.subarray(pos.i, pos.i + len); pos.i += len; }
    else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => (f.get(n)?.[0] as Buffer | undefined)?.toString('utf8');
const msg = (f: Fields, n: number): Fields => fields((f.get(n)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
const msgs = (f: Fields, n: number): Fields[] => (f.get(n) ?? []).map((x) => fields(x as Buffer));

function named(list: Fields[], name: string): Fields {
  const hit = list.find((x) => str(x, 1) === name);
  assert.ok(hit, name);
  return msg(hit, 2);
}

void test('v2 protobuf: what client-go asks for decodes as gnostic openapi.v2.Document', () => {
  for (const accept of ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']) {
    const r = openapiResponse('/openapi/v2', none, accept);
    assert.equal(r?.status, 200);
    assert.equal(r?.headers['Content-Type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(r?.headers.Etag, openapiResponse('/openapi/v2', none, 'application/json')?.headers.Etag);
  }
  const body = openapiResponse('/openapi/v2', none, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')?.body as Buffer;
  const doc = fields(body);
  assert.equal(str(doc, 1), '2.0');
  assert.equal(str(msg(doc, 2), 1), 'Kubernetes');

  // definitions (9) → NamedSchema (1) → Schema
  const defs = msgs(msg(doc, 9), 1);
  const json = getJson('/openapi/v2');
  assert.equal(defs.length, Object.keys(json.definitions).length);
  const deployment = named(defs, 'io.k8s.api.apps.v1.Deployment');
  assert.equal(str(msg(deployment, 22), 1), 'object'); // TypeItem
  const ext = msgs(deployment, 31).map((x) => [str(x, 1), str(msg(x, 2), 2)]);
  assert.equal(ext[0][0], 'x-kubernetes-group-version-kind');
  assert.deepEqual(yamlParse(ext[0][1] as string), [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  const podSpecProps = msgs(msg(named(defs, 'io.k8s.api.core.v1.PodSpec'), 25), 1);
  const containers = named(podSpecProps, 'containers');
  const cext = Object.fromEntries(msgs(containers, 31).map((x) => [str(x, 1), yamlParse(str(msg(x, 2), 2) as string)]));
  assert.deepEqual(cext, { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
  const item = msgs(msg(containers, 23), 1)[0]; // ItemsItem.schema
  assert.equal(str(item, 1), '#/definitions/io.k8s.api.core.v1.Container');

  // paths (8) → NamedPathItem (2); PATCH (8) of a Deployment carries fieldValidation as a query parameter
  const paths = msgs(msg(doc, 8), 2);
  const itemPath = named(paths, '/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
  const patch = msg(itemPath, 8);
  assert.equal(str(patch, 5), 'patchAppsV1NamespacedDeployment');
  const queryNames = msgs(patch, 8)
    .map((pi) => msg(msg(pi, 1), 2)) // ParametersItem.parameter → Parameter.non_body_parameter
    .map((nb) => str(msg(nb, 3), 4)) // NonBodyParameter.query_parameter_sub_schema → name
    .filter(Boolean);
  assert.ok(queryNames.includes('fieldValidation'));
  const gvkExt = msgs(patch, 13).find((x) => str(x, 1) === 'x-kubernetes-group-version-kind') as Fields;
  assert.deepEqual(yamlParse(str(msg(gvkExt, 2), 2) as string), { group: 'apps', kind: 'Deployment', version: 'v1' });
  // path-level parameters (9): name is a required path parameter (4)
  const nameParam = msgs(itemPath, 9).map((pi) => msg(msg(msg(pi, 1), 2), 4)).find((pp) => str(pp, 4) === 'name') as Fields;
  assert.equal(nameParam.get(1)?.[0], 1);
  assert.equal(str(nameParam, 2), 'path');
});

void test('Accept parsing orders by quality and specificity', () => {
  assert.deepEqual(parseAccept('*/*;q=0.5, application/json').map((c) => `${c.type}/${c.subtype}`), ['application/json', '*/*']);
  assert.deepEqual(parseAccept(undefined).map((c) => `${c.type}/${c.subtype}`), ['*/*']);
  assert.deepEqual(parseAccept('application/*, application/json').map((c) => `${c.type}/${c.subtype}`), ['application/json', 'application/*']);
});
