// The DaemonSet strategy's template generation (apps/v1 keeps
// spec.templateGeneration in the deprecated.daemonset.template.generation
// annotation): 1 on create, +1 on a template change, carried over otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSetDefaults } from '../../../api/defaults/workloads.ts';
import type { Obj } from '../codec.ts';
import type { RequestContext } from '../strategy.ts';
import { daemonSetStrategy } from './workloads.ts';

const KEY = 'deprecated.daemonset.template.generation';
const ctx = {} as RequestContext;

function ds(image: string, annotations?: Record<string, string>): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'a', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

function stored(o: Obj): Obj {
  daemonSetDefaults(o);
  return o;
}

test('create: generation 1 unless a higher one is given; status starts at zero', () => {
  const a = ds('x:1');
  daemonSetStrategy.prepareForCreate!(a, ctx);
  assert.equal(a.metadata.annotations[KEY], '1');
  assert.deepEqual(a.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
  const b = ds('x:1', { [KEY]: '7', other: 'kept' });
  daemonSetStrategy.prepareForCreate!(b, ctx);
  assert.deepEqual(b.metadata.annotations, { [KEY]: '7', other: 'kept' });
  const c = ds('x:1', { [KEY]: '0' });
  daemonSetStrategy.prepareForCreate!(c, ctx);
  assert.equal(c.metadata.annotations[KEY], '1');
});

test('update: +1 only when the template changes; the client cannot set it', () => {
  const old = stored(ds('x:1', { [KEY]: '3' }));
  // Same template, sent without defaults (a PUT) and without the annotation.
  const same = ds('x:1');
  daemonSetStrategy.prepareForUpdate!(same, old, ctx);
  assert.equal(same.metadata.annotations[KEY], '3');
  // A different spec field outside the template.
  const limit = ds('x:1', { [KEY]: '99' });
  limit.spec.revisionHistoryLimit = 2;
  daemonSetStrategy.prepareForUpdate!(limit, old, ctx);
  assert.equal(limit.metadata.annotations[KEY], '3');
  const changed = ds('x:2', { [KEY]: '3' });
  daemonSetStrategy.prepareForUpdate!(changed, old, ctx);
  assert.equal(changed.metadata.annotations[KEY], '4');
});
