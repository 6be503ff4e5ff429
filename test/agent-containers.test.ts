// The node agent with real containers: `pilot server` with its agent (own
// containerd, CNI bridge), a busybox image built by the project's own code and
// imported with ctr, pods bound straight to the node (no scheduler needed):
// they run with IPs from the node's pod CIDR, reach each other, get env from a
// ConfigMap, finish as Succeeded/Failed, get OOM-killed over their memory
// limit, crash-loop with back-off, survive a kill -9 of the server (adopted, not
// restarted), and are deleted gracefully — after which nothing of them is left
// on the host. Needs root (as CI runs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { Pilot } from './helpers/pilot.ts';
import { AgentHost } from './helpers/agent-host.ts';
import { buildBusyboxImage, BUSYBOX_IMAGE } from '../src/agent/images/builtin.ts';
import { CriClient } from '../src/agent/cri/client.ts';

const suffix = Math.random().toString(36).slice(2, 8);
const NODE = `agent-test-${suffix}`;
// A /24 of its own, so that agents of concurrent test runs never share addresses.
const CIDR_OCTET = 100 + Math.floor(Math.random() * 150);
const POD_CIDR = `10.249.${CIDR_OCTET}.0/24`;
const inCidr = (ip: string | undefined): boolean => !!ip && ip.startsWith(`10.249.${CIDR_OCTET}.`);

let pilot: Pilot;
let host: AgentHost;
let imageDir: string;
/** The node Lease's renewTime at registration; the next test checks it moved on (renewals every 10 s). */
let firstRenewTime: string | undefined;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${pilot.serverLogs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const pod = (name: string): Promise<Pod> => pilot.json<Pod>(['get', 'pod', name]);

function podManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 3, ...spec } });
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test runs real containers and needs root (CI runs it as root)');
  imageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-images-'));
  fs.writeFileSync(path.join(imageDir, 'busybox.tar'), buildBusyboxImage().archive);
  pilot = new Pilot({
    agent: true,
    extraArgs: ['--node-name', NODE, '--pod-cidr', POD_CIDR, '--cluster-cidr', POD_CIDR, '--node-cidr-mask-size', '24'],
  });
  host = new AgentHost(pilot.dataDir);
  await pilot.start();
});

after(async () => {
  if (host) await host.removeAllPods();
  await pilot?.stop();
  host?.cleanup();
  await pilot?.dispose();
  if (imageDir) fs.rmSync(imageDir, { recursive: true, force: true });
});

test('the agent registers its node: Ready, capacity from the host, runtime info, lease', async () => {
  const node = await waitFor('node Ready', async () => {
    const n = await pilot.json<Node>(['get', 'node', NODE]);
    return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
  });
  assert.equal(node.status?.capacity?.pods, '110');
  assert.equal(node.status?.capacity?.cpu, String(os.availableParallelism()));
  assert.match(node.status?.capacity?.memory ?? '', /^\d+Ki$/);
  assert.ok(Number(node.status?.allocatable?.['ephemeral-storage']) > 0);
  assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/\d/);
  assert.match(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.\d+\.\d+/);
  assert.equal(node.status?.nodeInfo?.kernelVersion, os.release());
  assert.equal(node.status?.nodeInfo?.operatingSystem, 'linux');
  assert.ok(node.status?.addresses?.some((a) => a.type === 'Hostname' && a.address === NODE));
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], NODE);
  assert.deepEqual(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].every((t) => node.status?.conditions?.some((c) => c.type === t)), true);
  const lease = await waitFor('node lease', () => pilot.json<Lease>(['get', 'lease', '-n', 'kube-node-lease', NODE]));
  assert.equal(lease.spec?.holderIdentity, NODE);
  assert.equal(lease.spec?.leaseDurationSeconds, 40);
  assert.equal(lease.metadata?.ownerReferences?.[0]?.kind, 'Node');
  firstRenewTime = lease.spec?.renewTime;
});

