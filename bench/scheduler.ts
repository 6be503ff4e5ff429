// bench/scheduler: scheduling throughput end to end. A real `pilot server`
// (sqlite in /tmp; it runs the scheduler) and `pilot agent --simulate N` as
// child processes; the bench creates M pending pods through the API and
// watches them: pods scheduled per second (first create → last bound, and
// per-second samples as upstream's scheduler_perf reports them), creation →
// bound latency, the scheduler's own attempt latency from /metrics
// (scheduler_scheduling_attempt_duration_seconds) when exposed, RSS of each
// process, and how fast the simulated nodes then run the pods.
//
//   node --import tsx bench/scheduler.ts [--nodes 5000] [--pods 10000]
// CI (CI=true) runs 500 nodes / 1,000 pods. Upstream's scheduler_perf case
// SchedulingBasic 5000Nodes_10000Pods passes at 680 pods/s; the target is ≥1,000.
// Pods never bound (no scheduler running) fail the bench loudly, never hang it.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { ResourceInformer } from '../src/client/index.ts';
import { createNamespace, fmtMemory, forEachConcurrently, histogramQuantiles, memoryOf, quantile, startAgentProcess, startServerProcess, type BenchServer, type Child } from './sim-cluster.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} wants a positive number`);
  return v;
};
const NODES = arg('nodes', small ? 500 : 5000);
const PODS = arg('pods', small ? 1000 : 10000);
/** Fail when no pod got bound for this long (no scheduler, or a stuck one). */
const STALL_SECONDS = arg('stall-seconds', 30);
const CREATE_CONCURRENCY = 64;
const NS = 'scheduler-bench';

// Upstream scheduler_perf's node-default.yaml and pod-default.yaml shapes.
const NODE_ARGS = ['--node-cpu', '4', '--node-memory', '32Gi', '--node-pods', '110'];
const podOf = (i: number): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: NS },
  spec: {
    containers: [{
      name: 'pause', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '100m', memory: '500Mi' }, requests: { cpu: '100m', memory: '500Mi' } },
    }],
  },
});

class BenchFailure extends Error {}

