// A cap on API requests in flight from the simulator (all nodes together):
// thousands of nodes must not open thousands of sockets or flood the server
// with concurrent writes. Waiters are served in arrival order.

/** What run() rejects with for tasks still waiting when the limit is closed. */
export class LimitClosedError extends Error {
  constructor() { super('stopped before the request was sent'); this.name = 'LimitClosedError'; }
}

export class InflightLimit {
  private active = 0;
  private readonly waiting: { go: () => void; cancel: () => void }[] = [];
  private closed = false;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`max in-flight requests must be a positive integer, not ${max}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LimitClosedError();
    if (this.active >= this.max) {
      await new Promise<void>((go, reject) => this.waiting.push({ go, cancel: () => reject(new LimitClosedError()) }));
    } else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), else free it.
      const next = this.waiting.shift();
      if (next) next.go(); else this.active--;
    }
  }

  /** Refuses new tasks and rejects the waiting ones (LimitClosedError): a stop need not drain a long queue. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.cancel();
  }

  get inFlight(): number { return this.active; }
  get queued(): number { return this.waiting.length; }
}
