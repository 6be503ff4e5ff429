// A token bucket (client-go's flowcontrol): `burst` requests at once, then
// `qps` a second on average. It keeps one busy controller from flooding the API
// server; the defaults are generous so it only bites on runaway loops.

import { realClock, sleep, type Clock } from '../base/clock.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly qps: number, private readonly burst: number, private readonly clock: Clock = realClock) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Unlimited when qps is 0, negative or Infinity. */
  get unlimited(): boolean { return !(this.qps > 0 && Number.isFinite(this.qps)); }

  /** Resolves when the caller may send one request; early (unblocked) if `signal` aborts. */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.unlimited) return;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    // In debt: each caller waits until the refill covers the debt up to and
    // including its own token, so waiters are released in arrival order.
    await sleep(this.clock, (-this.tokens / this.qps) * 1000, signal);
  }
}
