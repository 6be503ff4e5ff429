// Raw HTTPS access to a Pilot server for tests that need to see exactly what
// goes over the wire (status codes, Status bodies, watch event streams): the
// admin client certificate from the kubeconfig, a bearer token, another
// certificate, or no credentials at all.

import * as fs from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ClientRequest } from 'node:http';
import { parse as parseYaml } from 'yaml';

export interface Creds {
  server: string;
  ca: string;
  cert?: string;
  key?: string;
}

export type Auth = 'cert' | 'none' | { token: string } | { cert: string; key: string };

export interface HttpResult { status: number; headers: IncomingMessage['headers']; text: string; json: any }

/** Server URL, CA and admin client certificate from a kubeconfig written by `pilot server`. */
export function credsFromKubeconfig(file: string): Creds {
  const kc = parseYaml(fs.readFileSync(file, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
  };
  const b64 = (s: string | undefined): string | undefined => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  return {
    server: kc.clusters[0].cluster.server,
    ca: b64(kc.clusters[0].cluster['certificate-authority-data'])!,
    cert: b64(kc.users[0].user['client-certificate-data']),
    key: b64(kc.users[0].user['client-key-data']),
  };
}

// One agent per credential set keeps connections alive, as real clients do.
const agents = new Map<string, https.Agent>();

function options(creds: Creds, auth: Auth, method: string, path: string, headers: Record<string, string>): https.RequestOptions {
  const u = new URL(path, creds.server);
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  let cert: string | undefined, key: string | undefined;
  if (auth === 'cert') { cert = creds.cert; key = creds.key; }
  else if (auth !== 'none' && 'token' in auth) h.Authorization = `Bearer ${auth.token}`;
  else if (auth !== 'none') { cert = auth.cert; key = auth.key; }
  const agentKey = `${creds.server}|${cert ?? ''}`;
  let agent = agents.get(agentKey);
  if (!agent) { agent = new https.Agent({ keepAlive: true, ca: creds.ca, cert, key }); agents.set(agentKey, agent); }
  return { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers: h, agent, ca: creds.ca, cert, key };
}

/** Closes the kept-alive connections (call at the end of a test file). */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

export function request(creds: Creds, method: string, path: string, opts: { body?: unknown; auth?: Auth; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let payload: string | undefined;
  if (opts.body !== undefined) {
    payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
    // Node frames a DELETE body only when told its length.
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(options(creds, opts.auth ?? 'cert', method, path, headers), (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        let json: unknown;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEventJson { type: string; object: any }

export interface RawWatch {
  status: number;
  events: WatchEventJson[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Resolves once `pred` holds for the events received so far. */
  waitFor(pred: (events: WatchEventJson[]) => boolean, ms?: number): Promise<WatchEventJson[]>;
  close(): void;
}

/** Opens a watch (newline-delimited JSON events) and collects its events. */
export function watch(creds: Creds, path: string, auth: Auth = 'cert'): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = https.request({ ...options(creds, auth, 'GET', path, {}), agent: false }, (res) => {
      const events: WatchEventJson[] = [];
      let buf = '';
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => { endedResolve = r; });
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) events.push(JSON.parse(line) as WatchEventJson);
        }
      });
      res.on('end', () => endedResolve());
      res.on('close', () => endedResolve());
      res.on('error', () => endedResolve());
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended,
        waitFor: (pred, ms = 15_000) => new Promise((ok, fail) => {
          const start = Date.now();
          const tick = (): void => {
            if (pred(events)) { ok(events); return; }
            if (Date.now() - start > ms) { fail(new Error(`timed out waiting on watch ${path}; got ${events.length} events: ${JSON.stringify(events.map((e) => [e.type, e.object?.metadata?.name, e.object?.metadata?.resourceVersion]))}`)); return; }
            setTimeout(tick, 20);
          };
          tick();
        }),
        close: () => { req?.destroy(); },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A ConfigMap manifest (YAML) for `kubectl create -f -`. */
export function cmYaml(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) }, data });
}
