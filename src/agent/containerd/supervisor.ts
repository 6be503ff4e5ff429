// Runs the agent's own containerd: writes its config, starts it, waits until
// its CRI answers, restarts it (with back-off) when it dies, and stops it by
// PID. Containers survive a containerd restart (their shims keep running), so a
// restart is invisible to pods. A containerd left behind by a crashed agent is
// found through the PID file and stopped before a new one starts.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { CriClient } from '../cri/client.ts';
import { containerdPaths, renderContainerdConfig, type ContainerdConfigOptions, type ContainerdPaths } from './config.ts';

export interface ContainerdSupervisorOptions extends ContainerdConfigOptions {
  /** Everything containerd keeps: <data-dir>/agent/containerd. */
  dir: string;
  binary?: string;
  logger: Logger;
  /** How long to wait for the CRI to answer after a start (default 30 s). */
  readyTimeoutMs?: number;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class ContainerdSupervisor {
  readonly paths: ContainerdPaths;
  private proc?: ChildProcess;
  private stopping = false;
  private restartDelayMs = 1000;
  private restartTimer?: NodeJS.Timeout;
  private restarts = 0;

  constructor(private readonly opts: ContainerdSupervisorOptions) {
    this.paths = containerdPaths(opts.dir);
  }

  get pid(): number | undefined { return this.proc?.pid; }
  get restartCount(): number { return this.restarts; }

  /** Starts containerd and resolves once its CRI answers Version. */
  async start(): Promise<void> {
    const p = this.paths;
    for (const d of [p.dir, p.root, p.state, p.cniConfDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.writeFileSync(p.config, renderContainerdConfig(p, this.opts));
    await this.stopLeftover();
    this.spawnOnce();
    await this.waitReady(this.opts.readyTimeoutMs ?? 30_000);
  }

  private spawnOnce(): void {
    const p = this.paths;
    const log = fs.openSync(p.log, 'a');
    const proc = spawn(this.opts.binary ?? 'containerd', ['--config', p.config], {
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: `${PATH}:${process.env.PATH ?? ''}` },
      // Its own process group: a Ctrl-C in the terminal reaches only pilot, which stops
      // containerd after the agent (rather than containerd dying under running pod workers).
      detached: true,
    });
    fs.closeSync(log);
    this.proc = proc;
    if (proc.pid !== undefined) fs.writeFileSync(this.pidFile(), `${proc.pid}\n`);
    proc.once('error', (err) => this.opts.logger.error({ err }, 'containerd could not be started'));
    proc.once('exit', (code, signal) => {
      if (this.proc === proc) this.proc = undefined;
      if (this.stopping) return;
      this.opts.logger.error({ code, signal, log: p.log, restartInMs: this.restartDelayMs }, 'containerd exited; restarting it');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.stopping) return;
        this.restarts++;
        this.spawnOnce();
        // Back off while it keeps dying; a containerd that stays up resets the delay.
        const started = this.proc;
        setTimeout(() => { if (this.proc === started && started) this.restartDelayMs = 1000; }, 30_000).unref();
      }, this.restartDelayMs);
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'socket not created';
    for (;;) {
      if (!this.proc) throw new Error(`containerd exited during start-up; see ${this.paths.log}`);
      if (fs.existsSync(this.paths.socket)) {
        // A fresh channel per try: a channel that failed to connect backs off for seconds.
        const cri = new CriClient(this.paths.socket, { timeoutMs: 2000 });
        try {
          await cri.version(2000);
          return;
        } catch (e) {
          last = (e as Error).message;
        } finally {
          cri.close();
        }
      }
      if (Date.now() > deadline) throw new Error(`containerd did not become ready in ${timeoutMs} ms (${last}); see ${this.paths.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    }
    this.proc = undefined;
    fs.rmSync(this.pidFile(), { force: true });
  }

  private pidFile(): string { return path.join(this.paths.dir, 'containerd.pid'); }

  /**
   * A containerd from an earlier run of this agent (killed without a clean
   * stop) still holds the socket: stop it, but only if the PID file's process
   * really is containerd with our config.
   */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try { pid = Number(fs.readFileSync(this.pidFile(), 'utf8').trim()); } catch { return; }
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline = '';
    try { cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return; }
    if (!cmdline.includes('containerd') || !cmdline.includes(this.paths.config)) return;
    this.opts.logger.warn({ pid }, 'stopping containerd left behind by an earlier run');
    try { process.kill(pid, 'SIGTERM'); } catch { return; }
    for (let i = 0; i < 100; i++) {
      if (!fs.existsSync(`/proc/${pid}`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
