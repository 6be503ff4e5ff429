// Starts a real `pilot server` child process for integration tests and runs the
// real kubectl against it. Each instance owns its temp dir and its process
// (stopped by PID), so tests clean up after themselves.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PILOT_BIN = path.join(ROOT, 'bin/pilot');
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface RunResult { code: number; stdout: string; stderr: string }

export interface PilotOptions {
  dataDir?: string;
  datastore?: string;
  port?: number;
  extraArgs?: string[];
  /** Run the node agent (real containers; root only). Off by default: many test servers run at once on one host. */
  agent?: boolean;
}

export class Pilot {
  private proc?: ChildProcess;
  url = '';
  port = 0;
  readonly dataDir: string;
  readonly cacheDir: string;
  private logs: string[] = [];

  constructor(private readonly opts: PilotOptions = {}) {
    this.dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-test-'));
    this.cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-kcache-'));
  }

  get kubeconfig(): string { return path.join(this.dataDir, 'admin.kubeconfig'); }

  async start(): Promise<this> {
    const args = ['server', '--data-dir', this.dataDir, '--secure-port', String(this.opts.port ?? this.port ?? 0), '--bind-address', '127.0.0.1',
      '--log-level', 'warn', ...(this.opts.datastore ? ['--datastore', this.opts.datastore] : []), ...(this.opts.agent ? [] : ['--disable-agent']), ...(this.opts.extraArgs ?? [])];
    const proc = spawn(PILOT_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => { this.logs.push(d.toString()); if (this.logs.length > 200) this.logs.shift(); });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`pilot did not start in 30s:\n${out}\n${this.logs.join('')}`)), 30_000);
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (https:\/\/[^\s]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          this.url = m[1];
          this.port = Number(new URL(this.url).port);
          resolve();
        }
      });
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`pilot exited with ${code}:\n${out}\n${this.logs.join('')}`)); });
    });
    proc.removeAllListeners('exit');
    return this;
  }

  /** Graceful stop (SIGTERM), or kill -9 with `hard`. Waits for the process to exit. */
  async stop(hard = false): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    this.proc = undefined;
  }

  /** Restart on the same data dir and port. */
  async restart(hard = false): Promise<void> {
    await this.stop(hard);
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (!this.opts.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.rmSync(this.cacheDir, { recursive: true, force: true });
  }

  serverLogs(): string { return this.logs.join(''); }

  /** Run kubectl against this server. */
  kubectl(args: string[], opts: { input?: string; env?: Record<string, string>; bin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(opts.bin ?? KUBECTL, ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], opts);
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], opts: { input?: string; env?: Record<string, string>; bin?: string } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  /** Parsed JSON of `kubectl get … -o json`. */
  async json<T = any>(args: string[]): Promise<T> {  
    return JSON.parse(await this.k([...args, '-o', 'json'])) as T;
  }
}

export function run(bin: string, args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.once('error', reject);
    p.once('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, stdout, stderr }); });
    p.stdin.end(opts.input ?? '');
  });
}

/** Start a long-running kubectl (e.g. `get -w`) and collect its output until stopped. */
export function spawnKubectl(pilot: Pilot, args: string[]): { proc: ChildProcess; output: () => string; stop: () => Promise<void>; waitFor: (re: RegExp, ms?: number) => Promise<string> } {
  const proc = spawn(KUBECTL, ['--kubeconfig', pilot.kubeconfig, '--cache-dir', pilot.cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise<void>((r) => proc.once('close', () => r()));
      proc.kill('SIGTERM');
      await done;
    },
    waitFor: (re, ms = 15_000) => new Promise((resolve, reject) => {
      const start = Date.now();
      const tick = (): void => {
        if (re.test(out)) { resolve(out); return; }
        if (Date.now() - start > ms) { reject(new Error(`timed out waiting for ${re} in:\n${out}`)); return; }
        setTimeout(tick, 50);
      };
      tick();
    }),
  };
}
