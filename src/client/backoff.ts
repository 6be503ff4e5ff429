// Exponential back-off with jitter between retries of a failing call (list,
// watch, lease renewal), so a restarting API server is not hammered by every
// client at the same instant.

export interface BackoffOptions {
  /** First delay. Default 800 ms (client-go's reflector). */
  initialMs?: number;
  /** Cap. Default 30 s. */
  maxMs?: number;
  /** Each delay is stretched by up to this fraction at random. Default 0.2 (never negative). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
  }

  /** The next delay; each call doubles the base up to the cap. */
  next(): number {
    this.current = this.current === 0 ? this.initialMs : Math.min(this.current * 2, this.maxMs);
    return this.current * (1 + this.jitter * this.random());
  }

  /** After a success: the next failure starts again from the initial delay. */
  reset(): void { this.current = 0; }
}
