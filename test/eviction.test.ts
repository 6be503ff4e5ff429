// pods/eviction against a real in-process API server: PodDisruptionBudget
// decisions (decrement with disruptedPods, 429, several budgets), pods that
// skip the budget (Pending, unready with the budget met, AlwaysAllow), dry
// run and bad bodies. Budget statuses are written by the test, so no
// disruption controller runs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { ApiError } from '../src/base/errors.ts';
import type { RestClient } from '../src/client/index.ts';
import { startTestServer, type TestServer } from './helpers/testserver.ts';

let ts: TestServer;
let client: RestClient;
let seq = 0;

before(async () => {
  ts = await startTestServer();
  // No automatic retries of 429s: the tests look at them.
  client = ts.newClient({ maxRetries: 0 });
  // No serviceaccount controller here: pods need their account to exist (ServiceAccount admission), as upstream.
  await client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } });
});
after(async () => { await ts.close(); });

const pods = () => client.resource<Pod>('v1', 'Pod').namespace('default');
const pdbs = () => client.resource<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget').namespace('default');

async function makePod(labels: Record<string, string>, state: 'pending' | 'ready' | 'unready' = 'ready'): Promise<string> {
  const name = `p${++seq}`;
  await pods().create({ metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  if (state !== 'pending') {
    await pods().patch(name, 'merge', {
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: state === 'ready' ? 'True' : 'False' }] },
    }, { subresource: 'status' });
  }
  return name;
}

async function makePdb(app: string, status: Partial<NonNullable<PodDisruptionBudget['status']>>, spec: Partial<NonNullable<PodDisruptionBudget['spec']>> = {}): Promise<string> {
  const name = `pdb${++seq}`;
  const created = await pdbs().create({ metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: { app } }, ...spec } });
  await pdbs().updateStatus({
    ...created,
    status: { observedGeneration: created.metadata!.generation, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0, ...status },
  });
  return name;
}

function evict(name: string, body: object = {}, query = ''): Promise<unknown> {
  return client.request('POST', `/api/v1/namespaces/default/pods/${name}/eviction${query}`, {
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...body },
  });
}

async function exists(name: string): Promise<boolean> {
  try { await pods().get(name); return true; } catch (e) { if ((e as ApiError).code === 404) return false; throw e; }
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try { await p; } catch (e) { return e as ApiError; }
  assert.fail('expected the request to fail');
}

