// Scale smoke test of simulated nodes, in-process: 1,000 nodes register with
// their Leases, and 500 pods bound to the first 100 of them (5 each) all run. Figures are printed, not
// asserted (timings depend on the machine's load); correctness is asserted.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes, type SimulatedNodes } from '../src/agent/simulated/index.ts';
import type { RestClient } from '../src/client/index.ts';
import { startTestServer, type TestServer } from './helpers/testserver.ts';

const NODES = 1000;
const PODS = 500;
/** The restarted simulator takes over the first RESTART nodes (the same code path as all of them, less waiting). */
const RESTART = 100;

let ts: TestServer;
let client: RestClient;
let sim: SimulatedNodes | undefined;

before(async () => {
  ts = await startTestServer();
  client = ts.newClient({ qps: 0 });
  // No controllers run here: make the ServiceAccount pods need (ServiceAccount admission) ourselves.
  await client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } });
});
after(async () => { await sim?.stop(); await ts?.close(); });

const mib = (): string => `${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`;

test(`${NODES} simulated nodes register, with Leases, and ${PODS} pods bound to them run`, async () => {
  const t0 = performance.now();
  sim = await startSimulatedNodes({ client, count: NODES, capacity: { cpu: '4', memory: '32Gi', pods: '110' } });
  const regSecs = (performance.now() - t0) / 1000;
  console.log(`registered ${NODES} nodes in ${regSecs.toFixed(1)} s (${(NODES / regSecs).toFixed(0)} nodes/s); rss ${mib()} (server and nodes in one process)`);

  const nodes = await client.resource('v1', 'Node').listAll();
  assert.equal(nodes.items.length, NODES);
  const leases = await client.resource('coordination.k8s.io/v1', 'Lease').namespace('kube-node-lease').listAll();
  assert.equal(leases.items.length, NODES);

  const pods = client.resource<Pod>('v1', 'Pod').namespace('default');
  const t1 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    for (let i = next++; i < PODS; i = next++) {
      await pods.create({ metadata: { name: `p-${i}` }, spec: { nodeName: `sim-node-${i % 100}`, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } });
    }
  }));
  const createSecs = (performance.now() - t1) / 1000;
  let running = 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const list = await pods.listAll();
    running = list.items.filter((p) => p.status?.phase === 'Running' && p.status.podIP).length;
    if (running === PODS) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const runSecs = (performance.now() - t1) / 1000;
  console.log(`created ${PODS} pods in ${createSecs.toFixed(1)} s; all Running ${runSecs.toFixed(1)} s after the first create; rss ${mib()}`);
  console.log(`stats ${JSON.stringify(sim.stats())}`);
  assert.equal(running, PODS);
  // Distinct addresses per node.
  const list = await pods.listAll();
  const byNode = new Map<string, { ips: Set<string>; pods: number }>();
  for (const p of list.items) {
    const s = byNode.get(p.spec!.nodeName!) ?? { ips: new Set<string>(), pods: 0 };
    s.ips.add(p.status!.podIP!);
    s.pods++;
    byNode.set(p.spec!.nodeName!, s);
  }
  for (const [node, { ips, pods: n }] of byNode) assert.equal(ips.size, n, `${node}: ${[...ips].join(',')}`);
  assert.equal(sim.stats().pods, PODS);
});

test('a restarted simulator takes its nodes over: no errors, pods keep their addresses, Leases renewed', async () => {
  assert.ok(sim);
  await sim.stop();
  const pods = client.resource<Pod>('v1', 'Pod').namespace('default');
  const before = new Map((await pods.listAll()).items.map((p) => [p.metadata!.name!, p.status!.podIP!]));
  const leaseOf = async (): Promise<string> => (await client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-node-lease').get('sim-node-7')).spec!.renewTime!;
  const renewed = await leaseOf();
  const t0 = performance.now();
  sim = await startSimulatedNodes({ client, count: RESTART, capacity: { cpu: '4', memory: '32Gi', pods: '110' }, leaseRenewIntervalMs: 1000 });
  console.log(`re-registered (took over) ${RESTART} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.notEqual(await leaseOf(), renewed);
  // A new pod on a node whose pods are known gets an address none of them has.
  await pods.create({ metadata: { name: 'after-restart' }, spec: { nodeName: 'sim-node-0', containers: [{ name: 'c', image: 'pause' }] } });
  let fresh: Pod | undefined;
  for (let i = 0; i < 240 && fresh?.status?.phase !== 'Running'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    fresh = await pods.get('after-restart');
  }
  assert.equal(fresh?.status?.phase, 'Running');
  const onNode0 = [...before.entries()].filter(([n]) => Number(n.slice(2)) % 100 === 0).map(([, ip]) => ip);
  assert.ok(!onNode0.includes(fresh.status!.podIP!), `${fresh.status!.podIP} reused one of ${onNode0.join(',')}`);
  const after = new Map((await pods.listAll()).items.map((p) => [p.metadata!.name!, p.status!.podIP!]));
  for (const [name, ip] of before) assert.equal(after.get(name), ip, name);
  const stats = sim.stats();
  assert.equal(stats.heartbeatErrors, 0);
  assert.equal(stats.podErrors, 0);
});

