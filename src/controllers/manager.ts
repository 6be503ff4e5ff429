// The controller manager (kube-controller-manager): runs the enabled
// controllers against the API, and — with leader election — only while it
// holds the Lease kube-system/kube-controller-manager, so that of several
// `pilot server`s on one datastore exactly one runs controllers at a time.
//
// Each term of leadership gets fresh informers and a fresh context (the start
// protocol is in types.ts); losing the Lease stops every controller and every
// watch, then the manager campaigns again. stop() ends the current term,
// releases the Lease (so a standby takes over at once) and returns once
// nothing is left running.

import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { Logger } from 'pino';
import { setMaxListeners } from 'node:events';
import { realClock, sleep, type Clock } from '../base/clock.ts';
import {
  EventRecorder, LeaderElector, leaseLock, SharedInformerFactory, type RestClient,
} from '../client/index.ts';
import type { Controller, ControllerContext, ControllerOptions } from './types.ts';

export const LEASE_NAMESPACE = 'kube-system';
export const LEASE_NAME = 'kube-controller-manager';

export interface LeaderElectionTimings {
  /** How long a holder's Lease is honoured without renewal. Default 15 s (upstream). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between acquire/renew attempts. Default 2 s. */
  retryPeriodMs?: number;
}

export interface ControllerManagerOptions extends LeaderElectionTimings {
  client: RestClient;
  controllers: Controller[];
  /** Run controllers only while holding the Lease. Off: run them at once, always. */
  leaderElect: boolean;
  /** This candidate's name in the Lease; unique per running manager (see defaultIdentity). */
  identity: string;
  logger: Logger;
  clock?: Clock;
  /** Given to controllers as ctx.rootCAPem. */
  rootCAPem?: string;
  /**
   * Each controller's own client (upstream's --use-service-account-credentials:
   * a service account per controller, so RBAC grants each only what it needs).
   * Shared informers keep using `client`. Default: `client` for all.
   */
  clientFor?: (controllerName: string) => Promise<RestClient>;
  /** Given to controllers as ctx.options. */
  controllerOptions?: ControllerOptions;
  /** Resync period of the shared informers (0 = never, the default). */
  resyncMs?: number;
  /** The Lease; default kube-system/kube-controller-manager. */
  lease?: { namespace: string; name: string };
  /** Longest wait for controllers to return after their signal aborted. Default 10 s. */
  shutdownTimeoutMs?: number;
}

export interface ControllerManager {
  /** True while controllers run (leading, or leader election off). */
  isLeading(): boolean;
  /** Ends the current term (releasing the Lease) and resolves once everything has stopped. Idempotent. */
  stop(): Promise<void>;
}

/** Upstream's form: `<hostname>_<uuid>`; `suffix` replaces the random part (a stable id per data dir). */
export function defaultIdentity(suffix: string = crypto.randomUUID()): string {
  return `${os.hostname()}_${suffix}`;
}

/**
 * The controllers `spec` enables, upstream's --controllers: `*` enables all,
 * `name` enables one, `-name` disables one (it wins over `*`). An empty spec
 * enables none. Throws on a name no controller has.
 */
export function selectControllers(all: readonly Controller[], spec: readonly string[]): Controller[] {
  const known = new Set(all.map((c) => c.name));
  const items = spec.map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    const name = item.startsWith('-') ? item.slice(1) : item;
    if (name !== '*' && !known.has(name)) {
      throw new Error(`"${name}" is not in the list of known controllers (${[...known].sort().join(', ') || 'none'})`);
    }
  }
  const star = items.includes('*');
  return all.filter((c) => {
    if (items.includes(`-${c.name}`)) return false;
    return star || items.includes(c.name);
  });
}

