// Starts a real etcd (Debian's etcd-server, installed by scripts/install-deps.sh)
// for tests and benchmarks: free loopback ports, its own temp data dir, ready when
// its /health says so (~0.35 s), stopped by PID. Each instance owns its process
// and directory; anything still running when the test process exits is killed.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdTlsFiles {
  /** Serving certificate and key (must cover 127.0.0.1). */
  certFile: string;
  keyFile: string;
  /** CA that client certificates must chain to (turns on --client-cert-auth). */
  clientCaFile: string;
}

export interface EtcdServerOptions {
  /** Serve clients over TLS and require client certificates. */
  tls?: EtcdTlsFiles;
  /** Use this data dir instead of a fresh temp dir (which is kept by dispose()). */
  dataDir?: string;
}

const live = new Set<EtcdServer>();
process.once('exit', () => {
  for (const e of live) e.killNow();
});

export class EtcdServer {
  readonly dataDir: string;
  readonly #ownDir: boolean;
  readonly #tls?: EtcdTlsFiles;
  #proc?: ChildProcess;
  #ports?: { client: number; peer: number; metrics: number };
  #log: string[] = [];

  private constructor(opts: EtcdServerOptions) {
    this.#ownDir = !opts.dataDir;
    this.dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-etcd-'));
    this.#tls = opts.tls;
  }

  /** Starts an etcd and resolves once it serves requests. */
  static async start(opts: EtcdServerOptions = {}): Promise<EtcdServer> {
    if (!fs.existsSync(ETCD_BIN)) {
      throw new Error(`etcd is not installed (${ETCD_BIN} not found): run scripts/install-deps.sh, which installs Debian's etcd-server`);
    }
    const server = new EtcdServer(opts);
    try {
      await server.start();
    } catch (err) {
      await server.dispose();
      throw err;
    }
    return server;
  }

  get pid(): number | undefined { return this.#proc?.pid; }
  get clientPort(): number { return this.#need().client; }
  /** The store URL for this etcd (etcds:// when serving TLS; add ?ca=&cert=&key=). */
  get url(): string { return `${this.#tls ? 'etcds' : 'etcd'}://127.0.0.1:${this.clientPort}`; }

  /** Starts the process (again, on the same ports and data dir after stop()). */
  async start(): Promise<void> {
    if (this.#proc) return;
    for (let attempt = 1; ; attempt++) {
      const fresh = !this.#ports;
      this.#ports ??= { client: await freePort(), peer: await freePort(), metrics: await freePort() };
      try {
        await this.#spawn();
        return;
      } catch (err) {
        // Another process may have taken a port between our probe and etcd's bind.
        if (!fresh || attempt >= 3 || !/address already in use/.test(String(err))) throw err;
        this.#ports = undefined;
      }
    }
  }

  /** Graceful stop (SIGTERM), or kill -9 with `hard`; keeps the data dir. */
  async stop(hard = false): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    live.delete(this);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const force = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
  }

  async restart(hard = false): Promise<void> {
    await this.stop(hard);
    await this.start();
  }

  /** Stops etcd and removes its data dir (unless the caller gave the dir). */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.#ownDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last resort at process exit. */
  killNow(): void {
    try { this.#proc?.kill('SIGKILL'); } catch { /* already gone */ }
    if (this.#ownDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  logs(): string { return this.#log.join(''); }

  async #spawn(): Promise<void> {
    const { client, peer, metrics } = this.#need();
    const scheme = this.#tls ? 'https' : 'http';
    const peerUrl = `http://127.0.0.1:${peer}`;
    const args = [
      '--name', 'pilot-test',
      '--data-dir', this.dataDir,
      '--listen-client-urls', `${scheme}://127.0.0.1:${client}`,
      '--advertise-client-urls', `${scheme}://127.0.0.1:${client}`,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `pilot-test=${peerUrl}`,
      // Plain HTTP /health whatever the client side speaks.
      '--listen-metrics-urls', `http://127.0.0.1:${metrics}`,
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
      // One member on loopback: elect it at once rather than after ~1 s of ticks.
      '--heartbeat-interval', '10', '--election-timeout', '100',
      ...(this.#tls ? [
        '--cert-file', this.#tls.certFile, '--key-file', this.#tls.keyFile,
        '--trusted-ca-file', this.#tls.clientCaFile, '--client-cert-auth',
      ] : []),
    ];
    this.#log = [];
    const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = proc;
    live.add(this);
    proc.stderr!.on('data', (d: Buffer) => {
      this.#log.push(d.toString());
      if (this.#log.length > 200) this.#log.shift();
    });
    let exited: string | undefined;
    proc.once('exit', (code, signal) => { exited = `etcd exited (${signal ?? code})`; });
    proc.once('error', (err) => { exited = `etcd failed to start: ${err.message}`; });
    const deadline = Date.now() + 15_000;
    while (!(await healthy(metrics))) {
      if (exited || Date.now() > deadline) {
        await this.stop(true);
        throw new Error(`${exited ?? 'etcd not ready within 15 s'}:\n${this.logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  #need(): { client: number; peer: number; metrics: number } {
    if (!this.#ports) throw new Error('etcd not started');
    return this.#ports;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

/**
 * Keeps one etcd started ahead, so a test that needs a fresh etcd (a Store's
 * revisions count from 0 only on an empty etcd) rarely waits for one to start.
 */
export class EtcdPool {
  #spare?: Promise<EtcdServer>;
  readonly #taken = new Set<EtcdServer>();
  readonly #releasing = new Set<Promise<void>>();

  async take(): Promise<EtcdServer> {
    const next = this.#spare ?? EtcdServer.start();
    this.#spare = EtcdServer.start();
    this.#spare.catch(() => { /* reported by the take() that gets it */ });
    const server = await next;
    this.#taken.add(server);
    return server;
  }

  /** Disposes of `server` (taken from this pool); dispose() waits for it too. */
  release(server: EtcdServer): Promise<void> {
    if (!this.#taken.delete(server)) return Promise.resolve();
    const done = server.dispose().finally(() => this.#releasing.delete(done));
    this.#releasing.add(done);
    return done;
  }

  async dispose(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    await Promise.all([...this.#taken].map((s) => this.release(s)));
    await Promise.all(this.#releasing);
    if (spare) await spare.then((s) => s.dispose(), () => undefined);
  }
}
