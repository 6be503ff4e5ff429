import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { failsByRatio, fingerprint, nextPodAction, normalizeImage, slimPod, type PodAction, type PodStatusContext } from './pod-status.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(over: { spec?: Partial<NonNullable<Pod['spec']>>; status?: PodStatus; annotations?: Record<string, string>; deletionTimestamp?: string } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '5', annotations: over.annotations, deletionTimestamp: over.deletionTimestamp },
    spec: { nodeName: 'sim-node-0', containers: [{ name: 'app', image: 'nginx' }], ...over.spec },
    status: over.status ?? { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

const ctx = (over: Partial<PodStatusContext> = {}): PodStatusContext => ({ now: T0, hostIP: '10.200.0.1', podIP: '10.128.0.2', startAt: T0, fail: false, ...over });

function status(a: PodAction): PodStatus {
  assert.equal(a.kind, 'status', `expected a status write, got ${JSON.stringify(a)}`);
  return (a as { status: PodStatus }).status;
}
const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);

/** Applies a status the way the API server's merge patch would, for multi-step scenarios. */
const applied = (p: Pod, s: PodStatus): Pod => ({ ...p, status: { ...p.status, ...s } });

test('a bound pending pod becomes Running and Ready with addresses, start time and container statuses', () => {
  const s = status(nextPodAction(pod(), ctx()));
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.128.0.2');
  assert.deepEqual(s.podIPs, [{ ip: '10.128.0.2' }]);
  assert.equal(s.hostIP, '10.200.0.1');
  assert.deepEqual(s.hostIPs, [{ ip: '10.200.0.1' }]);
  assert.equal(s.startTime, iso(T0));
  assert.deepEqual(s.conditions?.map((c) => `${c.type}=${c.status}`),
    ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  const c = s.containerStatuses![0];
  assert.equal(c.name, 'app');
  assert.equal(c.image, 'docker.io/library/nginx:latest');
  assert.match(c.imageID!, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.match(c.containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
  assert.equal(c.ready, true);
  assert.equal(c.started, true);
  assert.equal(c.restartCount, 0);
  assert.deepEqual(c.state, { running: { startedAt: iso(T0) } });
  assert.equal(s.initContainerStatuses, undefined);
});

test('a pod already in the state the node would report needs no write (idempotent)', () => {
  const first = pod();
  const s = status(nextPodAction(first, ctx()));
  const again = nextPodAction(applied(first, s), ctx({ now: T0 + 60_000, podIP: '10.128.0.99' }));
  assert.deepEqual(again, { kind: 'none', requeueAfterMs: undefined });
});

test('the address a pod has is kept; hostNetwork pods get the node address', () => {
  const withIP = pod({ status: { phase: 'Pending', podIP: '10.42.0.7' } });
  assert.equal(status(nextPodAction(withIP, ctx())).podIP, '10.42.0.7');
  const hostNet = pod({ spec: { hostNetwork: true } });
  const s = status(nextPodAction(hostNet, ctx()));
  assert.equal(s.podIP, '10.200.0.1');
  assert.deepEqual(s.podIPs, [{ ip: '10.200.0.1' }]);
});

test('the start delay leaves the pod Pending and asks to look again when it is over', () => {
  assert.deepEqual(nextPodAction(pod(), ctx({ startAt: T0 + 1500 })), { kind: 'none', requeueAfterMs: 1500 });
});

test('a pod being deleted is deleted for good, whatever its phase', () => {
  for (const phase of ['Pending', 'Running', 'Succeeded']) {
    assert.deepEqual(nextPodAction(pod({ deletionTimestamp: iso(T0), status: { phase } }), ctx()), { kind: 'delete' });
  }
});

test('terminal pods are left alone', () => {
  for (const phase of ['Succeeded', 'Failed']) assert.deepEqual(nextPodAction(pod({ status: { phase } }), ctx()), { kind: 'none' });
});

test('conditions keep their transition time while unchanged; PodScheduled from the binding is kept; foreign conditions survive first', () => {
  const earlier = iso(T0 - 3_600_000);
  const p = pod({
    spec: { readinessGates: [{ conditionType: 'example.com/gate' }] },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: earlier },
        { type: 'example.com/gate', status: 'True', lastTransitionTime: earlier },
        { type: 'Initialized', status: 'True', lastTransitionTime: earlier },
      ],
    },
  });
  const s = status(nextPodAction(p, ctx()));
  assert.deepEqual(s.conditions?.map((c) => c.type), ['example.com/gate', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  assert.equal(cond(s, 'PodScheduled')?.lastTransitionTime, earlier);
  assert.equal(cond(s, 'Initialized')?.lastTransitionTime, earlier);
  assert.equal(cond(s, 'Ready')?.lastTransitionTime, iso(T0));
  assert.equal(cond(s, 'Ready')?.status, 'True');
});

test('readiness gates not yet true keep the pod unready with upstream\'s messages', () => {
  const p = pod({ spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/x' }] },
    status: { phase: 'Pending', conditions: [{ type: 'example.com/x', status: 'False' }] } });
  const s = status(nextPodAction(p, ctx()));
  assert.equal(cond(s, 'ContainersReady')?.status, 'True');
  assert.equal(cond(s, 'Ready')?.status, 'False');
  assert.equal(cond(s, 'Ready')?.reason, 'ReadinessGatesNotReady');
  assert.equal(cond(s, 'Ready')?.message,
    'corresponding condition of pod readiness gate "example.com/lb" does not exist., the status of pod readiness gate "example.com/x" is not "True", but False');
});

test('init containers show as completed, sidecars (restartPolicy Always) as running', () => {
  const p = pod({ spec: { initContainers: [{ name: 'setup', image: 'busybox:1.36' }, { name: 'proxy', image: 'r.example:5000/proxy@sha256:abc', restartPolicy: 'Always' }] } });
  const s = status(nextPodAction(p, ctx()));
  const [setup, proxy] = s.initContainerStatuses!;
  assert.equal(setup.image, 'docker.io/library/busybox:1.36');
  assert.equal(setup.ready, true);
  assert.equal(setup.started, false);
  assert.deepEqual({ ...setup.state!.terminated!, containerID: undefined }, { exitCode: 0, reason: 'Completed', startedAt: iso(T0), finishedAt: iso(T0), containerID: undefined });
  assert.equal(proxy.image, 'r.example:5000/proxy@sha256:abc');
  assert.deepEqual(proxy.state, { running: { startedAt: iso(T0) } });
});

test('exit-code annotation with a run duration: Running first, then Succeeded when the time is up', () => {
  const p = pod({ spec: { restartPolicy: 'Never' }, annotations: { 'pilot.dev/simulate-exit-code': '0', 'pilot.dev/simulate-run-duration': '5s' } });
  const a1 = nextPodAction(p, ctx());
  assert.equal(status(a1).phase, 'Running');
  assert.equal(a1.kind === 'status' && a1.requeueAfterMs, 5000);
  const running = applied(p, status(a1));
  assert.deepEqual(nextPodAction(running, ctx({ now: T0 + 2000 })), { kind: 'none', requeueAfterMs: 3000 });
  const done = status(nextPodAction(running, ctx({ now: T0 + 5000 })));
  assert.equal(done.phase, 'Succeeded');
  assert.equal(done.startTime, iso(T0));
  assert.deepEqual(done.containerStatuses![0].state, {
    terminated: { exitCode: 0, reason: 'Completed', startedAt: iso(T0), finishedAt: iso(T0 + 5000), containerID: done.containerStatuses![0].containerID },
  });
  assert.equal(done.containerStatuses![0].ready, false);
  assert.deepEqual(done.conditions?.map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`),
    ['PodReadyToStartContainers=False/', 'Initialized=True/', 'Ready=False/PodCompleted', 'ContainersReady=False/PodCompleted', 'PodScheduled=True/']);
});

test('exit code without a duration ends the pod at once; non-zero with restartPolicy Never is Failed', () => {
  const p = pod({ spec: { restartPolicy: 'Never' }, annotations: { 'pilot.dev/simulate-exit-code': '3' } });
  const s = status(nextPodAction(p, ctx()));
  assert.equal(s.phase, 'Failed');
  assert.equal(s.containerStatuses![0].state!.terminated!.exitCode, 3);
  assert.equal(s.containerStatuses![0].state!.terminated!.reason, 'Error');
  assert.equal(cond(s, 'Ready')?.reason, 'PodFailed');
});

test('restartPolicy Always ignores the exit-code annotation (it would restart the container)', () => {
  const p = pod({ annotations: { 'pilot.dev/simulate-exit-code': '0', 'pilot.dev/simulate-run-duration': '1s' } });
  const a = nextPodAction(p, ctx());
  assert.equal(status(a).phase, 'Running');
  assert.equal(a.kind === 'status' && a.requeueAfterMs, undefined);
});

test('a failing pod that restarts shows CrashLoopBackOff and is not ready', () => {
  for (const [policy, annotations] of [['Always', undefined], ['OnFailure', { 'pilot.dev/simulate-exit-code': '2' }]] as const) {
    const p = pod({ spec: { restartPolicy: policy }, annotations });
    const s = status(nextPodAction(p, ctx({ fail: policy === 'Always' })));
    assert.equal(s.phase, 'Running', policy);
    const c = s.containerStatuses![0];
    assert.equal(c.ready, false);
    assert.equal(c.restartCount, 1);
    assert.equal(c.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(c.state?.waiting?.message, 'back-off 10s restarting failed container=app pod=web_default(uid-1)');
    assert.equal(c.lastState?.terminated?.exitCode, policy === 'Always' ? 1 : 2);
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'ContainersReady')?.message, 'containers with unready status: [app]');
  }
});

test('the fail ratio fails a pod with restartPolicy Never outright', () => {
  const s = status(nextPodAction(pod({ spec: { restartPolicy: 'Never' } }), ctx({ fail: true })));
  assert.equal(s.phase, 'Failed');
});

test('failsByRatio is stable per uid and close to the ratio', () => {
  assert.equal(failsByRatio('a', 0), false);
  assert.equal(failsByRatio('a', 1), true);
  assert.equal(failsByRatio('some-uid', 0.3), failsByRatio('some-uid', 0.3));
  let n = 0;
  for (let i = 0; i < 10_000; i++) if (failsByRatio(`uid-${i}`, 0.3)) n++;
  assert.ok(n > 2700 && n < 3300, `${n} of 10000 failed at ratio 0.3`);
});

test('normalizeImage names images as containerd reports them', () => {
  assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImage('nginx:1.25'), 'docker.io/library/nginx:1.25');
  assert.equal(normalizeImage('org/app'), 'docker.io/org/app:latest');
  assert.equal(normalizeImage('registry.k8s.io/pause:3.9'), 'registry.k8s.io/pause:3.9');
  assert.equal(normalizeImage('localhost/x'), 'localhost/x:latest');
  assert.equal(normalizeImage('127.0.0.1:5000/x@sha256:00'), '127.0.0.1:5000/x@sha256:00');
});

test('slimPod keeps what the decisions read, so decisions on slim and full pods agree', () => {
  const full: Pod = {
    ...pod({ spec: { restartPolicy: 'Never', initContainers: [{ name: 'i', image: 'busybox' }] }, annotations: { 'pilot.dev/simulate-exit-code': '0', 'unrelated': 'x'.repeat(1000) } }),
  };
  full.spec!.containers[0] = { ...full.spec!.containers[0], env: [{ name: 'BIG', value: 'y'.repeat(5000) }], resources: { requests: { cpu: '1' } } };
  const slim = slimPod(full);
  assert.ok(JSON.stringify(slim).length < 600, JSON.stringify(slim));
  assert.deepEqual(slim.metadata?.annotations, { 'pilot.dev/simulate-exit-code': '0' });
  const a = status(nextPodAction(full, ctx()));
  assert.deepEqual(status(nextPodAction(slim, ctx())), a);
  // After the write, the slim copy of the written pod is seen as up to date.
  assert.equal(fingerprint(slimPod(applied(full, a)).status!), fingerprint(a));
});
