// One probe attempt as the kubelet runs it: exec (in the container, through
// the CRI), httpGet (2xx/3xx is success) or tcpSocket (a connection is success),
// each within timeoutSeconds. The output is what events and logs quote.

import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';

export interface ProbeTarget {
  exec(containerId: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  containerId: string;
  container: Container;
  podIP?: string;
}

export interface ProbeResult { ok: boolean; output: string }

/** A named port resolved against the container's ports; numbers pass through. */
export function resolvePort(port: number | string | undefined, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(probe: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    try {
      const r = await t.exec(t.containerId, probe.exec.command ?? [], probe.timeoutSeconds ?? 1);
      const output = `${r.stdout.toString()}${r.stderr.toString()}`.trim();
      return { ok: r.exitCode === 0, output: r.exitCode === 0 ? output : output || `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} exited with ${r.exitCode}` };
    } catch (e) {
      return { ok: false, output: (e as Error).message };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port, t.container);
    const host = g.host || t.podIP;
    if (!host || !port) return { ok: false, output: `cannot resolve http probe target (host ${host ?? '?'}, port ${String(g.port)})` };
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${g.path ?? '/'}`;
    return new Promise((resolve) => {
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      const lib = scheme === 'https' ? https : http;
      const req = lib.get(url, { headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, output: '' } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
      req.on('error', (e) => resolve({ ok: false, output: e.message.startsWith('Get "') ? e.message : `Get "${url}": ${e.message}` }));
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, t.container);
    const host = probe.tcpSocket.host || t.podIP;
    if (!host || !port) return { ok: false, output: `cannot resolve tcp probe target (host ${host ?? '?'}, port ${String(probe.tcpSocket.port)})` };
    return new Promise((resolve) => {
      const sock = net.connect({ host, port, timeout: timeoutMs });
      sock.once('connect', () => { sock.destroy(); resolve({ ok: true, output: '' }); });
      sock.once('timeout', () => { sock.destroy(); resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }); });
      sock.once('error', (e) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.message}` }));
    });
  }
  // No handler (e.g. grpc, not supported yet): counts as success, so it never kills or blocks.
  return { ok: true, output: '' };
}
