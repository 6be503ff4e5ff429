// A raw HTTPS client for the Pilot API using the admin kubeconfig's client
// certificate: for tests that need status codes, headers and bodies exactly.

import * as fs from 'node:fs';
import * as https from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface ApiResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: any }  

export class ApiClient {
  private readonly agent: https.Agent;
  private readonly base: URL;

  constructor(kubeconfigPath: string) {
    const kc = parseYaml(fs.readFileSync(kubeconfigPath, 'utf8')) as any;  
    const cluster = kc.clusters[0].cluster;
    const user = kc.users[0].user;
    const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    this.base = new URL(cluster.server as string);
    this.agent = new https.Agent({ keepAlive: true, ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: this.base.hostname, port: this.base.port, path, method, agent: this.agent,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(data ? { 'Content-Length': String(data.length) } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  get(path: string): Promise<ApiResponse> { return this.request('GET', path); }
  post(path: string, body: unknown): Promise<ApiResponse> { return this.request('POST', path, body); }
  put(path: string, body: unknown): Promise<ApiResponse> { return this.request('PUT', path, body); }
  delete(path: string, body?: unknown): Promise<ApiResponse> { return this.request('DELETE', path, body); }
  patch(path: string, body: unknown, type: 'merge' | 'strategic' | 'json' = 'merge'): Promise<ApiResponse> {
    const ct = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' }[type];
    return this.request('PATCH', path, body, { 'Content-Type': ct });
  }

  close(): void { this.agent.destroy(); }
}