async function main(): Promise<void> {
  let server: BenchServer | undefined;
  let agent: Child | undefined;
  const abort = new AbortController();
  let watching: (() => Promise<void>) | undefined;
  try {
    server = await startServerProcess();
    agent = await startAgentProcess(server, NODES, NODE_ARGS);
    const regSecs = (agent as Child & { registerSecs: number }).registerSecs;
    console.log(`bench/scheduler: ${NODES} simulated nodes (4 cpu, 32Gi, 110 pods each) registered in ${regSecs.toFixed(1)} s; ${PODS} pods (100m cpu, 500Mi each)`);
    const client = server.client;
    await createNamespace(client, NS);
    const pods = client.resource<Pod>('v1', 'Pod').namespace(NS);

    // Watch from before the first create (an informer: it re-watches if the server ends the stream):
    // the time each pod is first seen bound, and running.
    const sentAt = new Map<string, number>();
    const boundAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const seen = (p: Pod): void => {
      const name = p.metadata!.name!;
      const now = performance.now();
      if (p.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, now);
      if (p.status?.phase === 'Running' && !runningAt.has(name)) runningAt.set(name, now);
    };
    const informer = new ResourceInformer<Pod>(pods, {
      freeze: false, name: 'bench-pods',
      transform: (p) => ({ metadata: { name: p.metadata?.name, namespace: p.metadata?.namespace, resourceVersion: p.metadata?.resourceVersion }, spec: { nodeName: p.spec?.nodeName, containers: [] }, status: { phase: p.status?.phase } }),
    });
    informer.on({ add: seen, update: (_o, p) => seen(p) });
    informer.start(abort.signal);
    await informer.waitForSync(abort.signal);
    watching = informer.stop.bind(informer);

    const t0 = performance.now();
    await forEachConcurrently(PODS, CREATE_CONCURRENCY, async (i) => {
      const pod = podOf(i);
      sentAt.set(pod.metadata!.name!, performance.now());
      await pods.create(pod);
    });
    const createdSecs = (performance.now() - t0) / 1000;
    console.log(`  created ${PODS} pods in ${createdSecs.toFixed(1)} s (${(PODS / createdSecs).toFixed(0)}/s, ${CREATE_CONCURRENCY} in flight)`);

    // Wait for every pod to be bound, failing when binding stalls.
    let lastCount = -1;
    let lastProgress = performance.now();
    const samples: number[] = [];
    let prevSample = boundAt.size;
    while (boundAt.size < PODS) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(boundAt.size - prevSample);
      prevSample = boundAt.size;
      if (boundAt.size !== lastCount) { lastCount = boundAt.size; lastProgress = performance.now(); continue; }
      if (performance.now() - lastProgress > STALL_SECONDS * 1000) {
        const unscheduled = await pods.get(`pod-${[...Array(PODS).keys()].find((i) => !boundAt.has(`pod-${i}`))}`).catch(() => undefined);
        const cond = unscheduled?.status?.conditions?.find((c) => c.type === 'PodScheduled');
        throw new BenchFailure(`only ${boundAt.size}/${PODS} pods were bound, none in the last ${STALL_SECONDS} s. `
          + (boundAt.size === 0 ? 'Is a scheduler running? (`pilot server` starts src/scheduler unless --disable-scheduler.) ' : '')
          + (cond ? `An unbound pod says: PodScheduled=${cond.status} ${cond.reason ?? ''}: ${cond.message ?? ''}` : 'Unbound pods have no PodScheduled condition.'));
      }
    }
    const bound = [...boundAt.values()];
    const lastBound = Math.max(...bound);
    const firstBound = Math.min(...bound);
    const e2eSecs = (lastBound - t0) / 1000;
    const latencies = [...boundAt.entries()].map(([n, t]) => t - (sentAt.get(n) ?? t0)).sort((a, b) => a - b);
    // Per-second samples while binding was going on (as scheduler_perf's SchedulingThroughput).
    const active = samples.filter((s) => s > 0).sort((a, b) => a - b);
    console.log(`  scheduled ${PODS} pods: ${(PODS / e2eSecs).toFixed(0)} pods/s end to end (first create → last bound ${e2eSecs.toFixed(2)} s; first bound after ${((firstBound - t0) / 1000).toFixed(2)} s)`);
    if (active.length) {
      console.log(`  throughput samples (pods bound per second): avg ${(active.reduce((a, b) => a + b, 0) / active.length).toFixed(0)}  p50 ${quantile(active, 0.5)}  p90 ${quantile(active, 0.9)}  p99 ${quantile(active, 0.99)}`);
    }
    console.log(`  create → bound latency: p50 ${quantile(latencies, 0.5).toFixed(0)} ms  p90 ${quantile(latencies, 0.9).toFixed(0)} ms  p99 ${quantile(latencies, 0.99).toFixed(0)} ms`);

    const metrics = await client.request<string>('GET', '/metrics', { accept: 'text/plain' }).catch(() => '');
    const attempt = histogramQuantiles(metrics, 'scheduler_scheduling_attempt_duration_seconds', [0.5, 0.9, 0.99], { result: 'scheduled' });
    if (attempt) {
      const ms = attempt.quantiles.map((s) => (s * 1000).toFixed(2));
      console.log(`  scheduler attempt duration (scheduled, ${attempt.count} attempts): p50 ${ms[0]} ms  p90 ${ms[1]} ms  p99 ${ms[2]} ms`);
    } else {
      console.log('  scheduler attempt duration: not exposed (no scheduler_scheduling_attempt_duration_seconds on /metrics)');
    }

    // The simulated nodes' part: every bound pod Running.
    const runDeadline = performance.now() + Math.max(300_000, PODS * 20);
    while (runningAt.size < PODS && performance.now() < runDeadline) await new Promise((r) => setTimeout(r, 250));
    if (runningAt.size < PODS) throw new BenchFailure(`only ${runningAt.size}/${PODS} bound pods became Running on the simulated nodes`);
    const lastRunning = Math.max(...runningAt.values());
    console.log(`  all pods Running ${((lastRunning - t0) / 1000).toFixed(2)} s after the first create; bound → Running p50 ${quantile([...runningAt.entries()].map(([n, t]) => t - boundAt.get(n)!).sort((a, b) => a - b), 0.5).toFixed(0)} ms`);
    console.log(`  rss: server ${fmtMemory(memoryOf(server.proc.pid))}, agent ${fmtMemory(memoryOf(agent.proc.pid))}, bench ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
  } finally {
    abort.abort();
    await watching?.();
    await agent?.stop();
    await server?.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/scheduler FAILED: ${e instanceof BenchFailure ? e.message : e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