test('pods run as real containers with IPs from the pod CIDR, reach each other, probes, OOM, crash-loop, graceful deletion; lease heartbeats', async () => {
  await waitFor('CRI socket', async () => (fs.existsSync(host.socket) ? true : undefined));
  host.importImage(path.join(imageDir, 'busybox.tar'));

  await pilot.k(['create', 'configmap', 'greeting', '--from-literal=word=hi-from-configmap']);
  const manifests = [
    podManifest('web', {
      containers: [{
        name: 'web', image: BUSYBOX_IMAGE,
        command: ['sh', '-c'], // $(VAR) is expanded by the agent (Kubernetes' rule), not by the shell.
        args: ['echo hello; mkdir -p /www; echo "$(GREETING) from $(POD_NAME)" > /www/index.html; exec httpd -f -p 8080 -h /www'],
        workingDir: '/tmp',
        // Ready only once httpd answers (readiness starts as failure).
        readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
        env: [
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'greeting', key: 'word' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      }],
      initContainers: [{ name: 'init', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo init done'] }],
    }),
    podManifest('crash', { containers: [{ name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo dying; exit 3'] }] }),
    podManifest('fail', { restartPolicy: 'Never', containers: [{ name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo "it broke" > /dev/termination-log; exit 1'] }] }),
    // Healthy for 3 s, then its liveness probe (exec in the container) fails and the agent restarts it.
    podManifest('unhealthy', {
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600'],
        livenessProbe: { exec: { command: ['test', '-f', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 },
      }],
    }),
    // A memory limit is a cgroup limit: going over it gets the container OOM-killed.
    podManifest('hog', {
      restartPolicy: 'Never',
      containers: [{
        name: 'c', image: BUSYBOX_IMAGE, resources: { limits: { memory: '20Mi' } },
        command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
      }],
    }),
  ];
  await pilot.k(['apply', '-f', '-'], { input: `{"apiVersion":"v1","kind":"List","items":[${manifests.join(',')}]}` });

  const web = await waitFor('web Running', async () => {
    const p = await pod('web');
    return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
  }, 90_000).catch(async (e: Error) => { throw new Error(`${e.message}\n${JSON.stringify((await pod('web')).status, null, 2)}`); });
  assert.ok(inCidr(web.status?.podIP), `pod IP ${web.status?.podIP} not in ${POD_CIDR}`);
  assert.deepEqual(web.status?.podIPs, [{ ip: web.status?.podIP }]);
  assert.ok(web.status?.hostIP);
  assert.ok(web.status?.startTime);
  const cs = web.status!.containerStatuses![0];
  assert.match(cs.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
  assert.ok(cs.state?.running?.startedAt);
  assert.equal(cs.restartCount, 0);
  assert.equal(cs.started, true);
  assert.match(cs.imageID, /^sha256:/);
  assert.equal(web.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  const conds = Object.fromEntries((web.status?.conditions ?? []).map((c) => [c.type, c.status]));
  assert.deepEqual(conds, { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
  // Its log, in the CRI format, under the agent's pod log directory.
  const logFile = path.join(host.agentDir, 'pods', `default_web_${web.metadata!.uid}`, 'web', '0.log');
  await waitFor('web log', async () => (fs.existsSync(logFile) && / stdout F hello$/m.test(fs.readFileSync(logFile, 'utf8')) ? true : undefined), 10_000);

  // A second pod reaches the first over the pod network.
  await pilot.k(['apply', '-f', '-'], {
    input: podManifest('client', {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, command: ['sh', '-c', `timeout 10 wget -q -O- http://${web.status!.podIP}:8080/index.html`] }],
    }),
  });
  const client = await waitFor('client finished', async () => {
    const p = await pod('client');
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  });
  const clientLog = path.join(host.agentDir, 'pods', `default_client_${client.metadata!.uid}`, 'c', '0.log');
  assert.equal(client.status?.phase, 'Succeeded', `client failed; log:\n${fs.existsSync(clientLog) ? fs.readFileSync(clientLog, 'utf8') : '(none)'}`);
  assert.match(fs.readFileSync(clientLog, 'utf8'), /hi-from-configmap from web/);
  const term = client.status?.containerStatuses?.[0]?.state?.terminated;
  assert.equal(term?.exitCode, 0);
  assert.equal(term?.reason, 'Completed');
  assert.ok(inCidr(client.status?.podIP));
  assert.notEqual(client.status?.podIP, web.status?.podIP);
  const readyCond = client.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(readyCond?.status, 'False');
  assert.equal(readyCond?.reason, 'PodCompleted');

  const fail = await waitFor('fail Failed', async () => { const p = await pod('fail'); return p.status?.phase === 'Failed' ? p : undefined; });
  assert.equal(fail.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 1);
  assert.equal(fail.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
  assert.equal(fail.status?.containerStatuses?.[0]?.state?.terminated?.message, 'it broke\n', 'termination message from terminationMessagePath');

  const hog = await waitFor('hog Failed', async () => { const p = await pod('hog'); return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded' ? p : undefined; });
  assert.equal(hog.status?.phase, 'Failed');
  assert.equal(hog.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'OOMKilled');
  assert.equal(hog.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);

  const unhealthy = await waitFor('liveness restart', async () => {
    const p = await pod('unhealthy');
    return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
  });
  assert.equal(unhealthy.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137, 'killed (PID 1 sh ignores SIGTERM)');
  const unhealthyEvents = await pilot.k(['get', 'events', '--field-selector', 'involvedObject.name=unhealthy']);
  assert.match(unhealthyEvents, /Liveness probe failed/);
  assert.match(unhealthyEvents, /Container c failed liveness probe, will be restarted/);

  // restartPolicy Always and a container that keeps exiting: restarts with back-off.
  const crash = await waitFor('CrashLoopBackOff', async () => {
    const p = await pod('crash');
    const s = p.status?.containerStatuses?.[0];
    return s && s.restartCount >= 1 && s.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  });
  const crashStatus = crash.status!.containerStatuses![0];
  assert.equal(crash.status?.phase, 'Running');
  assert.equal(crashStatus.lastState?.terminated?.exitCode, 3);
  assert.match(crashStatus.state?.waiting?.message ?? '', /^back-off \d+s restarting failed container=c pod=crash_default\(/);
  const wide = await pilot.k(['get', 'pod', 'crash']);
  assert.match(wide, /CrashLoopBackOff/);
  const events = await pilot.k(['get', 'events', '--field-selector', 'involvedObject.name=crash']);
  assert.match(events, /BackOff/);
  assert.match(events, /Started container c/);

  // Meanwhile the heartbeat went on: renewTime moved (every 10 s).
  await waitFor('lease renewal', async () => {
    const l = await pilot.json<Lease>(['get', 'lease', '-n', 'kube-node-lease', NODE]);
    return l.spec?.renewTime !== firstRenewTime ? true : undefined;
  }, 30_000);

  // Graceful deletion: the agent stops the containers, then removes the pod object.
  const names = ['web', 'crash', 'client', 'fail', 'hog', 'unhealthy'];
  const uids = (await Promise.all(names.map(pod))).map((p) => p.metadata!.uid!);
  await pilot.k(['delete', 'pod', ...names, '--wait=true', '--timeout=90s']);
  const left = await pilot.json<{ items: Pod[] }>(['get', 'pods']);
  assert.deepEqual(left.items.map((p) => p.metadata?.name), []);

  // Nothing of them left in the runtime, the network or the cgroups.
  const cri = new CriClient(host.socket);
  try {
    await waitFor('runtime empty', async () => {
      const [sbs, cts] = await Promise.all([cri.listPodSandbox(), cri.listContainers()]);
      return sbs.length === 0 && cts.length === 0 ? true : undefined;
    }, 30_000);
  } finally {
    cri.close();
  }
  assert.deepEqual(host.natRules(), [], 'masquerade rules of deleted pods remain');
  assert.deepEqual(host.mounts().filter((m) => m.includes('netns') || m.includes('/rootfs')), [], 'netns or rootfs mounts remain');
  for (const uid of uids) {
    assert.equal(fs.existsSync(path.join('/sys/fs/cgroup/memory', host.cgroupRoot, `pod${uid}`)), false, `cgroup of pod ${uid} remains`);
  }
});

test('after the server is killed (-9) and restarted, the agent adopts running containers instead of restarting them', async () => {
  await pilot.k(['apply', '-f', '-'], {
    input: podManifest('keeper', { containers: [{ name: 'c', image: BUSYBOX_IMAGE, command: ['sleep', '3600'] }] }),
  });
  const running = await waitFor('keeper Running', async () => {
    const p = await pod('keeper');
    return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
  });
  const containerID = running.status!.containerStatuses![0].containerID;
  const oldContainerd = host.processes().find((p) => p.cmd.startsWith('containerd '));
  assert.ok(oldContainerd);

  await pilot.restart(true);
  // The containerd the killed server left behind is replaced by the new agent's.
  await waitFor('new containerd', async () => {
    const cd = host.processes().filter((p) => p.cmd.startsWith('containerd '));
    return cd.length === 1 && cd[0].pid !== oldContainerd.pid ? true : undefined;
  });
  await waitFor('node Ready again', async () => {
    const n = await pilot.json<Node>(['get', 'node', NODE]);
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' && ready.lastHeartbeatTime !== undefined ? true : undefined;
  });
  // Let the new agent sync the pod a few times; it must not have touched the container.
  const cri = new CriClient(host.socket);
  try {
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await pod('keeper');
    const cs = after.status!.containerStatuses![0];
    assert.equal(cs.containerID, containerID);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state?.running);
    assert.equal(after.status?.podIP, running.status?.podIP);
    const containers = await cri.listContainers();
    assert.deepEqual(containers.map((c) => `containerd://${c.id}`), [containerID]);
    assert.equal((await cri.listPodSandbox()).length, 1);
  } finally {
    cri.close();
  }
  await pilot.k(['delete', 'pod', 'keeper', '--wait=true', '--timeout=60s']);
});

test('stopping the server stops its containerd and leaves nothing behind after cleanup', async () => {
  const isContainerd = (p: { cmd: string }): boolean => p.cmd.startsWith('containerd ');
  const before = host.processes();
  assert.ok(before.some(isContainerd), `no containerd found: ${JSON.stringify(before)}`);
  // Pods left by a failed earlier test would keep their shims (the agent leaves running pods running).
  await host.removeAllPods();
  await pilot.stop();
  await waitFor('containerd gone', async () => (host.processes().some(isContainerd) ? undefined : true), 20_000);
  host.cleanup();
  const fp = host.footprint();
  assert.deepEqual(fp, { processes: [], mounts: [], bridge: false, natRules: [], cgroups: [] });
});
