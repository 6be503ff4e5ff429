import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { definition, definitionNameFor, definitions, isIntOrString, resolveRef, schemaFor } from './index.ts';
import { RESOURCES, apiVersionOf } from '../resources.ts';

void test('schemaFor finds kinds by apiVersion and kind', () => {
  const d = schemaFor('apps/v1', 'Deployment');
  assert.ok(d);
  assert.equal(d.properties?.spec.ref, 'io.k8s.api.apps.v1.DeploymentSpec');
  assert.deepEqual(d.gvk, [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.equal(definitionNameFor('v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
  assert.equal(definitionNameFor('v1', 'Event'), 'io.k8s.api.core.v1.Event');
  assert.equal(definitionNameFor('events.k8s.io/v1', 'Event'), 'io.k8s.api.events.v1.Event');
  assert.equal(definitionNameFor('autoscaling/v1', 'Scale'), 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(definitionNameFor('policy/v1', 'Eviction'), 'io.k8s.api.policy.v1.Eviction');
  assert.equal(definitionNameFor('v1', 'Status'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  assert.equal(definitionNameFor('apps/v1', 'DeleteOptions'), 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(schemaFor('apps/v1', 'Nope'), undefined);
  assert.equal(schemaFor('v1', 'Deployment'), undefined);
});

void test('every served kind and list kind has a schema', () => {
  for (const r of RESOURCES) {
    assert.ok(schemaFor(apiVersionOf(r), r.kind), `${apiVersionOf(r)} ${r.kind}`);
    if (r.verbs.includes('list')) assert.ok(schemaFor(apiVersionOf(r), r.listKind), `${apiVersionOf(r)} ${r.listKind}`);
  }
});

void test('resolveRef follows refs and keeps plain nodes', () => {
  const spec = schemaFor('v1', 'Pod')?.properties?.spec;
  assert.ok(spec);
  const podSpec = resolveRef(spec);
  assert.equal(podSpec, definition('io.k8s.api.core.v1.PodSpec'));
  const plain = { type: 'string' as const };
  assert.equal(resolveRef(plain), plain);
});

void test('patch facts survive: containers merge on name, ports list-map', () => {
  const podSpec = definition('io.k8s.api.core.v1.PodSpec');
  const containers = podSpec?.properties?.containers;
  assert.equal(containers?.patchStrategy, 'merge');
  assert.equal(containers?.patchMergeKey, 'name');
  assert.equal(containers?.items?.ref, 'io.k8s.api.core.v1.Container');
  assert.equal(podSpec?.properties?.volumes.patchStrategy, 'merge,retainKeys');
  const ports = definition('io.k8s.api.core.v1.Container')?.properties?.ports;
  assert.deepEqual(ports?.listMapKeys, ['containerPort', 'protocol']);
  assert.equal(definition('io.k8s.api.core.v1.ContainerPort')?.properties?.protocol.default, 'TCP');
  assert.deepEqual(definition('io.k8s.api.core.v1.ContainerPort')?.required, ['containerPort']);
  assert.equal(definition('io.k8s.api.core.v1.LocalObjectReference')?.mapType, 'atomic');
  assert.equal(definition('io.k8s.api.core.v1.ObjectMeta'), undefined);
  assert.equal(definition('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')?.properties?.labels.additionalProperties?.type, 'string');
});

void test('IntOrString and Quantity keep their v3 alternatives', () => {
  const tp = definition('io.k8s.api.core.v1.ServicePort')?.properties?.targetPort;
  assert.ok(tp);
  assert.ok(isIntOrString(tp));
  assert.equal(isIntOrString({ type: 'string' }), false);
  assert.deepEqual(definition('io.k8s.apimachinery.pkg.api.resource.Quantity')?.oneOf, [{ type: 'string' }, { type: 'number' }]);
});

void test('the generated file is compact and carries no upstream prose', () => {
  const text = readFileSync(new URL('./generated/definitions.json', import.meta.url), 'utf8');
  assert.ok(text.length < 200_000, `definitions.json is ${text.length} bytes`);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        assert.ok(!(k === 'description' && typeof x === 'string'), 'description text found');
        walk(x);
      }
    }
  };
  walk(definitions());
  // Every ref points at a carried definition.
  const defs = definitions();
  const check = (n: unknown): void => {
    if (Array.isArray(n)) { n.forEach(check); return; }
    if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (typeof o.ref === 'string') assert.ok(defs[o.ref], `dangling ref ${o.ref}`);
      Object.values(o).forEach(check);
    }
  };
  check(defs);
});
