// Small checkers for histories recorded by the reliability tests. They are
// pure functions over plain records, so each has its own unit tests on
// hand-made good and bad histories (history.test.ts), and report every
// violation found (an empty list means the history is good) rather than
// stopping at the first: a failing run then says everything that went wrong.

/** A successful read-modify-write: the client read (readRv, readValue) and wrote (writtenRv, writtenValue). */
export interface Update {
  client: string;
  object: string;
  readRv: number;
  writtenRv: number;
  readValue: number;
  writtenValue: number;
}

/** An object's state: its resourceVersion and the counter value it holds. */
export interface Version {
  rv: number;
  value: number;
}

/**
 * No lost update. For each object the successful updates, ordered by the
 * revision they wrote, must form one chain starting at the object's initial
 * version: each update read exactly the version the previous one wrote (same
 * resourceVersion, same value) and wrote the value read plus one. Written
 * resourceVersions are unique over the whole history (one global revision).
 * With `finals`, each object's final version is the chain's last one, so its
 * counter equals its initial value plus the number of successful updates.
 */
export function checkNoLostUpdate(initial: ReadonlyMap<string, Version>, updates: readonly Update[], finals?: ReadonlyMap<string, Version>): string[] {
  const problems: string[] = [];
  const byRv = new Map<number, string>();
  for (const [object, v] of initial) byRv.set(v.rv, `${object} (initial)`);
  const byObject = new Map<string, Update[]>();
  for (const u of updates) {
    const what = `${u.client}'s write of ${u.object} at rv ${u.writtenRv}`;
    if (!initial.has(u.object)) problems.push(`${what}: unknown object`);
    if (u.writtenValue !== u.readValue + 1) problems.push(`${what}: wrote ${u.writtenValue} after reading ${u.readValue} (not an increment)`);
    if (!(u.writtenRv > u.readRv)) problems.push(`${what}: written rv is not after the rv it read (${u.readRv})`);
    const dup = byRv.get(u.writtenRv);
    if (dup !== undefined) problems.push(`${what}: rv ${u.writtenRv} was also written by ${dup}`);
    byRv.set(u.writtenRv, what);
    let list = byObject.get(u.object);
    if (!list) byObject.set(u.object, (list = []));
    list.push(u);
  }
  for (const [object, start] of initial) {
    const chain = [...(byObject.get(object) ?? [])].sort((a, b) => a.writtenRv - b.writtenRv);
    let prev: Version = start;
    for (const u of chain) {
      if (u.readRv !== prev.rv) {
        problems.push(`${object}: lost update: ${u.client}'s write at rv ${u.writtenRv} read rv ${u.readRv}, but the version before it is rv ${prev.rv}`);
      } else if (u.readValue !== prev.value) {
        problems.push(`${object}: ${u.client}'s write at rv ${u.writtenRv} read value ${u.readValue} at rv ${u.readRv}, which holds ${prev.value}`);
      }
      prev = { rv: u.writtenRv, value: u.writtenValue };
    }
    const final = finals?.get(object);
    if (finals && !final) problems.push(`${object}: missing from the final state`);
    if (final) {
      const expected = start.value + chain.length;
      if (final.value !== expected) problems.push(`${object}: final value ${final.value}, expected ${expected} (${start.value} + ${chain.length} successful updates)`);
      if (final.rv !== prev.rv) problems.push(`${object}: final rv ${final.rv}, but the last successful update wrote rv ${prev.rv}`);
    }
  }
  return problems;
}

/** A write the server acknowledged (2xx, the whole response received). */
export interface AckedWrite extends Version {
  object: string;
}

/**
 * Durability after a crash. `acked` are the acknowledged writes; `attempted`
 * the highest value ever sent for each object (acknowledged or not);
 * `observed` the objects as read back after the restart. Every acknowledged
 * write is present: the object holds the acknowledged value with its rv, or a
 * newer (higher) value that was attempted, at a higher rv — a write whose
 * answer was lost to the crash may or may not have landed. Nothing is observed
 * that was never written. Acknowledged rvs are unique, and for one object they
 * increase with the value (one global revision, compare-and-swap writes).
 */
