import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { schemaFor } from '../schema/index.ts';
import { parseApplyPatch, serverSideApply } from './apply.ts';
import { LAST_APPLIED } from './last-applied.ts';
import { recordUpdate } from './managed-fields.ts';

type Obj = Record<string, any>;
const schema = schemaFor('apps/v1', 'Deployment');
const T0 = new Date('2024-06-01T00:00:00Z');
const T1 = new Date('2024-06-01T01:00:00Z');
const T2 = new Date('2024-06-01T02:00:00Z');

function config(over: { replicas?: number; containers?: Obj[]; labels?: Record<string, string> } = {}): Obj {
  const spec: Obj = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: over.containers ?? [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }] },
    },
  };
  if (over.replicas !== undefined) spec.replicas = over.replicas;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } }, spec };
}

function apply(live: Obj | undefined, applied: Obj, opts: { manager?: string; force?: boolean; now?: Date } = {}): Obj {
  return serverSideApply({ live, applied, manager: opts.manager ?? 'kubectl', force: opts.force ?? false, schema, now: opts.now ?? T1 });
}

/** What the registry adds when it stores an object. */
function stored(obj: Obj, rv = '1'): Obj {
  const o = structuredClone(obj);
  o.metadata.uid = 'uid-1';
  o.metadata.resourceVersion = rv;
  o.metadata.creationTimestamp = '2024-06-01T00:00:00Z';
  for (const c of o.spec.template.spec.containers) c.imagePullPolicy ??= 'IfNotPresent';
  return o;
}

function entry(obj: Obj, manager: string): Obj | undefined {
  return obj.metadata.managedFields?.find((e: Obj) => e.manager === manager);
}

function conflict(fn: () => unknown, message: string, causes?: { message: string; field: string }[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, message);
    if (causes) assert.deepEqual(e.details?.causes, causes.map((c) => ({ reason: 'FieldManagerConflict', ...c })));
    return true;
  });
}

