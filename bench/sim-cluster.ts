// Shared by the benchmarks that need a cluster with simulated nodes: a real
// `pilot server` and a `pilot agent --simulate N` as child processes (so each
// one's memory can be read apart), a client for the bench itself, fast
// concurrent creates, and figures (RSS from /proc, percentiles).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../src/client/kubeconfig.ts';
import { RestClient } from '../src/client/rest.ts';
import { isNotFound } from '../src/client/status.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PILOT = path.join(ROOT, 'bin/pilot');

export interface Child { proc: ChildProcess; output: () => string; stop: () => Promise<void> }

function startChild(args: string[], ready: RegExp, timeoutMs: number, what: string): Promise<Child & { match: RegExpExecArray }> {
  const proc = spawn(PILOT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => { out += d.toString(); if (out.length > 200_000) out = out.slice(-100_000); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`${what} not ready in ${timeoutMs / 1000} s:\n${out.slice(-4000)}`)); }, timeoutMs);
    const check = (): void => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve({ proc, output: () => out, stop, match: m });
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}:\n${out.slice(-4000)}`)); });
  });
}

export interface BenchServer extends Child { url: string; dataDir: string; kubeconfig: string; client: RestClient; dispose: () => Promise<void> }

/** Flags of `pilot server` this build accepts (so benches can use newer ones when present). */
function serverSupports(flag: string): boolean {
  const help = spawnSync(PILOT, ['server', '--help'], { encoding: 'utf8' });
  return help.stdout.includes(flag);
}

/**
 * A `pilot server` on a fresh sqlite data dir in /tmp. Without a node agent of
 * its own (real containers), so the simulated nodes are the only nodes.
 */
export async function startServerProcess(extraArgs: string[] = []): Promise<BenchServer> {
  if (serverSupports('--disable-agent')) extraArgs = ['--disable-agent', ...extraArgs];
  // Keep about upstream's 5 minutes of watch history (etcd compacts every 5 min): thousands of
  // nodes renewing Leases write ~500 revisions/s, and the default 10,000 revisions would send
  // any watcher that falls 20 s behind into a full relist of every pod.
  extraArgs = ['--compaction-retain', '200000', ...extraArgs];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-bench-'));
  const child = await startChild(['server', '--data-dir', dataDir, '--secure-port', '0', '--bind-address', '127.0.0.1', '--log-level', 'warn', '--disable-agent', ...extraArgs],
    /listening on (https:\/\/\S+)/, 60_000, 'pilot server');
  child.proc.removeAllListeners('exit');
  const kubeconfig = path.join(dataDir, 'admin.kubeconfig');
  const client = new RestClient(loadKubeconfig(kubeconfig), { qps: 0, userAgent: 'pilot-bench' });
  return {
    ...child, url: child.match[1], dataDir, kubeconfig, client,
    dispose: async () => {
      client.close();
      await child.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `pilot agent --simulate <nodes>` against `server`; resolves once every node registered. */
export async function startAgentProcess(server: BenchServer, nodes: number, extraArgs: string[] = []): Promise<Child & { registerSecs: number }> {
  const child = await startChild(['agent', '--simulate', String(nodes), '--kubeconfig', server.kubeconfig, '--log-level', 'warn', ...extraArgs],
    /Registered \d+ simulated nodes in ([\d.]+) s/, 600_000, 'pilot agent --simulate');
  child.proc.removeAllListeners('exit');
  return { ...child, registerSecs: Number(child.match[1]) };
}

/** Runs `fn(i)` for i in [0, n) with `concurrency` at once. */
export async function forEachConcurrently(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    for (let i = next++; i < n; i = next++) await fn(i);
  }));
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
export function memoryOf(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export function fmtMemory(m: { rss: number; peak: number } | undefined): string {
  return m ? `${m.rss.toFixed(0)} MiB (peak ${m.peak.toFixed(0)} MiB)` : 'n/a';
}

/** The p-quantile (0–1) of sorted numbers. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

/**
 * Quantiles of a Prometheus histogram in text format (summed over label sets
 * whose labels include `match`), interpolated within buckets as PromQL's
 * histogram_quantile does. Undefined when the metric is absent or empty.
 */
export function histogramQuantiles(metricsText: string, name: string, qs: number[], match: Record<string, string> = {}):
  { count: number; quantiles: number[] } | undefined {
  const buckets = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\} ([0-9.eE+-]+|NaN|\\+Inf)$`, 'gm');
  for (let m = re.exec(metricsText); m; m = re.exec(metricsText)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).some(([k, v]) => labels[k] !== v)) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (!total) return undefined;
  const quantiles = qs.map((q) => {
    const rank = q * total;
    let prevLe = 0;
    let prevCount = 0;
    for (const [le, count] of sorted) {
      if (count >= rank) {
        if (le === Infinity) return prevLe;
        return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1e-12, count - prevCount));
      }
      prevLe = le;
      prevCount = count;
    }
    return prevLe;
  });
  return { count: total, quantiles };
}

/**
 * Creates a namespace and waits for its `default` ServiceAccount (made by the
 * serviceaccount controller): until then ServiceAccount admission refuses pods.
 */
export async function createNamespace(client: RestClient, name: string, timeoutMs = 60_000): Promise<void> {
  await client.resource('v1', 'Namespace').create({ metadata: { name } });
  const sa = client.resource('v1', 'ServiceAccount').namespace(name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sa.get('default');
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (Date.now() > deadline) throw new Error(`no ServiceAccount default in namespace ${name} after ${timeoutMs / 1000} s: is the serviceaccount controller running?`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

