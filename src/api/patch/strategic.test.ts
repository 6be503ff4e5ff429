import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { schemaFor } from '../schema/index.ts';
import type { SchemaNode } from '../schema/types.ts';
import { applyStrategicMergePatch as smp } from './strategic.ts';

// A small hand-made schema with the patch metadata that matters.
const str: SchemaNode = { type: 'string' };
const envVar: SchemaNode = { type: 'object', properties: { name: str, value: str } };
const port: SchemaNode = { type: 'object', properties: { containerPort: { type: 'integer' }, protocol: str, name: str } };
const container: SchemaNode = {
  type: 'object',
  properties: {
    name: str, image: str,
    args: { type: 'array', items: str },
    env: { type: 'array', items: envVar, patchStrategy: 'merge', patchMergeKey: 'name' },
    ports: { type: 'array', items: port, patchStrategy: 'merge', patchMergeKey: 'containerPort' },
  },
};
const schema: SchemaNode = {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      properties: {
        labels: { type: 'object', additionalProperties: str },
        finalizers: { type: 'array', items: str, patchStrategy: 'merge' },
      },
    },
    spec: {
      type: 'object',
      properties: {
        containers: { type: 'array', items: container, patchStrategy: 'merge', patchMergeKey: 'name' },
        tolerations: { type: 'array', items: { type: 'object', properties: { key: str } } },
        nodeSelector: { type: 'object', additionalProperties: str, patchStrategy: 'replace' },
        strategy: {
          type: 'object', patchStrategy: 'retainKeys',
          properties: { type: str, rollingUpdate: { type: 'object', properties: { maxSurge: str } } },
        },
      },
    },
  },
};

function fails(fn: () => unknown, code: number, reason: string, message?: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.reason, reason);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

