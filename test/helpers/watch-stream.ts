// A raw HTTPS watch that hands each event to a callback as it arrives and
// keeps nothing itself: for tests and benchmarks that run many watchers over
// many events, where collecting every decoded object (as kube-http's watch()
// does) would cost hundreds of megabytes.

import * as https from 'node:https';
import type { ClientRequest } from 'node:http';
import type { Creds, WatchEventJson } from './kube-http.ts';

export interface StreamWatch {
  /** The response's status code. */
  status: number;
  /** Resolves when the stream ends, saying how: "end" (the server ended it), "closed" by us, or the error. */
  ended: Promise<string>;
  close(): void;
}

/** An agent with the admin credentials of `creds`, for watchers that share connections. */
export function watchAgent(creds: Creds, opts: https.AgentOptions = {}): https.Agent {
  return new https.Agent({ keepAlive: true, ca: creds.ca, cert: creds.cert, key: creds.key, ...opts });
}

/**
 * Opens a watch on `path` (with the admin client certificate) and resolves once
 * the response headers arrive. Without `agent`, the watch has a connection of its own.
 */
export function openWatch(creds: Creds, path: string, onEvent: (ev: WatchEventJson) => void, agent?: https.Agent): Promise<StreamWatch> {
  const u = new URL(path, creds.server);
  return new Promise((resolve, reject) => {
    let closedByUs = false;
    const req: ClientRequest = https.request({
      method: 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: { Accept: 'application/json' },
      ...(agent ? { agent } : { agent: false, ca: creds.ca, cert: creds.cert, key: creds.key }),
    }, (res) => {
      let buf = '';
      let endedResolve!: (how: string) => void;
      const ended = new Promise<string>((r) => { endedResolve = r; });
      const finish = (how: string): void => endedResolve(closedByUs ? 'closed' : how);
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let start = 0;
        let i: number;
        while ((i = buf.indexOf('\n', start)) >= 0) {
          const line = buf.slice(start, i);
          start = i + 1;
          if (line.trim()) onEvent(JSON.parse(line) as WatchEventJson);
        }
        buf = buf.slice(start);
      });
      res.on('end', () => finish('end'));
      res.on('close', () => finish('end'));
      res.on('error', (e) => finish(`error: ${e.message}`));
      resolve({ status: res.statusCode ?? 0, ended, close: () => { closedByUs = true; req.destroy(); } });
    });
    req.on('error', reject);
    req.end();
  });
}
