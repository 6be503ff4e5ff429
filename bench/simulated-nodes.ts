// bench/simulated-nodes: how many nodes and pods `pilot agent --simulate`
// holds, and at what cost. A real `pilot server` and the agent run as child
// processes; pods are created already bound (spec.nodeName, no scheduler
// involved), and the bench watches them turn Running. Then it samples a
// steady state: CPU of each process, Lease ages (a lease older than 40 s
// means the node would be marked NotReady), and RSS.
//
//   node --import tsx bench/simulated-nodes.ts [--nodes 5000] [--pods 150000] [--steady-seconds 30] [--create-concurrency 32]
// CI (CI=true) runs 100 nodes / 1,000 pods.

import * as fs from 'node:fs';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ResourceInformer } from '../src/client/index.ts';
import { createNamespace, fmtMemory, forEachConcurrently, memoryOf, quantile, startAgentProcess, startServerProcess, type BenchServer, type Child } from './sim-cluster.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} wants a number`);
  return v;
};
const NODES = arg('nodes', small ? 100 : 5000);
const PODS = arg('pods', small ? 1000 : 150_000);
const STEADY_SECONDS = arg('steady-seconds', small ? 5 : 30);
/** Creates in flight; the server has no API priority and fairness, so many of them crowd out Lease renewals. */
const CREATE_CONCURRENCY = arg('create-concurrency', 32);
const NS = 'simulated-nodes-bench';

/** CPU seconds a process used so far (utime + stime from /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks at USER_HZ = 100
}

async function main(): Promise<void> {
  let server: BenchServer | undefined;
  let agent: Child | undefined;
  const abort = new AbortController();
  try {
    server = await startServerProcess();
    const t0 = performance.now();
    const started = await startAgentProcess(server, NODES);
    agent = started;
    console.log(`bench/simulated-nodes: ${NODES} nodes registered (with Leases) in ${started.registerSecs.toFixed(1)} s; agent ${fmtMemory(memoryOf(agent.proc.pid))}`);
    const client = server.client;
    await createNamespace(client, NS);
    const pods = client.resource<Pod>('v1', 'Pod').namespace(NS);

    // An informer (it re-watches if the server ends the stream) counting pods seen Running.
    let running = 0;
    const runningSeen = new Set<string>();
    const seen = (p: Pod): void => {
      if (p.status?.phase === 'Running' && !runningSeen.has(p.metadata!.name!)) { runningSeen.add(p.metadata!.name!); running++; }
    };
    const informer = new ResourceInformer<Pod>(pods, {
      freeze: false, name: 'bench-pods',
      transform: (p) => ({ metadata: { name: p.metadata?.name, namespace: p.metadata?.namespace, resourceVersion: p.metadata?.resourceVersion }, spec: { containers: [] }, status: { phase: p.status?.phase } }),
    });
    informer.on({ add: seen, update: (_o, p) => seen(p) });
    informer.start(abort.signal);
    await informer.waitForSync(abort.signal);

    const t1 = performance.now();
    const busy0 = { agent: cpuSeconds(agent.proc.pid), server: cpuSeconds(server.proc.pid), bench: process.cpuUsage() };
    let lastReport = t1;
    let created = 0;
    await forEachConcurrently(PODS, CREATE_CONCURRENCY, async (i) => {
      await pods.create({
        metadata: { name: `pod-${i}` },
        spec: { nodeName: `sim-node-${i % NODES}`, containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '10Mi' } } }] },
      });
      created++;
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        console.log(`  … ${created} created, ${running} running (${((lastReport - t1) / 1000).toFixed(0)} s); agent ${fmtMemory(memoryOf(agent!.proc.pid))}, server ${fmtMemory(memoryOf(server!.proc.pid))}`);
      }
    });
    const createSecs = (performance.now() - t1) / 1000;
    console.log(`  created ${PODS} bound pods in ${createSecs.toFixed(1)} s (${(PODS / createSecs).toFixed(0)}/s)`);
    // Generous: watch delivery, not the agent, is what lags under load (the bench reports it, it does not judge it).
    const deadline = performance.now() + Math.max(600_000, PODS * 20);
    let lastRunning = -1;
    let lastProgress = performance.now();
    // The watch is what the bench counts by; when it seems stuck, the server's own count decides
    // (a watcher can lag far behind writes under load), so a lagging watch is not taken for a stuck agent.
    const serverCount = async (): Promise<number> =>
      (await pods.listAll({ fieldSelector: 'status.phase=Running', limit: 2000 })).items.length;
    while (running < PODS) {
      if (running !== lastRunning) { lastRunning = running; lastProgress = performance.now(); }
      if (performance.now() - lastProgress > 30_000) {
        const n = await serverCount();
        console.log(`  (the bench's watch saw ${running} Running; the server lists ${n})`);
        if (n === PODS) break;
        if (n > lastRunning) { lastRunning = n; lastProgress = performance.now(); }
      }
      if (performance.now() > deadline || performance.now() - lastProgress > 60_000) throw new Error(`only ${Math.max(running, lastRunning)}/${PODS} pods became Running`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const runSecs = (performance.now() - t1) / 1000;
    console.log(`  all ${PODS} pods Running ${runSecs.toFixed(1)} s after the first create (${(PODS / runSecs).toFixed(0)} pods/s end to end)`);
    const benchCpu = process.cpuUsage(busy0.bench);
    console.log(`  CPU meanwhile: agent ${(cpuSeconds(agent.proc.pid) - busy0.agent).toFixed(1)} s, server ${(cpuSeconds(server.proc.pid) - busy0.server).toFixed(1)} s, `
      + `bench ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s (of ${(runSecs * 2).toFixed(0)} core-seconds on 2 cores)`);

    // Steady state: nothing changes but heartbeats.
    const a0 = cpuSeconds(agent.proc.pid);
    const s0 = cpuSeconds(server.proc.pid);
    await new Promise((r) => setTimeout(r, STEADY_SECONDS * 1000));
    const aCpu = (cpuSeconds(agent.proc.pid) - a0) / STEADY_SECONDS;
    const sCpu = (cpuSeconds(server.proc.pid) - s0) / STEADY_SECONDS;
    const leases = await client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-node-lease').listAll();
    const now = Date.now();
    const ages = leases.items.filter((l) => l.metadata?.name?.startsWith('sim-node-')).map((l) => (now - Date.parse(l.spec?.renewTime ?? '')) / 1000).sort((a, b) => a - b);
    const nodes = await client.resource('v1', 'Node').listAll();
    const ready = nodes.items.filter((n) => (n as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    console.log(`  steady state over ${STEADY_SECONDS} s: agent ${(aCpu * 100).toFixed(0)}% of a core, server ${(sCpu * 100).toFixed(0)}% of a core`);
    console.log(`  simulated nodes' leases: ${ages.length}, age p50 ${quantile(ages, 0.5).toFixed(1)} s, p99 ${quantile(ages, 0.99).toFixed(1)} s, max ${ages.at(-1)?.toFixed(1)} s (40 s = NotReady); nodes Ready ${ready}/${nodes.items.length}`);
    console.log(`  rss: agent ${fmtMemory(memoryOf(agent.proc.pid))}, server ${fmtMemory(memoryOf(server.proc.pid))}; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    abort.abort();
    await informer.stop();
  } finally {
    abort.abort();
    await agent?.stop();
    await server?.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/simulated-nodes FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
