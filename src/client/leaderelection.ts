// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so that of several replicas of a controller
// only one acts at a time:
//  - a candidate takes the Lease when it is free, released (holder ""), or when
//    its holder has not renewed it for leaseDuration as measured on *our* clock
//    since we last saw the record change (no trust in other machines' clocks);
//  - the leader renews every retryPeriod; if it cannot renew for renewDeadline
//    it stops leading. renewDeadline < leaseDuration, so it has stopped before
//    anyone else may take over;
//  - on cancel it releases the Lease (holder ""), so a successor need not wait.
// Every write is compare-and-swap on resourceVersion: two candidates racing for
// one Lease cannot both win.

import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { realClock, sleep, type Clock, type Disposable } from '../base/clock.ts';
import { defaultLogger, type ClientLogger } from './log.ts';
import type { RestClient } from './rest.ts';
import { isNotFound } from './status.ts';

/** The Lease an election runs on. Implementations must be compare-and-swap safe. */
export interface LeaseLock {
  /** The Lease, or undefined when it does not exist. */
  get(signal?: AbortSignal): Promise<Lease | undefined>;
  /** Creates the Lease; rejects (409) if it exists. */
  create(spec: LeaseSpec, signal?: AbortSignal): Promise<Lease>;
  /** Replaces the Lease; rejects (409 Conflict) if metadata.resourceVersion is stale. */
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** e.g. "kube-system/kube-controller-manager", for logs. */
  describe(): string;
}