describe('strategic merge patch, hand-made schema', () => {
  const live = {
    metadata: { labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
        { name: 'sidecar', image: 'busybox' },
      ],
      tolerations: [{ key: 'x' }],
      nodeSelector: { disk: 'ssd', zone: 'a' },
    },
  };

  test('maps merge and null deletes', () => {
    const out = smp(live, { metadata: { labels: { tier: null, env: 'prod' } } }, schema) as typeof live;
    assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
    assert.deepEqual(live.metadata.labels, { app: 'web', tier: 'front' }, 'live untouched');
  });

  test('merge lists merge items by key; other lists are replaced', () => {
    const out = smp(live, { spec: { containers: [{ name: 'web', image: 'nginx:2' }], tolerations: [{ key: 'y' }] } }, schema) as typeof live;
    assert.deepEqual(out.spec.containers.map((c) => [c.name, c.image]), [['web', 'nginx:2'], ['sidecar', 'busybox']]);
    assert.deepEqual(out.spec.containers[0].env, live.spec.containers[0].env, 'fields the patch does not name are kept');
    assert.deepEqual(out.spec.tolerations, [{ key: 'y' }]);
  });

  test('primitive merge lists are set unions', () => {
    const out = smp(live, { metadata: { finalizers: ['b', 'c'] } }, schema) as typeof live;
    assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'c']);
  });

  test('replace strategy on a map replaces it', () => {
    const out = smp(live, { spec: { nodeSelector: { disk: 'hdd' } } }, schema) as typeof live;
    assert.deepEqual(out.spec.nodeSelector, { disk: 'hdd' });
  });

  test('$patch: replace and delete on maps', () => {
    const r = smp(live, { metadata: { labels: { $patch: 'replace', only: 'this' } } }, schema) as typeof live;
    assert.deepEqual(r.metadata.labels, { only: 'this' });
    const d = smp(live, { metadata: { labels: { $patch: 'delete' } } }, schema) as typeof live;
    assert.deepEqual(d.metadata.labels, {});
    const m = smp(live, { metadata: { labels: { $patch: 'merge', x: 'y' } } }, schema) as typeof live;
    assert.deepEqual(m.metadata.labels, { app: 'web', tier: 'front', x: 'y' });
  });

  test('$patch: replace and delete as list items', () => {
    const r = smp(live, { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } }, schema) as typeof live;
    assert.deepEqual(r.spec.containers, [{ name: 'only', image: 'x' }]);
    const d = smp(live, { spec: { containers: [{ $patch: 'delete', name: 'sidecar' }] } }, schema) as typeof live;
    assert.deepEqual(d.spec.containers.map((c) => c.name), ['web']);
  });

  test('$deleteFromPrimitiveList removes values', () => {
    const out = smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, schema) as typeof live;
    assert.deepEqual(out.metadata.finalizers, ['b']);
    const none = smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, schema);
    assert.deepEqual(none, { metadata: {} }, 'nothing to delete from');
  });

  test('$setElementOrder orders merged lists; server-only items keep their place', () => {
    const withInjected = { spec: { containers: [{ name: 'a' }, { name: 'proxy' }, { name: 'b' }] } };
    const out = smp(withInjected, {
      spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }, { name: 'c' }], containers: [{ name: 'c', image: 'x' }] },
    }, schema) as typeof withInjected;
    // Upstream interleaves a server-only item before the first patch item that the
    // live order places after it: 'proxy' came before 'b' in the live list.
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['proxy', 'b', 'a', 'c']);
    const reorder = smp(withInjected, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'proxy' }, { name: 'a' }] } }, schema) as typeof withInjected;
    assert.deepEqual(reorder.spec.containers.map((c) => c.name), ['b', 'proxy', 'a']);
  });

  test('without $setElementOrder new items follow the patch and interleave with live order', () => {
    const l = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    const out = smp(l, { spec: { containers: [{ name: 'b', image: 'x' }, { name: 'd' }] } }, schema) as typeof l;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['a', 'b', 'd', 'c']);
  });

  test('$setElementOrder with $deleteFromPrimitiveList on a primitive list', () => {
    const out = smp(live, {
      metadata: { '$setElementOrder/finalizers': ['c', 'a'], finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['b'] },
    }, schema) as typeof live;
    assert.deepEqual(out.metadata.finalizers, ['c', 'a']);
  });

  test('$retainKeys clears keys not listed', () => {
    const l = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } };
    const out = smp(l, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } }, schema);
    assert.deepEqual(out, { spec: { strategy: { type: 'Recreate' } } });
  });

  test('new values are stored without nulls or directives', () => {
    const out = smp({ spec: {} }, {
      spec: { containers: [{ name: 'a', image: null, env: [{ name: 'X', value: null }] }], strategy: { $retainKeys: ['type'], type: 'Recreate', x: null } },
    }, schema);
    assert.deepEqual(out, { spec: { containers: [{ name: 'a', env: [{ name: 'X' }] }], strategy: { type: 'Recreate' } } });
  });

  test('a type change replaces the value; int-or-string values are plain values', () => {
    const out = smp({ spec: { tolerations: 'weird', port: 80 } }, { spec: { tolerations: [{ key: 'k' }], port: 'http' } }, schema);
    assert.deepEqual(out, { spec: { tolerations: [{ key: 'k' }], port: 'http' } });
  });

  test('null patch is a no-op; a non-object patch is a 400', () => {
    assert.deepEqual(smp(live, null, schema), live);
    fails(() => smp(live, [1], schema), 400, 'BadRequest', 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  });

  test('without a schema it is a merge patch', () => {
    const out = smp({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } }, undefined);
    assert.deepEqual(out, { a: [3], b: { c: 1, d: 2 } });
  });

  test('errors are classified as upstream classifies them', () => {
    fails(() => smp(live, { spec: { strategy: { $retainKeys: 'type' } } }, schema), 400, 'BadRequest', 'invalid patch format of retainKeys');
    fails(() => smp(live, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, schema), 400, 'BadRequest', 'invalid patch format of retainKeys');
    fails(() => smp({ metadata: { finalizers: [['a']] } }, { metadata: { finalizers: [['x']] } }, schema), 422, 'Invalid', 'the server rejected our request due to an error in our request');
    fails(() => smp(live, { metadata: { finalizers: [['x']] } }, schema), 500, '', /^list element types are not identical/);
    fails(() => smp(live, { metadata: { labels: { $patch: 'bogus' } } }, schema), 500, '', /^unknown patch type: bogus in map/);
    fails(() => smp(live, { spec: { containers: [{ image: 'x' }] } }, schema), 500, '', 'map: map[image:x] does not contain declared merge key: name');
    fails(() => smp(live, { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }, schema), 400, 'BadRequest', 'invalid patch format of primitive list');
    fails(() => smp(live, { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'sidecar' }, { name: 'web' }] } }, schema),
      500, '', /^The order in patch list:/);
  });
});

