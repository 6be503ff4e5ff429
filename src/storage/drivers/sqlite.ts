// The embedded default Store: sqlite through better-sqlite3, one log table whose
// primary key is the global revision (see sqlite-schema.ts for the layout).
//
// better-sqlite3 is synchronous, so each transaction runs to completion before
// any other JavaScript runs: compare-and-swap needs no locks, and a read (a
// get, a list, a watcher's read of the log) never sees a write half done.
//
// Writes are group-committed (group-commit.ts): those submitted in the same turn
// of the event loop run, in arrival order, in one transaction with one fsync.
// Each still checks its own compare-and-swap against the state the writes before
// it left, and takes the next revision only if it succeeds; one that fails is
// skipped, not rolled back with the rest. Callers hear back, and watchers are
// woken, only once the batch is committed.

import type { Statement } from 'better-sqlite3';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ChangeFeed } from '../feed.ts';
import { checkReadRevision, closed, compacted, conflict, futureRevision, keyExists, notFound } from '../errors.ts';
import { listStart, prefixEnd } from '../keys.ts';
import { StoreError, type KV, type ListOptions, type ListResult, type Revision, type Store, type StoreEvent } from '../store.ts';
import { followLog, type EventLog, type LogPage } from '../watch.ts';
import { GroupCommit } from './group-commit.ts';
import { openDatabase, type Db } from './sqlite-schema.ts';

/** A log row as read back, in the shape of a KV. */
interface Row { key: string; value: Buffer | null; createRevision: number; modRevision: number }
interface EventRow extends Row {
  created: number; deleted: number;
  prevRevision: number | null; prevCreateRevision: number | null; prevValue: Buffer | null;
}

const KV_COLUMNS = 'l.key, l.value, l.create_revision AS createRevision, l.revision AS modRevision';