/** A LeaseLock on the API server. */
export function leaseLock(client: RestClient, namespace: string, name: string): LeaseLock {
  const leases = client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace(namespace);
  return {
    async get(signal) {
      try {
        return await leases.get(name, { signal });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: (spec, signal) => leases.create({ metadata: { name, namespace }, spec }, { signal }),
    update: (lease, signal) => leases.update(lease, { signal }),
    describe: () => `${namespace}/${name}`,
  };
}

export interface LeaderCallbacks {
  /**
   * Called when this candidate becomes leader. `signal` aborts when leadership
   * ends; work must stop promptly then (a returned promise is awaited, up to
   * renewDeadline, before the Lease is released).
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once after leading ends (lost or cancelled); not called if it never led. */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  lock: LeaseLock;
  /** Unique per candidate, e.g. hostname + random suffix. */
  identity: string;
  /** How long a holder's Lease is honoured without renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts. Default 2 s. */
  retryPeriodMs?: number;
  /** Release the Lease when the run is cancelled. Default true. */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
  /** For the acquire jitter (retryPeriod × [1, 1.2)). */
  random?: () => number;
  logger?: ClientLogger;
}

const JITTER = 1.2;

export class LeaderElector {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly random: () => number;
  private readonly logger: ClientLogger;
  private observed?: LeaseSpec;
  private observedRV?: string;
  /** Our clock's time when the record last changed: expiry is judged from this. */
  private observedTime = 0;
  private reportedLeader?: string;
  private leading = false;

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.clock = cfg.clock ?? realClock;
    this.leaseMs = cfg.leaseDurationMs ?? 15_000;
    this.renewMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryMs = cfg.retryPeriodMs ?? 2_000;
    this.random = cfg.random ?? Math.random;
    this.logger = cfg.logger ?? defaultLogger();
    if (!cfg.identity) throw new Error('leader election: identity is required');
    if (this.leaseMs <= this.renewMs) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
    if (this.renewMs <= this.retryMs * JITTER) throw new Error('leader election: renewDeadline must be greater than retryPeriod × 1.2');
  }

  /** True while this candidate leads. */
  isLeader(): boolean { return this.leading; }

  /** The holder last observed ('' if none). */
  getLeader(): string { return this.observed?.holderIdentity ?? ''; }

  /**
   * Campaigns until leading, leads until leadership is lost or `signal` aborts,
   * then returns. Run it again to campaign again.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    this.leading = true;
    const lead = new AbortController();
    let work: Promise<void> = Promise.resolve();
    try {
      work = Promise.resolve()
        .then(() => this.cfg.callbacks.onStartedLeading(lead.signal))
        .catch((err: unknown) => { this.logger.warn({ err, lock: this.cfg.lock.describe() }, 'onStartedLeading failed'); });
      const lost = await this.renewUntilLost(signal);
      lead.abort();
      const grace = new AbortController();
      await Promise.race([work, sleep(this.clock, this.renewMs, grace.signal)]);
      grace.abort();
      if (!lost && this.cfg.releaseOnCancel !== false) await this.release();
    } finally {
      lead.abort();
      this.leading = false;
      try {
        this.cfg.callbacks.onStoppedLeading?.();
      } catch (err) {
        this.logger.warn({ err }, 'onStoppedLeading failed');
      }
    }
  }

  /** Tries at once, then every retryPeriod (jittered) until it holds the Lease. False if aborted. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      await sleep(this.clock, this.retryMs * (1 + (JITTER - 1) * this.random()), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; true when leadership was lost, false when cancelled. */
  private async renewUntilLost(signal: AbortSignal): Promise<boolean> {
    let lastRenew = this.clock.now();
    // Aborts a renewal still in flight at the deadline: a hung request must not keep us leading.
    let deadline = new AbortController();
    let timer: Disposable = this.clock.setTimeout(() => deadline.abort(), this.renewMs);
    try {
      for (;;) {
        await sleep(this.clock, this.retryMs, signal);
        if (signal.aborted) return false;
        const attempt = AbortSignal.any([signal, deadline.signal]);
        if (await this.tryAcquireOrRenew(attempt)) {
          lastRenew = this.clock.now();
          timer.dispose();
          deadline = new AbortController();
          const d = deadline;
          timer = this.clock.setTimeout(() => d.abort(), this.renewMs);
          continue;
        }
        if (signal.aborted) return false;
        if (this.clock.now() - lastRenew >= this.renewMs || deadline.signal.aborted) {
          this.logger.warn({ lock: this.cfg.lock.describe(), identity: this.cfg.identity }, 'failed to renew lease; stopping leading');
          return true;
        }
      }
    } finally {
      timer.dispose();
    }
  }

  /** One attempt to take or keep the Lease; false on any failure (logged at debug). */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { lock, identity } = this.cfg;
    const now = this.clock.now();
    const mine: LeaseSpec = {
      holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0,
    };
    try {
      const lease = await lock.get(signal);
      if (!lease) {
        this.observe(await lock.create(mine, signal));
        return true;
      }
      const spec = lease.spec ?? {};
      if (lease.metadata?.resourceVersion !== this.observedRV) {
        this.observed = spec;
        this.observedRV = lease.metadata?.resourceVersion;
        this.observedTime = this.clock.now();
        this.reportTransition();
      }
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
      if (holder && holder !== identity && this.observedTime + durationMs > now) return false;
      if (holder === identity) {
        mine.acquireTime = spec.acquireTime ?? mine.acquireTime;
        mine.leaseTransitions = spec.leaseTransitions ?? 0;
      } else {
        mine.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
      }
      this.observe(await lock.update({ ...lease, spec: mine }, signal));
      return true;
    } catch (err) {
      if (!signal.aborted) this.logger.debug({ err, lock: lock.describe() }, 'lease acquire/renew failed');
      return false;
    }
  }

  /** Gives the Lease up (holder "") so the next candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    const { lock, identity } = this.cfg;
    try {
      const lease = await lock.get();
      if (!lease || lease.spec?.holderIdentity !== identity) return;
      const now = microTime(this.clock.now());
      this.observe(await lock.update({
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      }));
    } catch (err) {
      this.logger.warn({ err, lock: lock.describe() }, 'failed to release lease');
    }
  }

  private observe(lease: Lease): void {
    this.observed = lease.spec ?? {};
    this.observedRV = lease.metadata?.resourceVersion;
    this.observedTime = this.clock.now();
    this.reportTransition();
  }

  private reportTransition(): void {
    const holder = this.observed?.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (!holder) return;
    try {
      this.cfg.callbacks.onNewLeader?.(holder);
    } catch (err) {
      this.logger.warn({ err }, 'onNewLeader failed');
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
