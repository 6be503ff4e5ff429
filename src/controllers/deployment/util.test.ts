// The Deployment arithmetic, pure: fenceposts and rounding, the template hash,
// revisions, proportional scaling and rolling-update planning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import {
  calculateStatus, computeHash, DESIRED_REPLICAS, deploymentTimedOut, equalIgnoreHash, findActiveOrLatest, findNewReplicaSet, MAX_REPLICAS,
  maxScaledDown, maxSurge, maxUnavailable, newRSNewReplicas, planCleanupUnhealthy, planScaleDownOld, proportionalSizes, resolveFenceposts,
  REVISION, REVISION_HISTORY, scaledValue, setNewReplicaSetAnnotations,
} from './util.ts';

const template = (image = 'nginx:1'): PodTemplateSpec => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

function deploy(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } }, template: template(),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      ...extra,
    },
    status: {},
  };
}

let seq = 0;
function rs(name: string, replicas: number, opts: { available?: number; created?: number; annotations?: Record<string, string>; image?: string } = {}): ReplicaSet {
  return {
    metadata: {
      name, namespace: 'default', uid: `uid-${name}-${seq++}`,
      creationTimestamp: new Date(opts.created ?? Date.UTC(2024, 0, 1)).toISOString().replace(/\.\d+Z$/, 'Z'),
      annotations: opts.annotations,
    },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(opts.image) },
    status: { replicas, availableReplicas: opts.available ?? replicas },
  };
}

test('percentages: surge rounds up, unavailable rounds down; both 0 makes unavailable 1', () => {
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue(4, 10, false), 4);
  assert.throws(() => scaledValue('3', 10, true), /not a percentage/);
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), [3, 2]);
  assert.deepEqual(resolveFenceposts('10%', '10%', 3), [1, 0]);
  assert.deepEqual(resolveFenceposts(0, '10%', 3), [0, 1]);
  assert.equal(maxSurge(deploy(10)), 3);
  assert.equal(maxUnavailable(deploy(10)), 2);
  assert.equal(maxUnavailable(deploy(3, 1, 5)), 3, 'capped at replicas');
  assert.equal(maxUnavailable(deploy(0)), 0);
  assert.equal(maxSurge({ ...deploy(10), spec: { ...deploy(10).spec!, strategy: { type: 'Recreate' } } }), 0);
});

test('template hash: stable, upstream alphabet, at most 10 characters, changed by the template and by collisionCount', () => {
  const h = computeHash(template());
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(template()), h);
  // Key order does not matter.
  assert.equal(computeHash({ spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } }), h);
  assert.notEqual(computeHash(template('nginx:2')), h);
  assert.notEqual(computeHash(template(), 1), h);
  assert.notEqual(computeHash(template(), 1), computeHash(template(), 2));
});

test('equalIgnoreHash ignores pod-template-hash and nil-vs-empty', () => {
  const a = template();
  const b = structuredClone(a);
  b.metadata!.labels!['pod-template-hash'] = 'abc';
  b.metadata!.annotations = {};
  assert.equal(equalIgnoreHash(a, b), true);
  assert.equal(equalIgnoreHash(a, template('nginx:2')), false);
  const d = deploy(3);
  const older = rs('web-old', 0, { created: Date.UTC(2023, 0, 1) });
  const newer = rs('web-new', 0, { created: Date.UTC(2024, 0, 1) });
  assert.equal(findNewReplicaSet(d, [newer, older])?.metadata?.name, 'web-old', 'the oldest of several equal templates');
});

test('revision annotations: a returning ReplicaSet keeps its old revisions in revision-history', () => {
  const d = deploy(3);
  d.metadata!.annotations = { 'kubernetes.io/change-cause': 'v2', [REVISION]: '2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  const fresh = rs('web-a', 0, { annotations: {} });
  assert.equal(setNewReplicaSetAnnotations(d, fresh, 1, false), true);
  assert.deepEqual(fresh.metadata?.annotations, {
    'kubernetes.io/change-cause': 'v2', [REVISION]: '1', [DESIRED_REPLICAS]: '3', [MAX_REPLICAS]: '4',
  });
  const back = rs('web-b', 0, { annotations: { [REVISION]: '1' } });
  setNewReplicaSetAnnotations(d, back, 3, true);
  assert.equal(back.metadata?.annotations?.[REVISION], '3');
  assert.equal(back.metadata?.annotations?.[REVISION_HISTORY], '1');
  setNewReplicaSetAnnotations(d, back, 5, true);
  assert.equal(back.metadata?.annotations?.[REVISION_HISTORY], '1,3');
  // Never lowered.
  assert.equal(setNewReplicaSetAnnotations(d, back, 4, true), false);
  assert.equal(back.metadata?.annotations?.[REVISION], '5');
});

test('new ReplicaSet size: up to replicas+maxSurge pods in all, never above replicas', () => {
  const d = deploy(10, 3, 2);
  const old = rs('old', 10);
  const fresh = rs('new', 0);
  assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 3);
  const grown = rs('new', 3);
  assert.equal(newRSNewReplicas(d, [old, grown], grown), 3, 'at 13 pods: no more');
  const shrunk = rs('old', 2);
  assert.equal(newRSNewReplicas(d, [shrunk, grown], grown), 10, 'never above replicas');
  const recreate = deploy(4, 0, 0, { strategy: { type: 'Recreate' } });
  assert.equal(newRSNewReplicas(recreate, [fresh], fresh), 4);
});

