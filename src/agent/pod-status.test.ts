import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { computePodStatus, podPhase, type ContainerRecord, type RuntimePod } from './pod-status.ts';

const NOW = '2026-01-01T00:00:10Z';
const T0 = Date.UTC(2026, 0, 1);

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always', extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { restartPolicy, containers: [{ name: 'a', image: 'img:1' }], ...extra },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function rec(over: Partial<ContainerRecord>): ContainerRecord {
  return {
    id: 'c0', name: 'a', attempt: 0, kind: 'app', state: 'CONTAINER_RUNNING', createdAt: T0, startedAt: T0 + 1000, finishedAt: 0,
    exitCode: 0, reason: '', message: '', image: 'docker.io/library/img:1', imageRef: 'sha256:abc', ...over,
  };
}

const sandbox: RuntimePod['sandbox'] = { id: 's1', ready: true, ip: '10.42.0.5', additionalIPs: [] };

test('running container: Running phase, all conditions True, IPs and container details', () => {
  const s = computePodStatus(pod(), { sandbox, containers: [rec({})] }, new Map(), { now: NOW, hostIP: '192.0.2.1' });
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.conditions?.map((c) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
  ]);
  assert.equal(s.podIP, '10.42.0.5');
  assert.deepEqual(s.podIPs, [{ ip: '10.42.0.5' }]);
  assert.deepEqual(s.hostIPs, [{ ip: '192.0.2.1' }]);
  assert.equal(s.startTime, NOW);
  assert.equal(s.qosClass, 'BestEffort');
  const c = s.containerStatuses![0];
  assert.deepEqual(c, {
    name: 'a', image: 'docker.io/library/img:1', imageID: 'sha256:abc', containerID: 'containerd://c0', restartCount: 0,
    ready: true, started: true, state: { running: { startedAt: '2026-01-01T00:00:01Z' } }, lastState: {},
  });
});

test('no container yet: Pending, ContainerCreating, Ready False with the unready list', () => {
  const s = computePodStatus(pod(), { sandbox, containers: [] }, new Map(), { now: NOW });
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses![0].state, { waiting: { reason: 'ContainerCreating' } });
  const ready = s.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'ContainersNotReady');
  assert.equal(ready.message, 'containers with unready status: [a]');
});

test('crash loop: waiting CrashLoopBackOff with the last termination, restartCount from the attempt, phase Running', () => {
  const latest = rec({ id: 'c2', attempt: 2, state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error', finishedAt: T0 + 5000 });
  const older = rec({ id: 'c1', attempt: 1, state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' });
  const waiting = new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=a pod=p_default(u1)' }]]);
  const s = computePodStatus(pod(), { sandbox, containers: [older, latest] }, waiting, { now: NOW });
  const c = s.containerStatuses![0];
  assert.equal(s.phase, 'Running');
  assert.equal(c.restartCount, 2);
  assert.equal(c.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(c.lastState?.terminated?.exitCode, 3);
  assert.equal(c.lastState?.terminated?.containerID, 'containerd://c2');
  assert.equal(c.ready, false);
});

test('phase of finished containers follows the restart policy', () => {
  const exited = (code: number) => [rec({ state: 'CONTAINER_EXITED', exitCode: code, finishedAt: T0 + 2000 })];
  const phase = (policy: 'Always' | 'OnFailure' | 'Never', code: number) =>
    computePodStatus(pod(policy), { sandbox, containers: exited(code) }, new Map(), { now: NOW }).phase;
  assert.equal(phase('Never', 0), 'Succeeded');
  assert.equal(phase('Never', 1), 'Failed');
  assert.equal(phase('OnFailure', 0), 'Succeeded');
  assert.equal(phase('OnFailure', 1), 'Running');
  assert.equal(phase('Always', 0), 'Running');
  const done = computePodStatus(pod('Never'), { sandbox, containers: exited(0) }, new Map(), { now: NOW });
  const ready = done.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'PodCompleted');
  assert.equal(done.containerStatuses![0].state?.terminated?.reason, 'Completed');
});

test('init containers: Pending and Initialized False until they succeed; app containers wait with PodInitializing', () => {
  const p = pod('Always', { initContainers: [{ name: 'i', image: 'img:1' }] });
  const initRunning = rec({ id: 'i0', name: 'i', kind: 'init' });
  const s = computePodStatus(p, { sandbox, containers: [initRunning] }, new Map(), { now: NOW });
  assert.equal(s.phase, 'Pending');
  const init = s.conditions!.find((c) => c.type === 'Initialized')!;
  assert.equal(init.status, 'False');
  assert.equal(init.reason, 'ContainersNotInitialized');
  assert.equal(init.message, 'containers with incomplete status: [i]');
  assert.equal(s.initContainerStatuses![0].ready, false);
  assert.deepEqual(s.containerStatuses![0].state, { waiting: { reason: 'PodInitializing' } });
  const initDone = rec({ id: 'i0', name: 'i', kind: 'init', state: 'CONTAINER_EXITED', finishedAt: T0 + 2000 });
  const s2 = computePodStatus(p, { sandbox, containers: [initDone, rec({})] }, new Map(), { now: NOW });
  assert.equal(s2.phase, 'Running');
  assert.equal(s2.initContainerStatuses![0].ready, true);
  // A failed init container fails a Never pod.
  const initFailed = rec({ id: 'i0', name: 'i', kind: 'init', state: 'CONTAINER_EXITED', exitCode: 1, finishedAt: T0 + 2000 });
  assert.equal(podPhase(pod('Never'), [{ name: 'i', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } }], []), 'Failed');
  assert.equal(computePodStatus(p, { sandbox, containers: [initFailed] }, new Map(), { now: NOW }).phase, 'Pending');
});

test('transition times are kept while a condition keeps its status; finished pods stay finished', () => {
  const p: Pod = { ...pod(), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' }, { type: 'DisruptionTarget', status: 'True' }], startTime: '2020-01-01T00:00:00Z' } };
  const s = computePodStatus(p, { sandbox, containers: [rec({})] }, new Map(), { now: NOW });
  assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2020-01-01T00:00:00Z');
  assert.equal(s.conditions!.find((c) => c.type === 'ContainersReady')!.lastTransitionTime, NOW);
  assert.ok(s.conditions!.some((c) => c.type === 'DisruptionTarget'), 'conditions of other owners are kept');
  assert.equal(s.startTime, '2020-01-01T00:00:00Z');
  const done: Pod = { ...pod(), status: { phase: 'Succeeded' } };
  assert.equal(computePodStatus(done, { sandbox, containers: [rec({})] }, new Map(), { now: NOW }).phase, 'Succeeded');
});
