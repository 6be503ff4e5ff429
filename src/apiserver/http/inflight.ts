// Upstream's --max-requests-inflight / --max-mutating-requests-inflight: at
// most N read-only and M mutating requests are served at once; beyond that a
// request gets 429 TooManyRequests with Retry-After: 1 at once, instead of
// queueing until the server falls over. Long-running requests (watches,
// logs, exec, attach, port-forward, proxy) are not counted, and neither are
// members of system:masters, as upstream exempts them so an administrator can
// always get in.

import { ApiError } from '../../base/errors.ts';
import type { RequestInfo } from './request-info.ts';

const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);
const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface InflightLimits {
  /** 0: unlimited. Upstream default 400. */
  readonly: number;
  /** 0: unlimited. Upstream default 200. */
  mutating: number;
}

export function isLongRunning(info: RequestInfo): boolean {
  return info.verb === 'watch' || LONG_RUNNING_SUBRESOURCES.has(info.subresource.split('/')[0] ?? '');
}

export class InflightLimiter {
  private readonlyCount = 0;
  private mutatingCount = 0;
  /** Requests refused so far (for metrics and tests). */
  rejected = 0;

  constructor(private readonly limits: InflightLimits) {}

  /**
   * Admits a request or throws 429. The returned function must be called
   * exactly once when the request is done (the response finished or closed).
   */
  acquire(info: RequestInfo, groups: string[]): () => void {
    if (isLongRunning(info) || groups.includes('system:masters')) return () => {};
    const mutating = MUTATING.has(info.verb);
    const limit = mutating ? this.limits.mutating : this.limits.readonly;
    if (limit <= 0) return () => {};
    if ((mutating ? this.mutatingCount : this.readonlyCount) >= limit) {
      this.rejected++;
      throw new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }, { 'Retry-After': '1' });
    }
    if (mutating) this.mutatingCount++; else this.readonlyCount++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (mutating) this.mutatingCount--; else this.readonlyCount--;
    };
  }

  get inflight(): { readonly: number; mutating: number } { return { readonly: this.readonlyCount, mutating: this.mutatingCount }; }
}