export function checkDurable(acked: readonly AckedWrite[], attempted: ReadonlyMap<string, number>, observed: ReadonlyMap<string, Version>): string[] {
  const problems: string[] = [];
  const rvs = new Map<number, AckedWrite>();
  const latest = new Map<string, AckedWrite>();
  for (const a of acked) {
    const other = rvs.get(a.rv);
    if (other) problems.push(`rv ${a.rv} acknowledged twice: ${other.object}=${other.value} and ${a.object}=${a.value}`);
    rvs.set(a.rv, a);
    const l = latest.get(a.object);
    if (l && l.value !== a.value && (l.value < a.value) !== (l.rv < a.rv)) {
      problems.push(`${a.object}: acknowledged ${l.value} at rv ${l.rv} and ${a.value} at rv ${a.rv}: rvs do not follow the writes`);
    }
    if (!l || a.value > l.value) latest.set(a.object, a);
  }
  for (const [object, a] of latest) {
    const o = observed.get(object);
    if (!o) { problems.push(`${object}: lost: acknowledged ${a.value} at rv ${a.rv}, not found`); continue; }
    if (o.value < a.value) problems.push(`${object}: lost write: acknowledged ${a.value} at rv ${a.rv}, found older ${o.value} at rv ${o.rv}`);
    else if (o.value === a.value && o.rv !== a.rv) problems.push(`${object}: acknowledged ${a.value} at rv ${a.rv}, found it at rv ${o.rv}`);
    else if (o.value > a.value && !(o.rv > a.rv)) problems.push(`${object}: found newer ${o.value} at rv ${o.rv}, not after the acknowledged rv ${a.rv}`);
  }
  for (const [object, o] of observed) {
    const max = attempted.get(object);
    if (max === undefined) problems.push(`${object}: found (${o.value} at rv ${o.rv}) but never written`);
    else if (o.value > max) problems.push(`${object}: found ${o.value} at rv ${o.rv}, but at most ${max} was ever written`);
  }
  return problems;
}

/** One watch event, reduced to what the checks compare. */
export interface SeenEvent {
  type: string;
  object: string;
  rv: number;
  value?: string;
}

export interface WatchCheckOptions {
  /** Most problems reported (default 20). */
  limit?: number;
  /** An event at a revision no acknowledged write has may still be a write whose
   *  answer was lost (a crash): allowed when this says so. Default: never. */
  unacknowledged?: (e: SeenEvent) => boolean;
}

/**
 * Exactly once, in order: `seen` (a watcher's events, as received) is exactly
 * `expected` (the acknowledged writes after the watch's start), ordered by
 * revision: no event missing, none twice, none out of order, each with the
 * type, object and value of the write at its revision. An event of no
 * acknowledged write is an error unless `unacknowledged` accepts it.
 */
export function checkWatchEvents(expected: readonly SeenEvent[], seen: readonly SeenEvent[], opts: WatchCheckOptions = {}): string[] {
  const limit = opts.limit ?? 20;
  const problems: string[] = [];
  const want = new Map<number, SeenEvent>();
  for (const e of expected) want.set(e.rv, e);
  const got = new Set<number>();
  let last = -Infinity;
  const describe = (e: SeenEvent): string => `${e.type} ${e.object}${e.value !== undefined ? `=${e.value}` : ''} at rv ${e.rv}`;
  for (const [i, e] of seen.entries()) {
    if (problems.length >= limit) return problems;
    if (got.has(e.rv)) problems.push(`event #${i} ${describe(e)}: seen twice`);
    else if (e.rv < last) problems.push(`event #${i} ${describe(e)}: out of order (after rv ${last})`);
    got.add(e.rv);
    last = Math.max(last, e.rv);
    const w = want.get(e.rv);
    if (!w) { if (!opts.unacknowledged?.(e)) problems.push(`event #${i} ${describe(e)}: no such write`); }
    else if (w.type !== e.type || w.object !== e.object || w.value !== e.value) problems.push(`event #${i} ${describe(e)}: the write at rv ${e.rv} was ${describe(w)}`);
  }
  const missing = expected.filter((e) => !got.has(e.rv));
  if (missing.length > 0) {
    problems.push(`${missing.length} events missing, first ${missing.slice(0, 5).map(describe).join('; ')}`);
  }
  return problems.slice(0, limit);
}
