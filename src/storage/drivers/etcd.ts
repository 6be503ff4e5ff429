// The etcd v3 Store: for a cluster that outgrows one machine, and for several
// apiservers sharing one state. Every Store operation is one etcd request:
//
//   create   Txn(If create_revision(k) = 0  Then Put(k)                Else Get(k))
//   update   Txn(If mod_revision(k) = exp   Then Put(k), GetKeys(k)    Else Get(k))
//   delete   Txn(If mod_revision(k) = exp   Then Delete(k, prev_kv)    Else Get(k))
//   list     Range(k, prefix end, limit, revision) — one revision for all pages
//   watch    Watch(prefix, start_revision, prev_kv), one stream per watch
//   compact  Compaction(revision)
//
// Revisions: a fresh etcd is at revision 1 with no keys, and its first write is
// revision 2, while a Store counts from 0 (the empty store) with the first write
// at 1. So Store revision = etcd revision - 1, everywhere (resourceVersions, list
// and watch revisions, compaction). Every Pilot server on the same etcd uses this
// driver, so they all agree.
//
// Compacted revision: etcd has no API that reports it, and writing it down under a
// key would spend a revision (the Store contract says compaction takes none). It
// is observable, though: a read at etcd revision r fails with ErrCompacted exactly
// when r < etcd's compacted revision. compactedRevision() finds the smallest
// readable revision by probing (one Range in the usual case, a binary search after
// someone else compacted), so the answer is right after a restart and across
// servers.

import { closed, compacted, conflict, futureRevision, keyExists, notFound } from '../errors.ts';
import { listStart } from '../keys.ts';
import { StoreError, type KV, type ListOptions, type ListResult, type Revision, type Store, type StoreEvent } from '../store.ts';
import {
  EtcdClient, EtcdRpcError, isTransient, parseEtcdUrl,
  type EtcdClientOptions, type EventMsg, type KeyValueMsg, type RangeRequestMsg, type ResponseOpMsg,
  type TxnRequestMsg, type TxnResponseMsg, type WatchCall, type WatchResponseMsg,
} from './etcd-rpc.ts';

/** etcd revision of Store revision 0 (the empty store). */
const BASE = 1;
const toStore = (etcdRevision: number): Revision => etcdRevision - BASE;
const toEtcd = (revision: Revision): number => revision + BASE;

export interface EtcdStoreOptions extends EtcdClientOptions {
  /** How long a watch keeps reconnecting to an unreachable etcd before it fails (default 60 s). */
  watchRetryMs?: number;
}

const ZERO = Buffer.from([0]);

/** The etcd range end that covers every key starting with `prefix` ("\0" = no end). */
function rangeEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i]! += 1;
      return end;
    }
  }
  return ZERO;
}

const isCompactedError = (err: unknown): boolean =>
  err instanceof EtcdRpcError && /required revision has been compacted/.test(err.details);
const isFutureError = (err: unknown): boolean =>
  err instanceof EtcdRpcError && /required revision is a future revision/.test(err.details);

const checkRevisionArg = (what: string, revision: Revision): void => {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`invalid ${what} ${revision}`);
};

const revisionOf = (e: StoreEvent): Revision => (e.type === 'put' ? e.kv.modRevision : e.revision);

export class EtcdStore implements Store {
  readonly #client: EtcdClient;
  /** The key prefix every key lives under (the URL's path), as bytes. */
  readonly #root: Buffer;
  /** A key Pilot never writes: reads of it are cheap probes of revisions. */
  readonly #probeKey: Buffer;
  readonly #watchRetryMs: number;
  #closed = false;
  /** Open watch streams and sleeping watch retries, ended by close(). */
  readonly #watches = new Set<WatchCall>();
  readonly #sleepers = new Set<() => void>();
  /** A lower bound on the compacted revision (Store numbering): compaction never goes back. */
  #knownCompacted = 0;

  constructor(client: EtcdClient, prefix: string, opts: EtcdStoreOptions = {}) {
    this.#client = client;
    this.#root = Buffer.from(prefix, 'utf8');
    this.#probeKey = Buffer.concat([this.#root, Buffer.from('\0pilot-probe', 'utf8')]);
    this.#watchRetryMs = opts.watchRetryMs ?? 60_000;
  }