export function startControllerManager(opts: ControllerManagerOptions): ControllerManager {
  const clock = opts.clock ?? realClock;
  const logger = opts.logger;
  const stopAll = new AbortController();
  let leading = false;
  /** The current (or last) term's controllers; a new term waits for it. */
  let term: Promise<void> = Promise.resolve();

  const runTerm = async (signal: AbortSignal): Promise<void> => {
    await term; // the previous term must be fully stopped before informers are made again
    if (signal.aborted) return;
    leading = true;
    try {
      await runControllers({ ...opts, clock, logger }, signal);
    } finally {
      leading = false;
    }
  };
  const startTerm = (signal: AbortSignal): Promise<void> => {
    const t = runTerm(signal);
    term = t.catch(() => undefined);
    return t;
  };

  let loop: Promise<void>;
  if (!opts.leaderElect || opts.controllers.length === 0) {
    logger.info({ controllers: opts.controllers.map((c) => c.name) }, 'starting controllers (no leader election)');
    loop = opts.controllers.length ? startTerm(stopAll.signal) : Promise.resolve();
  } else {
    const lease = opts.lease ?? { namespace: LEASE_NAMESPACE, name: LEASE_NAME };
    const lock = leaseLock(opts.client, lease.namespace, lease.name);
    loop = (async () => {
      while (!stopAll.signal.aborted) {
        const elector = new LeaderElector({
          lock, identity: opts.identity, clock, logger,
          leaseDurationMs: opts.leaseDurationMs, renewDeadlineMs: opts.renewDeadlineMs, retryPeriodMs: opts.retryPeriodMs,
          callbacks: {
            onStartedLeading: (signal) => {
              logger.info({ identity: opts.identity, lease: lock.describe() }, 'became leader; starting controllers');
              return startTerm(signal);
            },
            onStoppedLeading: () => {
              if (!stopAll.signal.aborted) logger.warn({ identity: opts.identity, lease: lock.describe() }, 'leader election lost; controllers stopped');
            },
            onNewLeader: (id) => {
              if (id !== opts.identity) logger.info({ leader: id, lease: lock.describe() }, 'another controller manager leads');
            },
          },
        });
        try {
          await elector.run(stopAll.signal);
        } catch (err) {
          logger.warn({ err }, 'leader election failed');
        }
        // Lost (or failed): make sure the term is over, then campaign again.
        await term;
        if (!stopAll.signal.aborted) await sleep(clock, opts.retryPeriodMs ?? 2_000, stopAll.signal);
      }
    })();
  }

  let stopping: Promise<void> | undefined;
  return {
    isLeading: () => leading,
    stop() {
      stopping ??= (async () => {
        stopAll.abort();
        await loop.catch((err: unknown) => { logger.warn({ err }, 'controller manager failed'); });
        await term;
      })();
      return stopping;
    },
  };
}

/** One term: every controller, one informer factory, until `signal` aborts. */
async function runControllers(opts: ControllerManagerOptions & { clock: Clock }, signal: AbortSignal): Promise<void> {
  // Every controller, worker and informer of the term listens for this one
  // signal: far more than Node's default of 10 listeners, all legitimate.
  setMaxListeners(0, signal);
  const { client, clock, logger } = opts;
  const factory = new SharedInformerFactory(client, { clock, logger, resyncMs: opts.resyncMs });
  const recorders: EventRecorder[] = [];
  // Credentials first (they may need the API), so the pass below stays synchronous.
  const clients = new Map<string, RestClient>();
  if (opts.clientFor) {
    for (const c of opts.controllers) {
      try {
        clients.set(c.name, await opts.clientFor(c.name));
      } catch (err) {
        logger.error({ err, controller: c.name }, 'no credentials for controller; it runs with the manager\'s');
      }
    }
  }
  const base = (c: Controller): Omit<ControllerContext, 'logger'> => {
    const own = clients.get(c.name) ?? client;
    return {
      client: own, informers: factory, clock, signal, rootCAPem: opts.rootCAPem, options: opts.controllerOptions,
      recorder: (component) => {
        const r = new EventRecorder(own, { component, clock, logger });
        recorders.push(r);
        return r;
      },
    };
  };
  // One synchronous pass: each run() requests its informers before its first await.
  const runs = opts.controllers.map((c) => {
    const log = logger.child({ controller: c.name });
    let p: Promise<void>;
    try {
      p = c.run({ ...base(c), logger: log });
    } catch (err) {
      p = Promise.reject(err as Error);
    }
    return p.then(
      () => { if (!signal.aborted) log.warn('controller returned before being stopped'); },
      (err: unknown) => { log.error({ err }, 'controller failed'); },
    );
  });
  await Promise.resolve();
  factory.start(signal);
  logger.info({ controllers: opts.controllers.map((c) => c.name) }, 'controllers started');

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Controllers must return promptly once aborted; one that does not is abandoned
  // (logged) rather than holding up shutdown — its informers stop below regardless.
  const grace = new AbortController();
  const allReturned = Promise.all(runs).then(() => true);
  const returned = await Promise.race([allReturned, sleep(clock, opts.shutdownTimeoutMs ?? 10_000, grace.signal).then(() => false)]);
  grace.abort();
  if (!returned) logger.warn('controllers did not stop in time; abandoning them');
  await factory.stop();
  const flushed = new AbortController();
  await Promise.race([Promise.all(recorders.map((r) => r.flush())), sleep(clock, 2_000, flushed.signal)]);
  flushed.abort();
  logger.info('controllers stopped');
}
