// The etcd v3 gRPC client under the etcd Store driver: URL parsing, the channel
// (endpoints, TLS, keepalive, reconnect backoff), and typed calls for the few
// RPCs the driver makes. Raw @grpc/grpc-js rather than the `etcd3` package,
// because the driver needs exactly what etcd says on a watch stream
// (compact_revision, canceled, prev_kv) and no client-side retry that would
// hide a compaction or a gap.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';

// --- URL ----------------------------------------------------------------------

export interface EtcdEndpoint { host: string; port: number }

export interface EtcdTlsFiles {
  /** CA bundle that signed etcd's serving certificate (default: the system roots). */
  ca?: string;
  /** Client certificate and its key, for etcd's --client-cert-auth. */
  cert?: string;
  key?: string;
}

export interface EtcdConfig {
  endpoints: EtcdEndpoint[];
  /** Present when the connection uses TLS. */
  tls?: EtcdTlsFiles;
  /** Prepended to every key, so several clusters can share one etcd (like --etcd-prefix). */
  prefix: string;
}

export const DEFAULT_ETCD_PORT = 2379;

const URL_SHAPE = /^(etcds?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;
const TLS_PARAMS = ['ca', 'cert', 'key'] as const;

/**
 * Parses `etcd://host:port[,host:port…][/key-prefix][?ca=…&cert=…&key=…]`.
 * `etcds://` means TLS; so does any of ca, cert, key (paths to PEM files).
 */
export function parseEtcdUrl(raw: string | URL): EtcdConfig {
  const text = typeof raw === 'string' ? raw : raw.href;
  const m = URL_SHAPE.exec(text);
  if (!m) throw new Error(`invalid etcd URL "${text}": expected etcd://host:port[,host:port…]`);
  const [, scheme, authority, path, query] = m as unknown as [string, string, string, string, string | undefined];
  if (authority.includes('@')) throw new Error(`etcd URL "${text}": user names and passwords are not supported`);
  const endpoints = authority.split(',').map((part) => parseEndpoint(part, text));
  const params = new URLSearchParams(query ?? '');
  const tls: EtcdTlsFiles = {};
  for (const [name, value] of params) {
    if (!(TLS_PARAMS as readonly string[]).includes(name)) {
      throw new Error(`etcd URL "${text}": unknown parameter "${name}" (known: ${TLS_PARAMS.join(', ')})`);
    }
    tls[name as (typeof TLS_PARAMS)[number]] = value;
  }
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new Error(`etcd URL "${text}": cert and key must be given together`);
  const useTls = scheme.toLowerCase() === 'etcds' || Object.keys(tls).length > 0;
  const prefix = decodeURIComponent(path).replace(/\/+$/, '');
  return { endpoints, ...(useTls ? { tls } : {}), prefix };
}

function parseEndpoint(part: string, url: string): EtcdEndpoint {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(part);
  if (!m) throw new Error(`etcd URL "${url}": bad endpoint "${part}" (expected host:port)`);
  const port = m[3] === undefined ? DEFAULT_ETCD_PORT : Number(m[3]);
  if (!(port > 0 && port < 65536)) throw new Error(`etcd URL "${url}": bad port in "${part}"`);
  return { host: (m[1] ?? m[2])!, port };
}

// --- Messages (only the fields the driver reads or sets) ------------------------

/** Revisions are int64 in etcd; loaded as JS numbers (exact below 2^53). */
export interface KeyValueMsg {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}
export interface HeaderMsg { revision: number }

export interface RangeRequestMsg {
  key: Uint8Array;
  range_end?: Uint8Array;
  limit?: number;
  revision?: number;
  keys_only?: boolean;
  count_only?: boolean;
}
export interface RangeResponseMsg { header: HeaderMsg; kvs: KeyValueMsg[]; more: boolean; count: number }

export interface CompareMsg {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'CREATE' | 'MOD';
  key: Uint8Array;
  create_revision?: number;
  mod_revision?: number;
}
export type RequestOpMsg =
  | { request_range: RangeRequestMsg }
  | { request_put: { key: Uint8Array; value: Uint8Array; prev_kv?: boolean } }
  | { request_delete_range: { key: Uint8Array; prev_kv?: boolean } };
export interface ResponseOpMsg {
  response?: 'response_range' | 'response_put' | 'response_delete_range';
  response_range?: RangeResponseMsg | null;
  response_put?: { header: HeaderMsg; prev_kv: KeyValueMsg | null } | null;
  response_delete_range?: { header: HeaderMsg; deleted: number; prev_kvs: KeyValueMsg[] } | null;
}
export interface TxnRequestMsg { compare: CompareMsg[]; success: RequestOpMsg[]; failure: RequestOpMsg[] }
export interface TxnResponseMsg { header: HeaderMsg; succeeded: boolean; responses: ResponseOpMsg[] }

export interface EventMsg { type: 'PUT' | 'DELETE'; kv: KeyValueMsg | null; prev_kv: KeyValueMsg | null }
export interface WatchCreateMsg {
  key: Uint8Array;
  range_end: Uint8Array;
  start_revision: number;
  prev_kv: boolean;
}
export type WatchRequestMsg = { create_request: WatchCreateMsg };
export interface WatchResponseMsg {
  header: HeaderMsg | null;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: EventMsg[];
}

export type WatchCall = grpc.ClientDuplexStream<WatchRequestMsg, WatchResponseMsg>;

// --- Client -------------------------------------------------------------------

export interface EtcdClientOptions {
  /** How long a unary call may wait, including for a connection (default 15 s). */
  requestTimeoutMs?: number;
}

const PROTO_PATH = fileURLToPath(new URL('./etcd.proto', import.meta.url));

type Unary<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;
interface KvStub extends grpc.Client {
  Range: Unary<RangeRequestMsg, RangeResponseMsg>;
  Txn: Unary<TxnRequestMsg, TxnResponseMsg>;
  Compact: Unary<{ revision: number; physical: boolean }, { header: HeaderMsg }>;
}
interface WatchStub extends grpc.Client {
  Watch(md: grpc.Metadata, opts?: grpc.CallOptions): WatchCall;
}
type StubConstructor<T> = new (target: string, creds: grpc.ChannelCredentials, opts?: grpc.ChannelOptions) => T;

let services: { KV: StubConstructor<KvStub>; Watch: StubConstructor<WatchStub> } | undefined;

function loadServices(): NonNullable<typeof services> {
  if (!services) {
    const definition = protoLoader.loadSync(PROTO_PATH, {
      keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(definition)['etcdserverpb'] as unknown as Record<string, unknown>;
    services = { KV: pkg['KV'] as StubConstructor<KvStub>, Watch: pkg['Watch'] as StubConstructor<WatchStub> };
  }
  return services;
}

/** A call failed; `code` is the gRPC status. */
export class EtcdRpcError extends Error {
  constructor(readonly code: grpc.status, readonly details: string, method: string) {
    super(`etcd ${method}: ${details || grpc.status[code]}`);
    this.name = 'EtcdRpcError';
  }
}

/**
 * Whether a failed call or stream is worth retrying: etcd (or the connection to it)
 * went away, as in a restart or a leader change, rather than refusing the request.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === grpc.status.UNAVAILABLE;
}

export class EtcdClient {
  readonly #kv: KvStub;
  readonly #watch: WatchStub;
  readonly #timeoutMs: number;

  private constructor(kv: KvStub, watch: WatchStub, timeoutMs: number) {
    this.#kv = kv;
    this.#watch = watch;
    this.#timeoutMs = timeoutMs;
  }

  static async connect(cfg: EtcdConfig, opts: EtcdClientOptions = {}): Promise<EtcdClient> {
    const { KV, Watch } = loadServices();
    const { target, authority } = await channelTarget(cfg.endpoints);
    const channelOptions: grpc.ChannelOptions = {
      // A list of a large prefix, or a watch catching up, can be far above the 4 MiB default.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // etcd refuses pings more often than every 5 s; a dead member is noticed within ~40 s.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // After an etcd restart, be back within ~2 s rather than grpc's default of up to 2 min.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      ...(cfg.tls && authority ? { 'grpc.ssl_target_name_override': authority, 'grpc.default_authority': authority } : {}),
    };
    const creds = cfg.tls
      ? grpc.credentials.createSsl(
        cfg.tls.ca ? readFileSync(cfg.tls.ca) : null,
        cfg.tls.key ? readFileSync(cfg.tls.key) : null,
        cfg.tls.cert ? readFileSync(cfg.tls.cert) : null)
      : grpc.credentials.createInsecure();
    const kv = new KV(target, creds, channelOptions);
    const watch = new Watch(target, creds, { ...channelOptions, channelOverride: kv.getChannel() });
    return new EtcdClient(kv, watch, opts.requestTimeoutMs ?? 15_000);
  }

  range(req: RangeRequestMsg): Promise<RangeResponseMsg> { return this.#unary('Range', this.#kv.Range, req); }
  txn(req: TxnRequestMsg): Promise<TxnResponseMsg> { return this.#unary('Txn', this.#kv.Txn, req); }
  compact(revision: number): Promise<{ header: HeaderMsg }> {
    // physical=false: answer once compaction is scheduled; reads and watches below
    // `revision` fail from then on, which is all the Store contract needs.
    return this.#unary('Compact', this.#kv.Compact, { revision, physical: false });
  }

  /**
   * Resolves once etcd answers a read. Unlike the other calls it does not wait
   * quietly for a connection: it retries failed attempts until `timeoutMs`, so the
   * error it ends with says why connecting failed (refused, TLS, …).
   */
  async ping(key: Uint8Array, timeoutMs = this.#timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.#unary('Range', this.#kv.Range, { key, count_only: true }, { waitForReady: false, deadline });
        return;
      } catch (err) {
        if (!isTransient(err) || Date.now() + 100 >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Opens a watch stream. It waits for a connection, so it survives etcd being briefly away. */
  watch(): WatchCall {
    return this.#watch.Watch(new grpc.Metadata({ waitForReady: true }));
  }

  close(): void {
    this.#watch.close();
    this.#kv.close();
  }

  #unary<Req, Res>(method: string, fn: Unary<Req, Res>, req: Req, opts: { waitForReady?: boolean; deadline?: number } = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
      // waitForReady: a call made while etcd restarts waits for it (up to the deadline)
      // instead of failing at once; a request is only sent once connected, so this
      // never applies a write twice.
      const md = new grpc.Metadata({ waitForReady: opts.waitForReady ?? true });
      fn.call(this.#kv, req, md, { deadline: opts.deadline ?? Date.now() + this.#timeoutMs }, (err, res) => {
        if (err) reject(new EtcdRpcError(err.code, err.details, method));
        else resolve(res!);
      });
    });
  }
}

/**
 * The grpc target for the endpoints. One endpoint: its host name, resolved by grpc.
 * Several: resolved here to addresses of one family, which pick_first tries in order
 * and fails over between; `authority` is then the first host's name, for TLS.
 */
async function channelTarget(endpoints: EtcdEndpoint[]): Promise<{ target: string; authority?: string }> {
  const hostPort = (host: string, port: number): string => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);
  if (endpoints.length === 1) return { target: `dns:${hostPort(endpoints[0]!.host, endpoints[0]!.port)}` };
  const resolved = await Promise.all(endpoints.map(async (e) => {
    if (isIP(e.host)) return { address: e.host, family: isIP(e.host), port: e.port };
    const r = await lookup(e.host);
    return { address: r.address, family: r.family, port: e.port };
  }));
  const family = resolved[0]!.family;
  if (resolved.some((r) => r.family !== family)) throw new Error('etcd endpoints mix IPv4 and IPv6 addresses; use one family');
  return {
    target: `ipv${family}:${resolved.map((r) => hostPort(r.address, r.port)).join(',')}`,
    authority: endpoints[0]!.host,
  };
}
