// Time as a dependency. Anything that waits (work queues, leader election,
// informer back-off, event aggregation windows) takes a Clock, so tests drive
// time with a FakeClock instead of sleeping.

/** Something that owns a resource (timer, watch, handler) and can let it go. Must be idempotent. */
export interface Disposable {
  dispose(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (wall time: it stamps objects such as Leases and Events). */
  now(): number;
  /** Runs `fn` once after `ms` (≤ 0: as soon as possible, never synchronously). dispose() cancels it. */
  setTimeout(fn: () => void, ms: number): Disposable;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { dispose: () => clearTimeout(t) };
  },
};

/**
 * Resolves after `ms` on `clock`, or early (without rejecting) when `signal`
 * aborts — callers check `signal.aborted` afterwards, which keeps loops simple.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { timer.dispose(); signal?.removeEventListener('abort', done); resolve(); };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface FakeTimer { at: number; seq: number; fn: () => void }

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time
 * order (timers they schedule fire too, if due within the advance); between
 * timers it lets pending promise callbacks and I/O turns run, so async code
 * awaiting `sleep(clock, …)` progresses as it would in real time.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  constructor(start = Date.UTC(2024, 0, 1)) { this.time = start; }

  now(): number { return this.time; }

  setTimeout(fn: () => void, ms: number): Disposable {
    const t: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(t);
    return { dispose: () => { this.timers.delete(t); } };
  }

  /** Timers not yet fired. */
  pending(): number { return this.timers.size; }

  /** Moves time forward by `ms`, firing every timer that comes due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.at);
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets queued promise callbacks (and anything they chain) run: a few macrotask turns, no real waiting. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