describe('server-side apply', () => {
  test('the first apply creates the object and the applier owns exactly its configuration', () => {
    const out = apply(undefined, config({ replicas: 2 }), { now: T0 });
    assert.deepEqual(out.spec.replicas, 2);
    assert.deepEqual(out.metadata.managedFields, [{
      manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-06-01T00:00:00Z', fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': {
              '.': {}, 'f:image': {}, 'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            } } },
          },
        },
      },
    }]);
  });

  test('re-applying without a field removes it; unowned defaults and system metadata stay', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const next = config({ containers: [{ name: 'web', image: 'nginx:2' }], labels: {} });
    delete next.metadata.labels;
    const out = apply(live, next);
    assert.equal(out.spec.replicas, undefined);
    assert.equal(out.metadata.labels, undefined, 'a map emptied by the removal goes');
    const c = out.spec.template.spec.containers[0];
    assert.equal(c.image, 'nginx:2');
    assert.equal(c.ports, undefined);
    assert.equal(c.imagePullPolicy, 'IfNotPresent', 'a default nobody owns is kept');
    assert.equal(out.metadata.uid, 'uid-1');
    assert.equal(out.metadata.resourceVersion, '1');
    assert.equal(out.metadata.creationTimestamp, '2024-06-01T00:00:00Z');
    const f = entry(out, 'kubectl')?.fieldsV1;
    assert.equal(f['f:spec']['f:replicas'], undefined);
    assert.equal(f['f:metadata'], undefined);
    assert.equal(entry(out, 'kubectl')?.time, '2024-06-01T01:00:00Z');
  });

  test('an apply that changes nothing keeps the object and the entry time', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const out = apply(live, config({ replicas: 2 }), { now: T2 });
    assert.deepEqual(out, live);
  });

  test('a field another manager changed is a conflict; the same value is shared ownership', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const edited = structuredClone(live);
    edited.spec.replicas = 5;
    recordUpdate({ old: live, updated: edited, manager: 'kubectl-edit', now: T1, schema });
    assert.equal(entry(edited, 'kubectl')?.fieldsV1['f:spec']['f:replicas'], undefined, 'the update took the field over');

    conflict(() => apply(edited, config({ replicas: 3 }), { now: T2 }),
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
      [{ message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' }]);

    const shared = apply(edited, config({ replicas: 5 }), { now: T2 });
    assert.deepEqual(entry(shared, 'kubectl')?.fieldsV1['f:spec']['f:replicas'], {});
    assert.deepEqual(entry(shared, 'kubectl-edit')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  });

  test('force moves ownership to the applier', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const edited = structuredClone(live);
    edited.spec.replicas = 5;
    recordUpdate({ old: live, updated: edited, manager: 'kubectl-edit', now: T1, schema });
    const out = apply(edited, config({ replicas: 3 }), { force: true, now: T2 });
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(entry(out, 'kubectl')?.fieldsV1['f:spec']['f:replicas'], {});
    assert.equal(entry(out, 'kubectl-edit'), undefined, 'a manager left with nothing is dropped');
  });

  test('conflicts with several managers are listed by manager', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const a = structuredClone(live);
    a.spec.replicas = 5;
    recordUpdate({ old: live, updated: a, manager: 'kubectl-scale', now: T1, schema });
    const b = structuredClone(a);
    b.spec.template.spec.containers[0].image = 'nginx:patched';
    b.metadata.labels.app = 'other';
    recordUpdate({ old: a, updated: b, manager: 'kubectl-patch', now: T1, schema });
    const next = config({ replicas: 3, containers: [{ name: 'web', image: 'nginx:9', ports: [{ containerPort: 80 }] }], labels: { app: 'mine' } });
    conflict(() => apply(b, next), [
      'Apply failed with 3 conflicts: conflicts with "kubectl-patch" using apps/v1:',
      '- .metadata.labels.app',
      '- .spec.template.spec.containers[name="web"].image',
      'conflicts with "kubectl-scale" using apps/v1:',
      '- .spec.replicas',
    ].join('\n'), [
      { message: 'conflict with "kubectl-patch" using apps/v1', field: '.metadata.labels.app' },
      { message: 'conflict with "kubectl-patch" using apps/v1', field: '.spec.template.spec.containers[name="web"].image' },
      { message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' },
    ]);
  });

  test('another applier is named without a version', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { manager: 'helm', now: T0 }));
    conflict(() => apply(live, config({ replicas: 4 })), 'Apply failed with 1 conflict: conflict with "helm": .spec.replicas');
  });

  test('fields owned by others are left alone when the applier drops its own', () => {
    const live = stored(apply(undefined, config({ replicas: 2, labels: { app: 'web', tier: 'front' } }), { now: T0 }));
    const labelled = structuredClone(live);
    labelled.metadata.labels.team = 'blue';
    recordUpdate({ old: live, updated: labelled, manager: 'kubectl-label', now: T1, schema });
    // A second applier co-owns "tier" with the same value.
    const co = apply(labelled, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'front' } } }, { manager: 'other', now: T1 });
    const out = apply(co, config({ replicas: 2, labels: {} }), { now: T2 });
    assert.deepEqual(out.metadata.labels, { tier: 'front', team: 'blue' });
    // Applying `labels: {}` owns the (empty) map itself, not its entries.
    assert.deepEqual(entry(out, 'kubectl')?.fieldsV1['f:metadata'], { 'f:labels': {} });
    assert.deepEqual(entry(out, 'kubectl-label')?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:team': {} } } });
  });

  test('list-map items merge by key across appliers', () => {
    const live = stored(apply(undefined, config({ replicas: 1 }), { now: T0 }));
    const sidecar = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } };
    const withSidecar = apply(live, sidecar, { manager: 'injector', now: T1 });
    assert.deepEqual(withSidecar.spec.template.spec.containers.map((c: Obj) => c.name), ['web', 'sidecar']);
    const out = apply(withSidecar, config({ replicas: 1, containers: [{ name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] }] }), { now: T2 });
    assert.deepEqual(out.spec.template.spec.containers.map((c: Obj) => [c.name, c.image]), [['web', 'nginx:2'], ['sidecar', 'busybox']]);
    assert.deepEqual(Object.keys(entry(out, 'kubectl')?.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']), ['k:{"name":"web"}']);
    assert.deepEqual(Object.keys(entry(out, 'injector')?.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']), ['k:{"name":"sidecar"}']);
    // The injector stops applying its container: it goes.
    const gone = apply(out, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, { manager: 'injector', now: T2 });
    assert.deepEqual(gone.spec.template.spec.containers.map((c: Obj) => c.name), ['web']);
    assert.equal(entry(gone, 'injector'), undefined);
  });

  test('a renamed container replaces the old one', () => {
    const live = stored(apply(undefined, config({ replicas: 1 }), { now: T0 }));
    const out = apply(live, config({ replicas: 1, containers: [{ name: 'app', image: 'nginx:1' }] }));
    assert.deepEqual(out.spec.template.spec.containers, [{ name: 'app', image: 'nginx:1' }]);
  });

  test('a defaulted key field matches: a port applied without protocol is the live TCP port', () => {
    const live = stored(apply(undefined, config({ replicas: 1 }), { now: T0 }));
    live.spec.template.spec.containers[0].ports[0].protocol = 'TCP';
    const out = apply(live, config({ replicas: 1, containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, name: 'http' }] }] }));
    assert.deepEqual(out.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  });

  test('status, creationTimestamp: null and system metadata in the configuration are not owned or applied', () => {
    const live = stored(apply(undefined, config({ replicas: 1 }), { now: T0 }));
    const cfg = config({ replicas: 1 });
    cfg.metadata.creationTimestamp = null;
    cfg.metadata.uid = 'uid-1';
    cfg.status = {};
    const out = apply(live, cfg);
    assert.equal(out.metadata.creationTimestamp, '2024-06-01T00:00:00Z');
    const f = entry(out, 'kubectl')?.fieldsV1;
    assert.equal(f['f:status'], undefined);
    assert.equal(f['f:metadata']['f:creationTimestamp'], undefined);
    assert.equal(f['f:metadata']['f:uid'], undefined);
  });

  test('an object without managedFields is owned by before-first-apply', () => {
    const live = stored(config({ replicas: 2 }));
    const out = apply(live, config({ replicas: 2 }));
    assert.ok(entry(out, 'before-first-apply'));
    conflict(() => apply(live, config({ replicas: 3 })), 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });

  test('kubectl can take over from client-side apply without conflicts; the annotation follows', () => {
    const cfg = config({ replicas: 2 });
    const created = structuredClone(cfg);
    created.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(cfg) };
    recordUpdate({ old: undefined, updated: created, manager: 'kubectl-client-side-apply', now: T0, schema });
    const live = stored(created);

    const next = config({ replicas: 3 });
    conflict(() => apply(live, next, { manager: 'some-tool' }),
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    const out = apply(live, next);
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(entry(out, 'kubectl')?.fieldsV1['f:spec']['f:replicas'], {});
    const ann = out.metadata.annotations[LAST_APPLIED] as string;
    assert.ok(ann.endsWith('\n'));
    assert.deepEqual(JSON.parse(ann), next);
    assert.ok(ann.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{'), 'keys sorted as Go encodes maps');

    // Someone else changed replicas since: that conflict stands.
    const edited = structuredClone(live);
    edited.spec.replicas = 7;
    recordUpdate({ old: live, updated: edited, manager: 'kubectl-edit', now: T1, schema });
    conflict(() => apply(edited, next), 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas');
  });

  test('requests the apiserver rejects before merging', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), { now: T0 }));
    const withMf = config();
    withMf.metadata.managedFields = [];
    assert.throws(() => apply(live, withMf), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'metadata.managedFields must be nil');
    const wrongVersion = { ...config(), apiVersion: 'apps/v1beta1' };
    assert.throws(() => apply(live, wrongVersion), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'invalid object type: apps/v1beta1, Kind=Deployment');
    const staleRv = config();
    staleRv.metadata.resourceVersion = '0';
    assert.throws(() => apply(live, staleRv), (e: unknown) => e instanceof ApiError && e.code === 409
      && e.message === 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
    const dup = config({ containers: [{ name: 'web', image: 'a' }, { name: 'web', image: 'b' }] });
    assert.throws(() => apply(live, dup), (e: unknown) => e instanceof ApiError && e.code === 500
      && e.message === 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="web"]');
    const unknown = config();
    unknown.spec.bogus = 1;
    unknown.spec.other = 2;
    assert.throws(() => apply(live, unknown), (e: unknown) => e instanceof ApiError && e.code === 500
      && e.message === 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n  .spec.bogus: field not declared in schema\n  .spec.other: field not declared in schema');
  });

  test('apply bodies are YAML (or JSON)', () => {
    assert.deepEqual(parseApplyPatch('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.deepEqual(parseApplyPatch('{"a":1}'), { a: 1 });
    assert.throws(() => parseApplyPatch('- 1'), (e: unknown) => e instanceof ApiError && e.code === 400 && /^error decoding YAML/.test(e.message));
  });
});

describe('server-side apply on other kinds', () => {
  test('Service ports keyed by port and protocol; a ConfigMap applied twice by two managers', () => {
    const svcSchema = schemaFor('v1', 'Service');
    const svc: Obj = serverSideApply({
      live: undefined, manager: 'kubectl', force: false, schema: svcSchema, now: T0,
      applied: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    });
    assert.deepEqual(svc.metadata.managedFields[0].fieldsV1, {
      'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } }, 'f:selector': {} },
    });
    const cmSchema = schemaFor('v1', 'ConfigMap');
    const a = serverSideApply({ live: undefined, manager: 'a', force: false, schema: cmSchema, now: T0,
      applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1' } } });
    const b: Obj = serverSideApply({ live: a, manager: 'b', force: false, schema: cmSchema, now: T1,
      applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { y: '2' } } });
    assert.deepEqual(b.data, { x: '1', y: '2' });
    assert.deepEqual(b.metadata.managedFields.map((e: Obj) => [e.manager, e.fieldsV1]), [
      ['a', { 'f:data': { 'f:x': {} } }],
      ['b', { 'f:data': { 'f:y': {} } }],
    ]);
  });

  test('a kind without a schema: objects merge granularly, lists are atomic', () => {
    const out = serverSideApply({ live: { apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 't' }, spec: { a: 1, list: [1, 2] } },
      applied: { apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 't' }, spec: { b: 2, list: [3] } }, manager: 'm', force: true, schema: undefined, now: T0 });
    assert.deepEqual(out.spec, { a: 1, b: 2, list: [3] });
  });
});
