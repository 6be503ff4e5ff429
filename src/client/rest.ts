// The one HTTP client every component uses to reach the API server: HTTPS with
// keep-alive (one TLS handshake per socket, not per request), credentials from a
// ClientConfig, a token bucket, and server Status bodies rethrown as ApiError.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { findByKind, findResource, type ResourceInfo } from '../api/resources.ts';
import { realClock, sleep, type Clock } from '../base/clock.ts';
import type { ClientConfig } from './kubeconfig.ts';
import { TokenBucket } from './ratelimit.ts';
import { ResourceClient, type KubeObject } from './resource.ts';
import { errorFromResponse } from './status.ts';
import { parseWatchStream, type WatchEvent } from './watch.ts';

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON unless it is already a string or Buffer. */
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
  /** Default application/json. */
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RestClientOptions {
  /** Sustained requests per second; 0 or Infinity = unlimited. Default 100. */
  qps?: number;
  /** Requests allowed at once before qps applies. Default 200. */
  burst?: number;
  userAgent?: string;
  /** Most connections to the server at once (requests beyond wait for one); default unlimited. */
  maxSockets?: number;
  /** Retries of a request the server answered 429/5xx with Retry-After. Default 3. */
  maxRetries?: number;
  clock?: Clock;
}

const TOKEN_FILE_TTL_MS = 60_000;

export class RestClient {
  readonly baseUrl: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly limiter: TokenBucket;
  private readonly clock: Clock;
  private readonly userAgent: string;
  private readonly maxRetries: number;
  private tokenCache?: { value: string; readAt: number };

  constructor(readonly config: ClientConfig, opts: RestClientOptions = {}) {
    this.baseUrl = new URL(config.server);
    this.clock = opts.clock ?? realClock;
    this.limiter = new TokenBucket(opts.qps ?? 100, opts.burst ?? 200, this.clock);
    this.userAgent = opts.userAgent ?? `pilot/0.1.0 (${process.platform}/${process.arch})`;
    this.maxRetries = opts.maxRetries ?? 3;
    if (this.baseUrl.protocol === 'http:') {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    } else {
      this.transport = https;
      this.agent = new https.Agent({
        keepAlive: true, maxSockets: opts.maxSockets, ca: config.ca, cert: config.cert, key: config.key,
        rejectUnauthorized: !config.insecureSkipTLSVerify, servername: config.tlsServerName,
      });
    }
  }

  /** The decoded response: parsed JSON, text for other types, undefined when empty. Non-2xx throws ApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(method, path, opts);
      const text = await readAll(res);
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 300) {
        if (!text) return undefined as T;
        return (/json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : text) as T;
      }
      const err = errorFromResponse(code, text, res.headers);
      const retryAfter = retryAfterMs(res);
      if (retryAfter === undefined || !(code === 429 || code >= 500) || attempt >= this.maxRetries || opts.signal?.aborted) throw err;
      await sleep(this.clock, retryAfter, opts.signal);
    }
  }

  /**
   * A streaming response (watch, logs) left unread for the caller, who must
   * consume or destroy it. Non-2xx answers are read and thrown as ApiError.
   */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const res = await this.send(method, path, opts);
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) return res;
    throw errorFromResponse(code, await readAll(res), res.headers);
  }

  /**
   * Events of a watch request at `path` (`watch=1` is added). Ends quietly when
   * the server ends the stream or `signal` aborts; throws ApiError for an ERROR
   * event (code 410: history compacted, relist) or a failed request.
   */
  async *watch<T>(path: string, query: Query = {}, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    if (signal?.aborted) return;
    let res: http.IncomingMessage;
    try {
      res = await this.stream('GET', path, { query: { ...query, watch: true }, signal });
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    try {
      yield* parseWatchStream<T>(res);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    } finally {
      // The consumer stopped early (break/return) or the stream failed: free the socket.
      if (!res.complete) res.destroy();
    }
  }

  /** The API of one resource by apiVersion and kind, e.g. resource('apps/v1', 'Deployment'). */
  resource<T extends KubeObject = KubeObject>(apiVersion: string, kind: string): ResourceClient<T> {
    const info = findByKind(apiVersion, kind);
    if (!info) throw new Error(`unknown resource kind ${kind} in ${apiVersion}`);
    return new ResourceClient<T>(this, info);
  }

  /** The API of one resource by group, version and plural, e.g. resourceFor('', 'v1', 'pods'). */
  resourceFor<T extends KubeObject = KubeObject>(group: string, version: string, plural: string): ResourceClient<T> {
    const info: ResourceInfo | undefined = findResource(group, version, plural);
    if (!info) throw new Error(`unknown resource ${plural} in ${group ? `${group}/` : ''}${version}`);
    return new ResourceClient<T>(this, info);
  }

  /** Closes idle keep-alive sockets and refuses to pool new ones. Open watches end. */
  close(): void {
    this.agent.destroy();
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    await this.limiter.take(opts.signal);
    opts.signal?.throwIfAborted();
    const url = new URL(path + queryString(opts.query), this.baseUrl);
    const body = opts.body === undefined ? undefined
      : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      Accept: opts.accept ?? 'application/json',
      'User-Agent': this.userAgent,
      ...opts.headers,
    };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const token = this.bearerToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(url, method, headers, body, opts.signal);
      } catch (e) {
        // A pooled keep-alive socket the server closed just as we reused it:
        // the request never reached the server, so one retry is safe.
        if (attempt === 0 && e instanceof StaleSocketError) continue;
        throw e instanceof StaleSocketError ? e.cause : e;
      }
    }
  }

  private sendOnce(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined,
    signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(url, { method, headers, agent: this.agent, signal }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(req.reusedSocket && err.code === 'ECONNRESET' && !signal?.aborted ? new StaleSocketError(err) : err);
      });
      req.end(body);
    });
  }

  private bearerToken(): string | undefined {
    if (this.config.tokenSource) return this.config.tokenSource();
    if (this.config.token) return this.config.token;
    if (!this.config.tokenFile) return undefined;
    const now = this.clock.now();
    if (!this.tokenCache || now - this.tokenCache.readAt > TOKEN_FILE_TTL_MS) {
      this.tokenCache = { value: fs.readFileSync(this.config.tokenFile, 'utf8').trim(), readAt: now };
    }
    return this.tokenCache.value;
  }
}

class StaleSocketError extends Error {
  constructor(override readonly cause: Error) { super(cause.message); }
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function retryAfterMs(res: http.IncomingMessage): number | undefined {
  const h = res.headers['retry-after'];
  if (typeof h !== 'string' || !/^\d+$/.test(h)) return undefined;
  return Math.min(Number(h), 60) * 1000;
}
