import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable } from './index.ts';
import { summarizePod } from './pods.ts';
import { findResource } from '../resources.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const MIN = 60_000;
const pods = findResource('', 'v1', 'pods')!;

function pod(status: any, spec: any = {}, meta: any = {}): any {
  return {
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(10 * MIN), ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: ago(9 * MIN) } };

void test('pod columns match upstream names, types and priorities', () => {
  const t = printTable(pods, [], NOW);
  assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0], ['Ready', 'string', 0], ['Status', 'string', 0], ['Restarts', 'string', 0], ['Age', 'string', 0],
    ['IP', 'string', 1], ['Node', 'string', 1], ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1],
  ]);
  assert.equal(t.columnDefinitions[0].format, 'name');
  assert.ok(t.columnDefinitions.every((c) => typeof c.description === 'string' && c.description.length > 0));
});

void test('pending pod without statuses', () => {
  const s = summarizePod(pod({ phase: 'Pending' }), NOW);
  assert.deepEqual(s, { ready: '0/1', status: 'Pending', restarts: '0' });
});

void test('pending pod with a creating container', () => {
  const s = summarizePod(pod({ phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }), NOW);
  assert.deepEqual(s, { ready: '0/1', status: 'ContainerCreating', restarts: '0' });
});

void test('running pod, full row', () => {
  const p = pod({ phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }, { nodeName: 'n1' });
  const t = printTable(pods, [p], NOW);
  assert.deepEqual(t.rows[0].cells, ['p', '1/1', 'Running', '0', '10m', '10.42.0.5', 'n1', '<none>', '<none>']);
  assert.equal(t.rows[0].object, p);
  assert.equal(t.rows[0].conditions, undefined);
});

void test('crash looping pod shows restarts with the last restart age', () => {
  const s = summarizePod(pod({ phase: 'Running', containerStatuses: [{
    name: 'app', ready: false, restartCount: 3,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * MIN) } },
  }] }), NOW);
  assert.deepEqual(s, { ready: '0/1', status: 'CrashLoopBackOff', restarts: '3 (5m ago)' });
});

void test('completed pod and its row condition', () => {
  const p = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0,
    state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(MIN) } } }] });
  const t = printTable(pods, [p], NOW);
  assert.deepEqual(t.rows[0].cells.slice(1, 4), ['0/1', 'Completed', '0']);
  assert.equal(t.rows[0].conditions?.[0].type, 'Completed');
  assert.equal(t.rows[0].conditions?.[0].reason, 'Succeeded');
});

void test('terminated container without reason shows exit code or signal', () => {
  const mk = (t: any): string => summarizePod(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: t } }] }), NOW).status;
  assert.equal(mk({ exitCode: 2 }), 'ExitCode:2');
  assert.equal(mk({ exitCode: 137, signal: 9 }), 'Signal:9');
});

void test('init containers: waiting to start, failing, crash looping', () => {
  const spec = { initContainers: [{ name: 'init', image: 'busybox' }] };
  const initWaiting = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] }, spec);
  assert.deepEqual(summarizePod(initWaiting, NOW), { ready: '0/1', status: 'Init:0/1', restarts: '0' });

  const initRunning = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: running }] }, spec);
  assert.equal(summarizePod(initRunning, NOW).status, 'Init:0/1');

  const initError = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } },
    lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } } }] }, spec);
  assert.deepEqual(summarizePod(initError, NOW), { ready: '0/1', status: 'Init:Error', restarts: '2 (2m ago)' });

  const initCrash = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, spec);
  assert.equal(summarizePod(initCrash, NOW).status, 'Init:CrashLoopBackOff');

  const initExit = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 3 } } }] }, spec);
  assert.equal(summarizePod(initExit, NOW).status, 'Init:ExitCode:3');

  const initDone = pod({ phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }, spec);
  assert.deepEqual(summarizePod(initDone, NOW), { ready: '1/1', status: 'Running', restarts: '0' });
});

void test('sidecar init containers count towards READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'side', image: 'b', restartPolicy: 'Always' }] };
  const p = pod({ phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 1, state: running,
      lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * MIN) } } }],
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }, spec);
  assert.deepEqual(summarizePod(p, NOW), { ready: '2/2', status: 'Running', restarts: '1 (3m ago)' });
});

void test('terminating, node lost, and completed-but-running pods', () => {
  const base = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] };
  assert.equal(summarizePod(pod(base, {}, { deletionTimestamp: ago(0) }), NOW).status, 'Terminating');
  assert.equal(summarizePod(pod({ ...base, reason: 'NodeLost' }, {}, { deletionTimestamp: ago(0) }), NOW).status, 'Unknown');
  assert.equal(summarizePod(pod({ phase: 'Succeeded' }, {}, { deletionTimestamp: ago(0) }), NOW).status, 'Succeeded');

  const two = { containers: [{ name: 'a' }, { name: 'b' }] };
  const mixed = (conds: any[]): string => summarizePod(pod({ phase: 'Running', conditions: conds, containerStatuses: [
    { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 'b', ready: true, restartCount: 0, state: running },
  ] }, two), NOW).status;
  assert.equal(mixed([{ type: 'Ready', status: 'True' }]), 'Running');
  assert.equal(mixed([]), 'NotReady');
});

void test('scheduling gates and readiness gates', () => {
  const gated = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
  assert.equal(summarizePod(gated, NOW).status, 'SchedulingGated');
  const gates = pod({ phase: 'Running', conditions: [{ type: 'x/one', status: 'True' }, { type: 'x/two', status: 'False' }] },
    { readinessGates: [{ conditionType: 'x/one' }, { conditionType: 'x/two' }] });
  assert.equal(printTable(pods, [gates], NOW).rows[0].cells[8], '1/2');
});

void test('pod templates', () => {
  const res = findResource('', 'v1', 'podtemplates')!;
  const t = printTable(res, [{ metadata: { name: 'tpl' }, template: { metadata: { labels: { b: '2', a: '1' } },
    spec: { containers: [{ name: 'x', image: 'i1' }, { name: 'y', image: 'i2' }] } } }], NOW);
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Containers', 'Images', 'Pod Labels']);
  assert.deepEqual(t.rows[0].cells, ['tpl', 'x,y', 'i1,i2', 'a=1,b=2']);
});