describe('pods/eviction', () => {
  test('no budget: the pod is deleted and the answer is a Success Status', async () => {
    const name = await makePod({ app: 'free' });
    const out = await evict(name) as { status: string; code: number };
    assert.equal(out.status, 'Success');
    assert.equal(out.code, 201);
    assert.equal(await exists(name), false);
  });

  test('a budget with a disruption left: decremented, pod recorded as disrupted, pod deleted', async () => {
    const a = await makePod({ app: 'web' });
    const b = await makePod({ app: 'web' });
    const pdb = await makePdb('web', { currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1 });
    await evict(a);
    assert.equal(await exists(a), false);
    const st = (await pdbs().get(pdb)).status!;
    assert.equal(st.disruptionsAllowed, 0);
    assert.ok(st.disruptedPods?.[a], 'evicted pod recorded in disruptedPods');
    const cond = st.conditions?.find((c) => c.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'InsufficientPods');

    // The budget is used up: the next eviction is refused with 429 and the DisruptionBudget cause.
    const err = await rejection(evict(b));
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.details?.causes, [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb} needs 1 healthy pods and has 2 currently` }]);
    assert.equal(await exists(b), true);
  });

  test('a budget the controller has not observed yet answers 429 "still being processed"', async () => {
    const a = await makePod({ app: 'new' });
    const name = `pdb${++seq}`;
    await pdbs().create({ metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'new' } } } });
    const err = await rejection(evict(a));
    assert.equal(err.code, 429);
    assert.match(err.details?.causes?.[0]?.message ?? '', /is still being processed by the server/);
    assert.equal(err.details?.retryAfterSeconds, 10);
  });

  test('more than one budget: 500 and the pod stays', async () => {
    const a = await makePod({ app: 'two', tier: 'x' });
    await makePdb('two', { disruptionsAllowed: 5 });
    await makePdb('two', { disruptionsAllowed: 5 });
    const err = await rejection(evict(a));
    assert.equal(err.code, 500);
    assert.equal(err.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    assert.equal(await exists(a), true);
  });

  test('pending pods and unready pods of a satisfied budget go without using the budget', async () => {
    const pending = await makePod({ app: 'guarded' }, 'pending');
    const unready = await makePod({ app: 'guarded' }, 'unready');
    const ready = await makePod({ app: 'guarded' });
    const pdb = await makePdb('guarded', { currentHealthy: 1, desiredHealthy: 1, expectedPods: 3, disruptionsAllowed: 0 });
    await evict(pending);
    await evict(unready);
    assert.equal(await exists(pending), false);
    assert.equal(await exists(unready), false);
    assert.equal((await pdbs().get(pdb)).status!.disruptionsAllowed, 0);
    assert.equal((await rejection(evict(ready))).code, 429);
  });

  test('an unready pod of a budget that is not met: 429, unless unhealthyPodEvictionPolicy is AlwaysAllow', async () => {
    const a = await makePod({ app: 'sick' }, 'unready');
    await makePdb('sick', { currentHealthy: 0, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0 });
    assert.equal((await rejection(evict(a))).code, 429);
    const b = await makePod({ app: 'sick2' }, 'unready');
    await makePdb('sick2', { currentHealthy: 0, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    await evict(b);
    assert.equal(await exists(b), false);
  });

  test('dry run (query or deleteOptions) changes nothing', async () => {
    const a = await makePod({ app: 'dry' });
    const pdb = await makePdb('dry', { currentHealthy: 1, desiredHealthy: 0, expectedPods: 1, disruptionsAllowed: 1 });
    await evict(a, {}, '?dryRun=All');
    await evict(a, { deleteOptions: { dryRun: ['All'] } });
    assert.equal(await exists(a), true);
    assert.equal((await pdbs().get(pdb)).status!.disruptionsAllowed, 1);
    const got = await pods().get(a);
    assert.equal(got.status?.conditions?.some((c) => c.type === 'DisruptionTarget'), false);
  });

  test('the evicted pod gets the DisruptionTarget condition; deleteOptions are honoured', async () => {
    const a = await makePod({ app: 'cond' });
    // Bound to a node, a pod is deleted gracefully: it stays with a deletionTimestamp.
    await pods().createSubresource(a, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: a }, target: { kind: 'Node', name: 'n1' } });
    await evict(a, { deleteOptions: { gracePeriodSeconds: 77 } });
    const got = await pods().get(a);
    assert.ok(got.metadata?.deletionTimestamp);
    assert.equal(got.metadata?.deletionGracePeriodSeconds, 77);
    const cond = got.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'EvictionByEvictionAPI');
    // Already terminating: evicted again without looking at budgets (a used-up one here).
    await makePdb('cond', { disruptionsAllowed: 0 });
    await evict(a, { deleteOptions: { gracePeriodSeconds: 0 } });
    assert.equal(await exists(a), false);
    // A preconditions mismatch is a Conflict.
    const b = await makePod({ app: 'cond2' });
    const err = await rejection(evict(b, { deleteOptions: { preconditions: { uid: 'not-the-uid' } } }));
    assert.equal(err.code, 409);
    assert.equal(await exists(b), true);
  });

  test('bad requests: name mismatch, wrong kind, missing pod, GET', async () => {
    const a = await makePod({ app: 'bad' });
    const mismatch = await rejection(client.request('POST', `/api/v1/namespaces/default/pods/${a}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } },
    }));
    assert.equal(mismatch.code, 400);
    assert.equal(mismatch.message, 'name in URL does not match name in Eviction object');
    const kind = await rejection(client.request('POST', `/api/v1/namespaces/default/pods/${a}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Pod', metadata: { name: a } },
    }));
    assert.equal(kind.code, 400);
    assert.equal((await rejection(evict('no-such-pod'))).code, 404);
    assert.equal((await rejection(client.request('GET', `/api/v1/namespaces/default/pods/${a}/eviction`))).code, 405);
    // policy/v1beta1 bodies (older kubectl) work as well.
    await client.request('POST', `/api/v1/namespaces/default/pods/${a}/eviction`, {
      body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: a } },
    });
    assert.equal(await exists(a), false);
  });
});
