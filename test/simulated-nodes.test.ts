// `pilot agent --simulate N` against a real `pilot server`, observed with the
// real kubectl: nodes register Ready with the configured capacity, Leases are
// renewed, a pod bound to a simulated node runs (Ready, with an IP), graceful
// deletion completes, a scripted pod completes, and stopping the agent stops
// lease renewal.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Pilot, PILOT_BIN } from './helpers/pilot.ts';

const RENEW_SECONDS = 2;

class AgentProcess {
  out = '';
  readonly proc: ChildProcess;
  constructor(args: string[]) {
    this.proc = spawn(PILOT_BIN, ['agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    this.proc.stderr!.on('data', (d: Buffer) => { this.out += d.toString(); });
  }
  async waitFor(re: RegExp, ms = 60_000): Promise<void> {
    const start = Date.now();
    while (!re.test(this.out)) {
      if (this.proc.exitCode !== null) throw new Error(`agent exited (${this.proc.exitCode}):\n${this.out}`);
      if (Date.now() - start > ms) throw new Error(`timed out waiting for ${re} in agent output:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop(): Promise<number | null> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(t);
    return code;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) { last = e; }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let pilot: Pilot;
let agent: AgentProcess;

before(async () => {
  pilot = await new Pilot().start();
  agent = new AgentProcess(['--simulate', '5', '--data-dir', pilot.dataDir, '--node-cpu', '4', '--node-memory', '16Gi', '--node-pods', '50',
    '--node-extended-resources', 'example.com/dongle=2', '--node-labels', 'topology.kubernetes.io/zone=zone-a',
    '--node-taints', 'example.com/simulated=true:PreferNoSchedule', '--node-lease-renew-interval', `${RENEW_SECONDS}s`, '--log-level', 'warn']);
  await agent.waitFor(/Registered 5 simulated nodes/);
});

after(async () => {
  await agent?.stop();
  await pilot?.dispose();
});

test('kubectl get nodes shows 5 Ready nodes with the configured capacity, labels and taints', async () => {
  const out = await pilot.k(['get', 'nodes']);
  // Only ours: the server may register a node of its own (its embedded agent).
  const rows = out.trim().split('\n').slice(1).filter((r) => r.startsWith('sim-node-'));
  assert.equal(rows.length, 5, out);
  for (let i = 0; i < 5; i++) assert.match(out, new RegExp(`^sim-node-${i}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.\\d+`, 'm'));
  const version = await pilot.json<{ serverVersion: { gitVersion: string } }>(['version']);
  const nodes = await pilot.json<{ items: any[] }>(['get', 'nodes', '-l', 'pilot.dev/simulated=true']);
  assert.equal(nodes.items.length, 5);
  for (const n of nodes.items) {
    assert.deepEqual(n.status.capacity, { cpu: '4', memory: '16Gi', pods: '50', 'ephemeral-storage': '100Gi', 'example.com/dongle': '2' });
    assert.deepEqual(n.status.allocatable, n.status.capacity);
    assert.equal(n.status.nodeInfo.kubeletVersion, version.serverVersion.gitVersion);
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
    assert.equal(n.metadata.labels['topology.kubernetes.io/zone'], 'zone-a');
    assert.deepEqual(n.spec.taints, [{ key: 'example.com/simulated', value: 'true', effect: 'PreferNoSchedule' }]);
    assert.match(n.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address, /^10\.200\.\d+\.\d+$/);
  }
  const wide = await pilot.k(['get', 'node', 'sim-node-2', '-o', 'wide']);
  assert.match(wide, /10\.200\.0\.3/);
});

test('node Leases exist in kube-node-lease and are renewed', async () => {
  const renewTime = async (): Promise<string> => (await pilot.json(['get', 'lease', '-n', 'kube-node-lease', 'sim-node-0'])).spec.renewTime as string;
  const lease = await pilot.json(['get', 'lease', '-n', 'kube-node-lease', 'sim-node-0']);
  assert.equal(lease.spec.holderIdentity, 'sim-node-0');
  assert.equal(lease.spec.leaseDurationSeconds, 40);
  assert.equal(lease.metadata.ownerReferences[0].kind, 'Node');
  const first = await renewTime();
  const next = await until('a lease renewal', async () => { const t = await renewTime(); return t !== first ? t : undefined; }, 30_000);
  assert.ok(Date.parse(next) > Date.parse(first));
});

test('a pod bound to a simulated node runs: Ready, with an IP; kubectl delete completes', async () => {
  // ServiceAccount admission refuses pods until the serviceaccount controller made `default`.
  await until('the default ServiceAccount', async () => ((await pilot.kubectl(['get', 'serviceaccount', 'default'])).code === 0 ? true : undefined));
  await pilot.k(['apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'sim-node-0', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'nginx:1.25' }] },
  }) });
  await pilot.k(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
  const pod = await pilot.json(['get', 'pod', 'web']);
  assert.equal(pod.status.phase, 'Running');
  assert.match(pod.status.podIP, /^10\.\d+\.\d+\.\d+$/);
  assert.equal(pod.status.hostIP, '10.200.0.1');
  // From the node's pod CIDR when node IPAM gave it one (a /24), else from the simulator's fake range.
  const cidr = (await pilot.json(['get', 'node', 'sim-node-0'])).spec.podCIDR as string | undefined;
  console.log(`pod IP ${pod.status.podIP}, node pod CIDR ${cidr ?? '(none)'}`);
  if (cidr) assert.ok(pod.status.podIP.startsWith(cidr.replace(/0\/24$/, '')), `${pod.status.podIP} not in ${cidr}`);
  else assert.match(pod.status.podIP, /^10\.128\.0\.\d+$/);
  assert.equal(pod.status.containerStatuses[0].ready, true);
  assert.ok(pod.status.containerStatuses[0].state.running.startedAt);
  const row = await pilot.k(['get', 'pod', 'web', '-o', 'wide']);
  assert.match(row, /web\s+1\/1\s+Running\s+0\s+\S+\s+10\.\d+\.\d+\.\d+\s+sim-node-0/);

  // Graceful deletion (30 s grace): the simulated kubelet finishes it at once, so kubectl's wait ends.
  const started = Date.now();
  const del = await pilot.kubectl(['delete', 'pod', 'web', '--timeout=45s']);
  assert.equal(del.code, 0, del.stderr);
  assert.ok(Date.now() - started < 30_000, 'deletion did not wait out the grace period');
  const gone = await pilot.kubectl(['get', 'pod', 'web']);
  assert.match(gone.stderr, /NotFound/);
});

test('a pod scripted by annotations completes (Succeeded), as a Job\'s pod would', async () => {
  await pilot.k(['apply', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'task', namespace: 'default', annotations: { 'pilot.dev/simulate-exit-code': '0', 'pilot.dev/simulate-run-duration': '1s' } },
    spec: { nodeName: 'sim-node-1', restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
  }) });
  await pilot.k(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/task', '--timeout=60s']);
  const pod = await pilot.json(['get', 'pod', 'task']);
  assert.equal(pod.status.containerStatuses[0].state.terminated.reason, 'Completed');
  assert.match(await pilot.k(['get', 'pod', 'task']), /task\s+0\/1\s+Completed/);
});

test('stopping the agent (SIGTERM) stops lease renewal', async () => {
  const code = await agent.stop();
  assert.equal(code, 0, agent.out);
  assert.match(agent.out, /Stopped: \d+ lease renewals/);
  const renewTimes = async (): Promise<string[]> => (await pilot.json<{ items: any[] }>(['get', 'lease', '-n', 'kube-node-lease']))  
    .items.filter((l) => String(l.metadata.name).startsWith('sim-node-')).map((l) => String(l.spec.renewTime)).sort();
  const before = await renewTimes();
  assert.equal(before.length, 5);
  // Proving an absence takes waiting: three renewal intervals with no renewal.
  await new Promise((r) => setTimeout(r, 3 * RENEW_SECONDS * 1000 + 500));
  assert.deepEqual(await renewTimes(), before);
});