test('proportional scaling: 5 → 10, 5 → 3, and leftovers to the largest/newest', () => {
  const ann = (max: number): Record<string, string> => ({ [DESIRED_REPLICAS]: '5', [MAX_REPLICAS]: String(max) });
  const d10 = deploy(10, 0, 1);
  const newer = rs('v2', 2, { created: Date.UTC(2024, 0, 2), annotations: ann(5) });
  const older = rs('v1', 3, { created: Date.UTC(2024, 0, 1), annotations: ann(5) });
  assert.deepEqual(proportionalSizes(d10, [newer, older]).map(({ rs: r, size }) => [r.metadata?.name, size]), [['v1', 6], ['v2', 4]]);
  const d3 = deploy(3, 0, 1);
  assert.deepEqual(proportionalSizes(d3, [newer, older]).map(({ rs: r, size }) => [r.metadata?.name, size]), [['v1', 2], ['v2', 1]]);
  const three = [1, 2, 3].map((i) => rs(`r${i}`, 1, { created: Date.UTC(2024, 0, i), annotations: { [MAX_REPLICAS]: '3' } }));
  const sizes = proportionalSizes(deploy(4, 0, 1), three);
  assert.deepEqual(sizes.map(({ rs: r, size }) => [r.metadata?.name, size]), [['r3', 2], ['r2', 1], ['r1', 1]]);
  // To zero: everything goes.
  assert.deepEqual(proportionalSizes(deploy(0, 0, 1), [newer, older]).map((s) => s.size), [0, 0]);
});

test('rolling-update planning keeps replicas−maxUnavailable available', () => {
  const d = deploy(10, 3, 2); // minAvailable 8
  const old = rs('old', 10, { created: Date.UTC(2024, 0, 1) });
  const fresh = rs('new', 3, { available: 0, created: Date.UTC(2024, 0, 2) });
  // 13 pods, 8 must stay available, 3 new unavailable: 2 old may go.
  assert.equal(maxScaledDown(d, [old, fresh], fresh), 2);
  assert.deepEqual(planScaleDownOld(d, [old, fresh], [old]).map((p) => p.size), [8]);
  // New pods available: more old ones may go.
  const ready = rs('new', 3, { available: 3, created: Date.UTC(2024, 0, 2) });
  assert.deepEqual(planScaleDownOld(d, [old, ready], [old]).map((p) => p.size), [5]);
  // A ReplicaSet just scaled down but still reporting its old availability counts at most its spec.
  const stale: ReplicaSet = { ...old, spec: { ...old.spec!, replicas: 5 }, status: { replicas: 10, availableReplicas: 10 } };
  assert.deepEqual(planScaleDownOld(d, [stale, ready], [stale]), []);
  // Unhealthy old replicas go first, oldest ReplicaSet first, within the budget.
  const sick1 = rs('sick1', 4, { available: 1, created: Date.UTC(2023, 0, 1) });
  const sick2 = rs('sick2', 4, { available: 2, created: Date.UTC(2023, 0, 2) });
  assert.deepEqual(planCleanupUnhealthy([sick2, sick1], 4).map((p) => [p.rs.metadata?.name, p.size]), [['sick1', 1], ['sick2', 3]]);
});

test('findActiveOrLatest: the only active ReplicaSet, else the newest, else none', () => {
  const a = rs('a', 0, { created: Date.UTC(2024, 0, 1) });
  const b = rs('b', 0, { created: Date.UTC(2024, 0, 2) });
  assert.equal(findActiveOrLatest(undefined, [a, b])?.metadata?.name, 'b');
  assert.equal(findActiveOrLatest(rs('n', 0), [a, b])?.metadata?.name, 'n');
  assert.equal(findActiveOrLatest(rs('n', 0), [a, rs('c', 2)])?.metadata?.name, 'c');
  assert.equal(findActiveOrLatest(rs('n', 1), [rs('c', 2)]), undefined);
});

test('status: counts and the Available condition; the deadline', () => {
  const d = deploy(10, 3, 2);
  const now = Date.UTC(2024, 0, 1, 12);
  const s = calculateStatus([rs('old', 5, { available: 5 }), rs('new', 5, { available: 2 })], rs('new', 5, { available: 2 }), d, now);
  assert.equal(s.replicas, 10);
  assert.equal(s.updatedReplicas, 5);
  assert.equal(s.availableReplicas, 7);
  assert.equal(s.unavailableReplicas, 3);
  assert.equal(s.observedGeneration, 1);
  assert.deepEqual(s.conditions?.map((c) => [c.type, c.status, c.reason]), [['Available', 'False', 'MinimumReplicasUnavailable']]);
  const ok = calculateStatus([rs('new', 10, { available: 8 })], undefined, d, now);
  assert.deepEqual(ok.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']]);
  const withDeadline = deploy(10, 3, 2, { progressDeadlineSeconds: 60 });
  const progressing = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2024-01-01T12:00:00Z' }] };
  assert.equal(deploymentTimedOut(withDeadline, progressing, now + 60_000), false);
  assert.equal(deploymentTimedOut(withDeadline, progressing, now + 61_000), true);
});