// Patches as `kubectl apply` (client-side) computes them from last-applied,
// live and the new manifest, applied to realistic live objects.
describe('strategic merge patch, real kinds', () => {
  const deploySchema = schemaFor('apps/v1', 'Deployment');
  const podSchema = schemaFor('v1', 'Pod');
  const svcSchema = schemaFor('v1', 'Service');
  const LA = 'kubectl.kubernetes.io/last-applied-configuration';

  const liveDeployment = () => ({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' }, annotations: { [LA]: '{}' }, resourceVersion: '5' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'web', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log',
            env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
            ports: [{ containerPort: 80, protocol: 'TCP' }],
          }],
          restartPolicy: 'Always',
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  });
  type D = ReturnType<typeof liveDeployment>;

  test('schemas are available', () => {
    assert.ok(deploySchema && podSchema && svcSchema);
  });

  test('a container added', () => {
    const out = smp(liveDeployment(), {
      metadata: { annotations: { [LA]: 'new' } },
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'busybox', name: 'sidecar' }] } } },
    }, deploySchema) as D;
    const cs = out.spec.template.spec.containers;
    assert.deepEqual(cs.map((c) => c.name), ['web', 'sidecar']);
    assert.equal(cs[0].imagePullPolicy, 'IfNotPresent', 'server defaults of kept items survive');
    assert.deepEqual(cs[1], { image: 'busybox', name: 'sidecar' });
    assert.equal(out.metadata.annotations[LA], 'new');
  });

  test('a container removed', () => {
    const live = liveDeployment();
    live.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' } as never);
    const out = smp(live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
    }, deploySchema) as D;
    assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['web']);
  });

  test('a container renamed', () => {
    const out = smp(liveDeployment(), {
      spec: { template: { spec: {
        '$setElementOrder/containers': [{ name: 'app' }],
        containers: [{ image: 'nginx:1.25', name: 'app' }, { $patch: 'delete', name: 'web' }],
      } } },
    }, deploySchema) as D;
    assert.deepEqual(out.spec.template.spec.containers, [{ image: 'nginx:1.25', name: 'app' }]);
  });

  test('an env var removed and one changed', () => {
    const out = smp(liveDeployment(), {
      spec: { template: { spec: {
        '$setElementOrder/containers': [{ name: 'web' }],
        containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'A', value: '10' }, { $patch: 'delete', name: 'B' }], name: 'web' }],
      } } },
    }, deploySchema) as D;
    assert.deepEqual(out.spec.template.spec.containers[0].env, [{ name: 'A', value: '10' }]);
    assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.25');
  });

  test('a label removed', () => {
    const out = smp(liveDeployment(), { metadata: { labels: { tier: null } } }, deploySchema) as D;
    assert.deepEqual(out.metadata.labels, { app: 'web' });
  });

  test('container ports changed (merge key containerPort, defaulted protocol)', () => {
    const out = smp(liveDeployment(), {
      spec: { template: { spec: {
        '$setElementOrder/containers': [{ name: 'web' }],
        containers: [{ '$setElementOrder/ports': [{ containerPort: 8080 }], name: 'web', ports: [{ containerPort: 8080 }, { $patch: 'delete', containerPort: 80 }] }],
      } } },
    }, deploySchema) as D;
    assert.deepEqual(out.spec.template.spec.containers[0].ports, [{ containerPort: 8080 }]);
  });

  test('strategy switched to Recreate ($retainKeys)', () => {
    const out = smp(liveDeployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } }, deploySchema) as D;
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  });

  test('a volume changed from emptyDir to configMap ($retainKeys in a list item)', () => {
    const out = smp(liveDeployment(), {
      spec: { template: { spec: {
        '$setElementOrder/volumes': [{ name: 'data' }],
        volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, emptyDir: null, name: 'data' }],
      } } },
    }, deploySchema) as D;
    assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'data', configMap: { name: 'cfg' } }]);
  });

  test('the selector is replaced whole only where the patch says so; matchLabels merge', () => {
    const out = smp(liveDeployment(), { spec: { selector: { matchLabels: { extra: 'x' } } } }, deploySchema) as D;
    assert.deepEqual(out.spec.selector, { matchLabels: { app: 'web', extra: 'x' } });
  });

  test('Pod: args (atomic) replaced, finalizers merged, ownerReferences merged by uid', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'p', finalizers: ['x'], ownerReferences: [{ uid: '1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
      spec: { containers: [{ name: 'c', image: 'i', args: ['a', 'b'] }] },
    };
    const out = smp(pod, {
      metadata: { finalizers: ['y'], ownerReferences: [{ uid: '1', controller: true }] },
      spec: { containers: [{ name: 'c', args: ['z'] }] },
    }, podSchema) as typeof pod;
    // Without $setElementOrder, upstream puts patch items the live list does not have first.
    assert.deepEqual(out.metadata.finalizers, ['y', 'x']);
    assert.deepEqual(out.metadata.ownerReferences, [{ uid: '1', name: 'rs', kind: 'ReplicaSet', apiVersion: 'apps/v1', controller: true }]);
    assert.deepEqual(out.spec.containers[0].args, ['z']);
  });

  test('Service: a port replaced (merge key port) and targetPort int-or-string', () => {
    const svc = {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 }] },
    };
    const out = smp(svc, {
      spec: {
        '$setElementOrder/ports': [{ port: 443 }, { port: 9090 }],
        ports: [{ name: 'https', port: 443, targetPort: 'https' }, { $patch: 'delete', port: 80 }],
      },
    }, svcSchema) as typeof svc;
    assert.deepEqual(out.spec.ports, [
      { name: 'https', port: 443, targetPort: 'https' },
      { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
    ]);
  });
});