  async get(key: string): Promise<KV | undefined> {
    const res = await this.#call(() => this.#client.range({ key: this.#key(key) }));
    const kv = res.kvs[0];
    return kv ? this.#toKV(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const at = opts.atRevision;
    if (at !== undefined) checkRevisionArg('revision', at);
    const range = this.#range(prefix);
    const start = listStart(prefix, opts.continueAfter);
    let key = range.key;
    if (!start.inclusive) {
      // Strictly after the continue key: the smallest key greater is key + "\0".
      const after = Buffer.concat([this.#root, Buffer.from(start.key, 'utf8'), ZERO]);
      if (Buffer.compare(after, key) > 0) key = after;
    }
    const req: RangeRequestMsg = {
      key,
      range_end: range.end,
      limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
      // Store revision 0 is etcd revision 1, never etcd's 0, which means "current".
      ...(at !== undefined ? { revision: toEtcd(at) } : {}),
    };
    // A start at or past the end (a continue key beyond the prefix) is an empty
    // page; a probe still checks the revision and reads the head.
    const empty = range.end !== ZERO && Buffer.compare(key, range.end) >= 0;
    let res;
    try {
      res = await this.#call(() => this.#client.range(empty ? { key: this.#probeKey, count_only: true, revision: req.revision } : req));
    } catch (err) {
      throw await this.#readError(err, at ?? 0);
    }
    const items = empty ? [] : res.kvs.map((kv) => this.#toKV(kv));
    const count = empty ? 0 : res.count;
    return { items, revision: at ?? toStore(res.header.revision), more: !empty && res.more, remaining: Math.max(0, count - items.length) };
  }

  async count(prefix: string): Promise<number> {
    const { key, end } = this.#range(prefix);
    const res = await this.#call(() => this.#client.range({ key, range_end: end, count_only: true }));
    return res.count;
  }

  async create(key: string, value: Uint8Array): Promise<KV> {
    const k = this.#key(key);
    const res = await this.#txn({
      compare: [{ result: 'EQUAL', target: 'CREATE', key: k, create_revision: 0 }],
      success: [{ request_put: { key: k, value } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) {
      const current = firstKv(res.responses[0]);
      if (!current) throw new Error(`etcd: create of ${key} failed, yet the key does not exist`);
      throw keyExists(this.#toKV(current));
    }
    const revision = toStore(res.header.revision);
    return { key, value: Buffer.from(value), createRevision: revision, modRevision: revision };
  }

  async update(key: string, value: Uint8Array, expected: Revision): Promise<KV> {
    checkRevisionArg('expected revision', expected);
    const k = this.#key(key);
    const res = await this.#txn({
      compare: [{ result: 'EQUAL', target: 'MOD', key: k, mod_revision: toEtcd(expected) }],
      // The Range after the Put reads the txn's own write: it gives createRevision
      // without sending the value back.
      success: [{ request_put: { key: k, value } }, { request_range: { key: k, keys_only: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, expected, res);
    const written = firstKv(res.responses[1]);
    if (!written) throw new Error(`etcd: update of ${key} succeeded, yet the key cannot be read back`);
    return { key, value: Buffer.from(value), createRevision: toStore(written.create_revision), modRevision: toStore(res.header.revision) };
  }

  async delete(key: string, expected?: Revision): Promise<KV> {
    if (expected !== undefined) checkRevisionArg('expected revision', expected);
    const k = this.#key(key);
    const res = await this.#txn({
      compare: [expected === undefined
        ? { result: 'GREATER', target: 'CREATE', key: k, create_revision: 0 }
        : { result: 'EQUAL', target: 'MOD', key: k, mod_revision: toEtcd(expected) }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, expected, res);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw new Error(`etcd: delete of ${key} succeeded, yet returned no previous value`);
    return { ...this.#toKV(prev), modRevision: toStore(res.header.revision) };
  }

  watch(prefix: string, fromRevision: Revision, signal: AbortSignal): AsyncIterable<StoreEvent> {
    return this.#follow(prefix, fromRevision, signal);
  }

  async compact(revision: Revision): Promise<void> {
    checkRevisionArg('revision', revision);
    this.#open();
    if (revision <= this.#knownCompacted) return;
    try {
      await this.#call(() => this.#client.compact(toEtcd(revision)));
    } catch (err) {
      if (isCompactedError(err)) return; // already compacted at least that far
      if (isFutureError(err)) throw futureRevision(revision, await this.currentRevision());
      throw err;
    }
    this.#learnCompacted(revision);
  }

  async compactedRevision(): Promise<Revision> {
    this.#open();
    // etcd refuses reads below its compacted revision c and serves c itself, so the
    // oldest readable etcd revision is c (1 if never compacted), Store revision c - 1.
    // Search it upwards from what is known to be compacted (a lower bound).
    let lo = toEtcd(this.#knownCompacted);
    if (await this.#readableAt(lo)) return this.#knownCompacted;
    let hi = toEtcd(await this.currentRevision()); // the head is always readable
    lo += 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.#readableAt(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.#learnCompacted(toStore(lo));
    return this.#knownCompacted;
  }

  async currentRevision(): Promise<Revision> {
    const res = await this.#call(() => this.#client.range({ key: this.#probeKey, count_only: true }));
    return toStore(res.header.revision);
  }

  /** Resolves once etcd answers; fails saying why connecting failed (see EtcdClient.ping). */
  async ping(timeoutMs?: number): Promise<void> {
    await this.#call(() => this.#client.ping(this.#probeKey, timeoutMs));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#watches) call.cancel();
    for (const wake of this.#sleepers) wake();
    this.#client.close();
  }

  // --- watch -----------------------------------------------------------------

  /**
   * One etcd watch stream, reopened from the last delivered revision if the
   * connection drops (an etcd restart), for up to watchRetryMs of failures.
   *
   * Where the stream starts decides which compaction etcd reports. The Store's
   * rule is: Compacted when fromRevision < the compacted revision. etcd refuses
   * a start revision below its compacted revision, so a stream that starts at
   * the etcd revision of `after` itself (one early, skipping that revision's
   * event) is refused exactly when the Store's rule says. But etcd serves a
   * stream that starts at or below its head from history, in a loop that runs
   * every 100 ms, which would delay a watch started at the head (the usual case)
   * by up to 100 ms. So a stream first starts where events are wanted (after + 1,
   * served live at once); its "created" answer carries etcd's head revision, and
   * if `after` is below it the stream is reopened one early. At or above the
   * head, compaction cannot have passed `after`.
   */
  async *#follow(prefix: string, fromRevision: Revision, signal: AbortSignal): AsyncGenerator<StoreEvent, void, undefined> {
    checkRevisionArg('revision', fromRevision);
    this.#open();
    if (signal.aborted) return;
    const { key, end } = this.#range(prefix);
    let after = fromRevision;
    let fromHistory = false;
    let call: WatchCall | undefined;
    let wake: (() => void) | undefined;
    const onAbort = (): void => { call?.cancel(); wake?.(); };
    signal.addEventListener('abort', onAbort, { once: true });
    let failingSince: number | undefined;
    let backoffMs = 50;
    try {
      for (;;) {
        call = this.#client.watch();
        this.#watches.add(call);
        let failure: unknown;
        let reopen = false;
        try {
          const start = fromHistory ? toEtcd(after) : toEtcd(after) + 1;
          call.write({ create_request: { key, range_end: end, start_revision: start, prev_kv: true } });
          for await (const res of call as AsyncIterable<WatchResponseMsg>) {
            failingSince = undefined;
            backoffMs = 50;
            if (res.compact_revision > 0) {
              this.#learnCompacted(toStore(res.compact_revision));
              throw compacted(after, toStore(res.compact_revision));
            }
            if (res.canceled) throw new Error(`etcd canceled the watch on "${prefix}": ${res.cancel_reason || 'no reason given'}`);
            if (res.created && !fromHistory && res.header && after < toStore(res.header.revision)) {
              fromHistory = reopen = true;
              break;
            }
            for (const ev of res.events) {
              const event = await this.#toEvent(ev, after);
              if (!event) continue;
              yield event;
              after = revisionOf(event);
              if (signal.aborted) return;
            }
          }
          if (!reopen) failure = new Error(`etcd ended the watch stream on "${prefix}"`);
        } catch (err) {
          if (signal.aborted) return;
          if (this.#closed) throw closed();
          if (!isTransient(err)) throw err;
          failure = err;
        } finally {
          call.cancel();
          this.#watches.delete(call);
          call = undefined;
        }
        if (signal.aborted) return;
        if (this.#closed) throw closed();
        if (reopen) continue;
        fromHistory = false; // the next "created" answer tells afresh
        failingSince ??= Date.now();
        if (Date.now() - failingSince > this.#watchRetryMs) throw failure;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, backoffMs);
          function done(): void { clearTimeout(timer); resolve(); }
          wake = done;
          this.#sleepers.add(done);
        });
        if (wake) this.#sleepers.delete(wake);
        wake = undefined;
        backoffMs = Math.min(backoffMs * 2, 2_000);
        if (signal.aborted) return;
        if (this.#closed) throw closed();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The Store event for an etcd event, or undefined for one at or before `after`. */
  async #toEvent(ev: EventMsg, after: Revision): Promise<StoreEvent | undefined> {
    const kv = ev.kv!;
    const revision = toStore(kv.mod_revision);
    if (revision <= after) return undefined;
    const prev = ev.prev_kv ? this.#toKV(ev.prev_kv) : undefined;
    // etcd reads prev_kv when it sends the event; if compaction overtook a watcher
    // that fell behind, the previous value is gone and etcd sends none. Delivering
    // the event without it would break the contract: the watcher has been overtaken.
    if (!prev && (ev.type === 'DELETE' || kv.create_revision !== kv.mod_revision)) {
      throw compacted(after, await this.compactedRevision().catch(() => revision));
    }
    if (ev.type === 'DELETE') return { type: 'delete', key: this.#unkey(kv.key), revision, prev: prev! };
    return prev ? { type: 'put', kv: this.#toKV(kv), prev } : { type: 'put', kv: this.#toKV(kv) };
  }

  // --- helpers ---------------------------------------------------------------

  /**
   * The etcd key of a Store key. Under a key prefix (the URL's path) Store keys
   * must start with "/", so that the prefix "/a" can never reach into "/ab".
   */
  #key(key: string): Buffer {
    const k = Buffer.from(key, 'utf8');
    if (this.#root.length === 0) return k;
    if (!key.startsWith('/')) throw new RangeError(`key "${key}" does not start with "/" (required under a key prefix)`);
    return Buffer.concat([this.#root, k]);
  }

  /** The etcd key range [key, end) holding the Store keys that start with `prefix`. */
  #range(prefix: string): { key: Buffer; end: Buffer } {
    if (this.#root.length > 0 && !prefix.startsWith('/')) {
      // No key under a key prefix starts with anything but "/": a range holding
      // only the never-written probe key matches nothing, as it should.
      if (prefix !== '') return { key: this.#probeKey, end: Buffer.concat([this.#probeKey, ZERO]) };
      prefix = '/';
    }
    const key = this.#key(prefix);
    return { key: key.length > 0 ? key : ZERO, end: rangeEnd(key) };
  }

  #unkey(key: Buffer): string {
    return key.toString('utf8', this.#root.length);
  }

  #toKV(kv: KeyValueMsg): KV {
    // Copied: a value decoded by protobufjs is a view into the whole response, and
    // a KV kept in a cache must not keep a large list response alive.
    return {
      key: this.#unkey(kv.key),
      value: Buffer.from(kv.value),
      createRevision: toStore(kv.create_revision),
      modRevision: toStore(kv.mod_revision),
    };
  }

  #casFailure(key: string, expected: Revision | undefined, res: TxnResponseMsg): StoreError {
    const current = firstKv(res.responses[0]);
    if (!current) return notFound(key);
    return conflict(expected ?? 0, this.#toKV(current));
  }

  async #readableAt(etcdRevision: number): Promise<boolean> {
    if (etcdRevision < 1) return true;
    try {
      await this.#call(() => this.#client.range({ key: this.#probeKey, count_only: true, revision: etcdRevision }));
      return true;
    } catch (err) {
      if (isCompactedError(err)) return false;
      if (isFutureError(err)) return true; // raced with nothing: compaction cannot pass the head
      throw err;
    }
  }

  async #readError(err: unknown, at: Revision): Promise<unknown> {
    if (isCompactedError(err)) return compacted(at, await this.compactedRevision());
    if (isFutureError(err)) return futureRevision(at, await this.currentRevision());
    return err;
  }

  #learnCompacted(revision: Revision): void {
    if (revision > this.#knownCompacted) this.#knownCompacted = revision;
  }

  #txn(req: TxnRequestMsg): Promise<TxnResponseMsg> {
    return this.#call(() => this.#client.txn(req));
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    this.#open();
    try {
      return await fn();
    } catch (err) {
      if (this.#closed) throw closed();
      throw err;
    }
  }

  #open(): void {
    if (this.#closed) throw closed();
  }
}

const firstKv = (op: ResponseOpMsg | undefined): KeyValueMsg | undefined => op?.response_range?.kvs[0];

/**
 * Opens the Store for `etcd://host:port[,host:port…][/prefix][?ca=&cert=&key=]`
 * (see parseEtcdUrl) and checks that etcd answers.
 */
export async function openEtcdStore(url: string | URL, opts: EtcdStoreOptions = {}): Promise<EtcdStore> {
  const cfg = parseEtcdUrl(url);
  const client = await EtcdClient.connect(cfg, opts);
  const store = new EtcdStore(client, cfg.prefix, opts);
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    const where = cfg.endpoints.map((e) => `${e.host}:${e.port}`).join(',');
    throw new Error(`cannot reach etcd at ${where}: ${(err as Error).message}`, { cause: err });
  }
  return store;
}
