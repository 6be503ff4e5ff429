import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cannotBeHandledMessage, findTypeErrors, findUnknownFields, goTypeOf, parseFieldValidation, strictDecodingError,
  unknownFieldWarnings, validateFields,
} from './unknown-fields.ts';

function deployment(extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', 'example.com/anything': 'x' }, annotations: { a: 'b' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: 1024 } } },
            { name: 'b', image: 'busybox', ...container },
          ],
        },
      },
      ...extra,
    },
  };
}

void test('a valid object has no unknown fields', () => {
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', deployment()), []);
  assert.deepEqual(findTypeErrors('apps/v1', 'Deployment', deployment()), []);
});

void test('typos are reported with dotted paths and list positions, in body order', () => {
  const obj = deployment({ foo: 1 }, { imagee: 'x', ports: [{ containerPort: 1 }, { containerPort: 2, protocl: 'TCP' }] });
  (obj.metadata as Record<string, unknown>).labelz = { a: 'b' };
  (obj as Record<string, unknown>).extra = true;
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', obj), [
    'metadata.labelz',
    'spec.template.spec.containers[1].imagee',
    'spec.template.spec.containers[1].ports[1].protocl',
    'spec.foo',
    'extra',
  ]);
});

void test('maps, IntOrString, Quantity and RawExtension are not descended into as structs', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { anything: 'x', 'a.b': 'y' } };
  assert.deepEqual(findUnknownFields('v1', 'ConfigMap', cm), []);
  const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { whatever: 1 } } };
  assert.deepEqual(findUnknownFields('apps/v1', 'ControllerRevision', rev), []);
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'x', fieldsV1: { 'f:spec': {} } }] },
    spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } }, bogus: 1 }] },
  };
  assert.deepEqual(findUnknownFields('v1', 'Pod', pod), ['spec.containers[0].bogus']);
});

void test('preserve-unknown-fields keeps unknown keys but still checks known ones', async () => {
  const { definitions } = await import('./index.ts');
  const spec = definitions()['io.k8s.api.core.v1.ConfigMap'];
  const saved = spec.preserveUnknownFields;
  try {
    (spec as { preserveUnknownFields?: boolean }).preserveUnknownFields = true;
    assert.deepEqual(findUnknownFields('v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', free: 1, metadata: { nam: 'x' } }),
      ['metadata.nam']);
  } finally {
    (spec as { preserveUnknownFields?: boolean }).preserveUnknownFields = saved;
  }
});

void test('unknown kinds and non-objects yield nothing', () => {
  assert.deepEqual(findUnknownFields('example.com/v1', 'Widget', { a: 1 }), []);
  assert.deepEqual(findUnknownFields('v1', 'Pod', 'nope'), []);
  assert.deepEqual(findUnknownFields('v1', 'Pod', { spec: null }), []);
});

void test('messages read as upstream prints them', () => {
  const paths = ['spec.foo', 'spec.template.spec.containers[0].imagee'];
  assert.equal(strictDecodingError(paths),
    'strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].imagee"');
  assert.equal(cannotBeHandledMessage('apps/v1', 'Deployment', strictDecodingError(['spec.foo'])),
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
  assert.deepEqual(unknownFieldWarnings(paths), ['unknown field "spec.foo"', 'unknown field "spec.template.spec.containers[0].imagee"']);
});

void test('type mismatches are worded as Go decoding errors', () => {
  const obj = deployment({ replicas: '3' }, { ports: { containerPort: 80 }, command: ['sleep', 1200] });
  const errs = findTypeErrors('apps/v1', 'Deployment', obj);
  assert.deepEqual(errs.map((e) => e.message), [
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    'json: cannot unmarshal object into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort',
    'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.command of type string',
  ]);
  const probe = findTypeErrors('v1', 'Pod', { spec: { containers: [{ name: 'a', livenessProbe: [] }] } });
  assert.equal(probe[0].message, 'json: cannot unmarshal array into Go struct field Container.spec.containers.livenessProbe of type v1.Probe');
  const labels = findTypeErrors('v1', 'Pod', { metadata: { labels: { a: 1 } } });
  assert.equal(labels[0].message, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  const port = findTypeErrors('v1', 'Service', { spec: { ports: [{ port: 80, targetPort: true }] } });
  assert.equal(port[0].message, 'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32');
  assert.equal(goTypeOf({ type: 'object', additionalProperties: { ref: 'io.k8s.apimachinery.pkg.api.resource.Quantity' } }),
    'map[string]resource.Quantity');
});

void test('validateFields applies the directive', () => {
  const bad = deployment({ foo: 1 });
  assert.deepEqual(validateFields('apps/v1', 'Deployment', bad, 'Ignore'), { warnings: [] });
  assert.deepEqual(validateFields('apps/v1', 'Deployment', bad, undefined), { warnings: ['unknown field "spec.foo"'] });
  assert.deepEqual(validateFields('apps/v1', 'Deployment', bad, 'Warn'), { warnings: ['unknown field "spec.foo"'] });
  assert.deepEqual(validateFields('apps/v1', 'Deployment', bad, 'Strict'), {
    error: 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"', warnings: [],
  });
  assert.deepEqual(validateFields('apps/v1', 'Deployment', bad, 'Strict', 'patch'), {
    error: 'strict decoding error: unknown field "spec.foo"', warnings: [],
  });
  // A type error fails the request whatever the directive, and trumps unknown fields.
  const typed = validateFields('apps/v1', 'Deployment', deployment({ replicas: 'x', foo: 1 }), 'Ignore');
  assert.match(typed.error ?? '', /cannot be handled as a Deployment: json: cannot unmarshal string/);
});

void test('parseFieldValidation', () => {
  assert.deepEqual(parseFieldValidation(null), {});
  assert.deepEqual(parseFieldValidation('Strict'), { directive: 'Strict' });
  assert.equal(parseFieldValidation('strict').error?.message,
    'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
});