const SELECT_CURRENT = `SELECT ${KV_COLUMNS} FROM current c JOIN log l ON l.revision = c.revision WHERE c.key = ?`;
const INSERT_LOG = `INSERT INTO log (revision, key, created, deleted, create_revision, prev_revision, value)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
const DELETE_CURRENT = 'DELETE FROM current WHERE key = ?';
const UPSERT_CURRENT = 'INSERT INTO current (key, revision) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision';

/** A write as submitted; `value` is the caller's bytes, copied at submission. */
type WriteOp =
  | { type: 'create'; key: string; value: Uint8Array }
  | { type: 'update'; key: string; value: Uint8Array; expected: Revision }
  | { type: 'delete'; key: string; expected: Revision | undefined };

/**
 * A BLOB sorts after every TEXT value in sqlite, so binding an empty one as the
 * upper key bound means "no bound" while keeping a single index-range query.
 */
const NO_UPPER_BOUND = Buffer.alloc(0);

export interface SqliteOptions {
  /** Revisions compacted per transaction, so writers wait at most one chunk. */
  compactChunk?: number;
  /** Most writes committed in one transaction (default 256): bounds how long a commit holds the event loop. */
  maxBatch?: number;
}

/** Counters of committed write transactions, for metrics and tests. */
export interface WriteStats {
  /** Write transactions committed. */
  transactions: number;
  /** Writes those transactions carried, including ones that failed their compare-and-swap. */
  writes: number;
}

const toKV = (r: Row): KV => ({
  key: r.key, value: r.value ?? Buffer.alloc(0), createRevision: r.createRevision, modRevision: r.modRevision,
});

/** The index range of keys under `prefix`, starting after `continueAfter` if given. */
function keyRange(prefix: string, continueAfter?: string) {
  const start = listStart(prefix, continueAfter);
  return { lo: start.key, op: start.inclusive ? '>=' : '>', hi: prefixEnd(prefix) ?? NO_UPPER_BOUND };
}

export class SqliteStore implements Store, EventLog {
  readonly #db: Db;
  readonly #statements = new Map<string, Statement>();
  /** Head of the log. The file is opened EXCLUSIVE, so only this object moves it. */
  #revision: Revision;
  #compacted: Revision;
  #closed = false;
  readonly #feed: ChangeFeed;
  /** Compactions run one at a time (each may span several transactions). */
  #compaction: Promise<void> = Promise.resolve();
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #compactChunk: number;
  readonly #writes: GroupCommit<WriteOp, KV>;
  readonly #stats: WriteStats = { transactions: 0, writes: 0 };

  constructor(db: Db, opts: SqliteOptions = {}) {
    this.#db = db;
    this.#compactChunk = opts.compactChunk ?? 10_000;
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'").get() as { seq: number } | undefined;
    this.#revision = seq?.seq ?? 0;
    this.#compacted = (db.prepare("SELECT value FROM meta WHERE name = 'compacted'").get() as { value: number }).value;
    this.#feed = new ChangeFeed(this.#revision);
    const tx = db.transaction((fn: () => unknown) => fn());
    this.#transaction = <T>(fn: () => T) => tx(fn) as T;
    this.#writes = new GroupCommit<WriteOp, KV>((ops) => this.#commit(ops), opts.maxBatch);
  }

  /** A snapshot of the write counters. */
  get writeStats(): WriteStats {
    return { ...this.#stats };
  }

  async get(key: string): Promise<KV | undefined> {
    this.#open();
    return this.#current(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#open();
    const at = opts.atRevision ?? this.#revision;
    checkReadRevision(at, this.#compacted, this.#revision);
    const { lo, op, hi } = keyRange(prefix, opts.continueAfter);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const rows = (at === this.#revision
      ? this.#stmt(`SELECT ${KV_COLUMNS} FROM current c JOIN log l ON l.revision = c.revision
          WHERE c.key ${op} ? AND c.key < ? ORDER BY c.key LIMIT ?`).all(lo, hi, limit)
      // The newest row of each key at or before `at`, skipping keys deleted by then.
      : this.#stmt(`SELECT ${KV_COLUMNS} FROM log l
          WHERE l.key ${op} ? AND l.key < ? AND l.deleted = 0
            AND l.revision = (SELECT MAX(x.revision) FROM log x WHERE x.key = l.key AND x.revision <= ?)
          ORDER BY l.key LIMIT ?`).all(lo, hi, at, limit)) as Row[];
    const items = rows.map(toKV);
    const remaining = items.length === limit ? this.#countAt(items[items.length - 1]!.key, hi, at) : 0;
    return { items, revision: at, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.#open();
    const { lo, hi } = keyRange(prefix);
    return this.#countCurrent('>=', lo, hi);
  }

  async create(key: string, value: Uint8Array): Promise<KV> {
    this.#open();
    return this.#writes.submit({ type: 'create', key, value: Uint8Array.from(value) });
  }

  async update(key: string, value: Uint8Array, expected: Revision): Promise<KV> {
    this.#open();
    return this.#writes.submit({ type: 'update', key, value: Uint8Array.from(value), expected });
  }

  async delete(key: string, expected?: Revision): Promise<KV> {
    this.#open();
    return this.#writes.submit({ type: 'delete', key, expected });
  }

  watch(prefix: string, fromRevision: Revision, signal: AbortSignal): AsyncIterable<StoreEvent> {
    return followLog(this, this.#feed, prefix, fromRevision, signal);
  }

  readEvents(prefix: string, after: Revision, limit: number): LogPage {
    this.#open();
    if (after < this.#compacted) throw compacted(after, this.#compacted);
    const head = this.#revision;
    const { lo, hi } = keyRange(prefix);
    // NOT INDEXED: walk the log by revision (rowid), never by key, so a
    // watcher at the head reads only the few rows written since it last looked.
    const rows = this.#stmt(`SELECT ${KV_COLUMNS}, l.created, l.deleted,
        p.revision AS prevRevision, p.create_revision AS prevCreateRevision, p.value AS prevValue
      FROM log l NOT INDEXED LEFT JOIN log p ON p.revision = l.prev_revision
      WHERE l.revision > ? AND l.revision <= ? AND l.key >= ? AND l.key < ?
      ORDER BY l.revision LIMIT ?`).all(after, head, lo, hi, limit) as EventRow[];
    const events = rows.map(toEvent);
    if (rows.length === limit) return { events, through: rows[rows.length - 1]!.modRevision, caughtUp: false };
    return { events, through: head, caughtUp: true };
  }

  compact(revision: Revision): Promise<void> {
    const run = this.#compaction.then(() => this.#compact(revision));
    this.#compaction = run.catch(() => undefined);
    return run;
  }

  async compactedRevision(): Promise<Revision> {
    this.#open();
    return this.#compacted;
  }

  async currentRevision(): Promise<Revision> {
    this.#open();
    return this.#revision;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Writes submitted before close() were accepted: commit them first.
    this.#writes.flush();
    this.#closed = true;
    this.#feed.close();
    this.#db.close();
  }

  async #compact(revision: Revision): Promise<void> {
    this.#open();
    if (revision > this.#revision) throw futureRevision(revision, this.#revision);
    if (revision <= this.#compacted) return;
    // Watchers asleep on quiet prefixes move up to the head first (see ChangeFeed).
    await this.#feed.settle();
    this.#open();
    const forgetSuperseded = this.#stmt(`DELETE FROM log WHERE revision IN
      (SELECT prev_revision FROM log WHERE revision > ? AND revision <= ? AND prev_revision > 0)`);
    const forgetDeletes = this.#stmt('DELETE FROM log WHERE revision > ? AND revision <= ? AND deleted = 1');
    const record = this.#stmt("UPDATE meta SET value = ? WHERE name = 'compacted'");
    // Each chunk is a complete compaction to its end, so stopping between
    // chunks (or crashing) leaves a consistent store. The superseded rows must
    // go first: delete rows in the chunk point at rows that must go too.
    const chunk = this.#db.transaction((from: Revision, to: Revision) => {
      forgetSuperseded.run(from, to);
      forgetDeletes.run(from, to);
      record.run(to);
    });
    while (this.#compacted < revision) {
      const to = Math.min(revision, this.#compacted + this.#compactChunk);
      chunk(this.#compacted, to);
      this.#compacted = to;
      if (to < revision) {
        await nextTurn();
        this.#open();
      }
    }
  }

  /**
   * Runs a batch of writes in one transaction: one outcome per write, a KV or
   * the StoreError its compare-and-swap failed with. Throws (the transaction
   * rolled back, nothing moved) if sqlite fails; on commit, moves the head and
   * wakes watchers.
   */
  #commit(ops: readonly WriteOp[]): (KV | StoreError)[] {
    let head = this.#revision;
    const outcomes = this.#transaction(() => ops.map((op) => {
      const outcome = this.#apply(op, head + 1);
      if (!(outcome instanceof StoreError)) head += 1;
      return outcome;
    }));
    this.#stats.transactions += 1;
    this.#stats.writes += ops.length;
    if (head !== this.#revision) {
      this.#revision = head;
      this.#feed.publish(head, ops.filter((_, i) => !(outcomes[i] instanceof StoreError)).map((op) => op.key));
    }
    return outcomes;
  }

  /** One write inside a batch's transaction, at `revision` if it succeeds. */
  #apply(op: WriteOp, revision: Revision): KV | StoreError {
    const { key } = op;
    const prev = this.#current(key);
    switch (op.type) {
      case 'create':
        if (prev) return keyExists(prev);
        this.#append(revision, key, { created: true, createRevision: revision, prevRevision: 0, value: op.value });
        return { key, value: op.value, createRevision: revision, modRevision: revision };
      case 'update':
        if (!prev) return notFound(key);
        if (prev.modRevision !== op.expected) return conflict(op.expected, prev);
        this.#append(revision, key, { createRevision: prev.createRevision, prevRevision: prev.modRevision, value: op.value });
        return { key, value: op.value, createRevision: prev.createRevision, modRevision: revision };
      case 'delete':
        if (!prev) return notFound(key);
        if (op.expected !== undefined && prev.modRevision !== op.expected) return conflict(op.expected, prev);
        this.#append(revision, key, { deleted: true, createRevision: prev.createRevision, prevRevision: prev.modRevision });
        return { ...prev, modRevision: revision };
    }
  }

  #append(revision: Revision, key: string, row: {
    created?: boolean; deleted?: boolean; createRevision: Revision; prevRevision: Revision; value?: Uint8Array;
  }): void {
    this.#stmt(INSERT_LOG).run(revision, key, row.created ? 1 : 0, row.deleted ? 1 : 0, row.createRevision, row.prevRevision, row.value ?? null);
    if (row.deleted) this.#stmt(DELETE_CURRENT).run(key);
    else this.#stmt(UPSERT_CURRENT).run(key, revision);
  }

  #current(key: string): KV | undefined {
    const row = this.#stmt(SELECT_CURRENT).get(key) as Row | undefined;
    return row && toKV(row);
  }

  #countCurrent(op: string, lo: string, hi: string | Buffer): number {
    return (this.#stmt(`SELECT COUNT(*) AS n FROM current WHERE key ${op} ? AND key < ?`).get(lo, hi) as { n: number }).n;
  }

  /**
   * Live keys in (after, hi) as of revision `at`. Counted as today's number,
   * corrected for the keys written since `at`: a key whose first write after
   * `at` was not a create existed at `at`, and a key in `current` exists now.
   * Paging reads at a recent revision, so this touches few rows.
   */
  #countAt(after: string, hi: string | Buffer, at: Revision): number {
    const now = this.#countCurrent('>', after, hi);
    if (at === this.#revision) return now;
    const { delta } = this.#stmt(`SELECT COALESCE(SUM((f.created = 0) - (c.key IS NOT NULL)), 0) AS delta
      FROM (SELECT key, MIN(revision), created FROM log NOT INDEXED
            WHERE revision > ? AND key > ? AND key < ? GROUP BY key) f
      LEFT JOIN current c ON c.key = f.key`).get(at, after, hi) as { delta: number };
    return now + delta;
  }

  #stmt(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) this.#statements.set(sql, (stmt = this.#db.prepare(sql)));
    return stmt;
  }

  #open(): void {
    if (this.#closed) throw closed();
  }
}

function toEvent(r: EventRow): StoreEvent {
  const prev: KV | undefined = r.prevRevision === null ? undefined : toKV({
    key: r.key, value: r.prevValue, createRevision: r.prevCreateRevision!, modRevision: r.prevRevision,
  });
  if (!r.deleted) return { type: 'put', kv: toKV(r), ...(prev && { prev }) };
  // Compaction keeps every row a surviving row points at; a delete without its
  // prev means the file was damaged.
  if (!prev) throw new Error(`store log is damaged: delete of ${r.key} at ${r.modRevision} lost its previous value`);
  return { type: 'delete', key: r.key, revision: r.modRevision, prev };
}

export async function openSqliteStore(path: string, opts?: SqliteOptions): Promise<Store> {
  return new SqliteStore(openDatabase(path), opts);
}
