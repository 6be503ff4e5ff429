// The ReplicaSet controller (upstream pkg/controller/replicaset): keeps
// spec.replicas active pods for every ReplicaSet — creating them from the
// template in slow-start batches (1, 2, 4, …), deleting the least valuable
// first — adopts orphan pods its selector matches, releases owned pods it no
// longer selects, and reports replicas / fullyLabeled / ready / available.
//
// Expectations keep a sync from acting twice on a lagging cache: after
// creating or deleting, the ReplicaSet waits until the pod informer has shown
// every one of those changes.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import {
  isNotFound, objectKey, splitKey, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { adoptPatch, claimObjects, releasePatch } from './controller-ref.ts';
import { ControllerExpectations } from './expectations.ts';
import { isPodActive, isPodReady, podFromTemplate, podsToDelete } from './pods.ts';
import { calculateReplicaSetStatus, replicaSetStatusUnchanged } from './status.ts';
import { aggregate, controllerOf, isNamespaceTerminating, jsonEqual, newControllerRef } from './util.ts';

/** Upstream's --concurrent-replicaset-syncs. */
export const DEFAULT_WORKERS = 5;
/** Most pods created or deleted in one sync (upstream's BurstReplicas). */
export const BURST_REPLICAS = 500;
const STATUS_UPDATE_RETRIES = 1;

/** The API calls the controller makes; a fake records them in tests. */
export interface ReplicaSetApi {
  /** An uncached read (adoption recheck, status retry). */
  getReplicaSet(namespace: string, name: string): Promise<ReplicaSet>;
  updateReplicaSetStatus(rs: ReplicaSet): Promise<ReplicaSet>;
  createPod(namespace: string, pod: Pod): Promise<Pod>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** Strategic merge patch. */
  patchPod(namespace: string, name: string, patch: object): Promise<void>;
}

export function restReplicaSetApi(client: RestClient): ReplicaSetApi {
  const rss = client.resource<ReplicaSet>('apps/v1', 'ReplicaSet');
  const pods = client.resource<Pod>('v1', 'Pod');
  return {
    getReplicaSet: (ns, name) => rss.namespace(ns).get(name),
    updateReplicaSetStatus: (rs) => rss.namespace(rs.metadata!.namespace!).updateStatus(rs),
    createPod: (ns, pod) => pods.namespace(ns).create(pod),
    deletePod: async (ns, name) => { await pods.namespace(ns).delete(name); },
    patchPod: async (ns, name, patch) => { await pods.namespace(ns).patch(name, 'strategic', patch); },
  };
}

export type Recorder = Pick<EventRecorder, 'event' | 'eventf'>;

export interface ReplicaSetControllerDeps {
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  api: ReplicaSetApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  burstReplicas?: number;
}

/**
 * slowStartBatch: calls `fn` `count` times in batches of 1, 2, 4, … run in
 * parallel, stopping after the first batch with a failure. Returns how many
 * calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0].reason };
    remaining -= batch;
  }
  return { successes };
}

const matchers = new WeakMap<object, LabelMatcher>();

/** The ReplicaSet's selector, parsed once per cached object; undefined when invalid. */
function selectorOf(rs: ReplicaSet): LabelMatcher | undefined {
  const sel = rs.spec?.selector;
  if (!sel) return undefined;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { return undefined; }
    matchers.set(sel, m);
  }
  return m;
}

export class ReplicaSetController {
  readonly expectations: ControllerExpectations;
  private readonly d: ReplicaSetControllerDeps;

  constructor(deps: ReplicaSetControllerDeps) {
    this.d = deps;
    this.expectations = new ControllerExpectations(deps.clock);
  }

  // ---- event handlers ------------------------------------------------------

  replicaSetHandler(): ResourceEventHandler<ReplicaSet> {
    return {
      add: (rs) => this.enqueue(rs),
      update: (old, cur) => {
        // Deleted and re-created between two events: forget the old one's expectations.
        if (old.metadata?.uid !== cur.metadata?.uid) this.expectations.delete(objectKey(old));
        this.enqueue(cur);
      },
      delete: (rs) => {
        const key = objectKey(rs);
        this.expectations.delete(key);
        this.d.queue.add(key);
      },
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    };
  }

  private enqueue(rs: ReplicaSet): void {
    this.d.queue.add(objectKey(rs));
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.d.replicaSets.get(ns, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose (non-empty) selector matches it: candidates to adopt an orphan. */
  private podReplicaSets(pod: Pod): ReplicaSet[] {
    return this.d.replicaSets.list(pod.metadata?.namespace ?? '').filter((rs) => {
      const m = selectorOf(rs);
      return !!m && !m.empty && m.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted (e.g. after a restart): not a creation.
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.d.queue.add(key);
      return;
    }
    // An orphan: whoever matches may adopt it. No creation to observe.
    for (const rs of this.podReplicaSets(pod)) this.enqueue(rs);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a resync
    const labelsChanged = !jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion started: replace the pod now rather than when the kubelet is done.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata?.namespace, oldRef);
      if (rs) this.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata?.namespace, curRef);
      if (!rs) return;
      this.enqueue(rs);
      // A pod just became ready: availability comes minReadySeconds later, and no event will say so.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.d.queue.addAfter(objectKey(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.podReplicaSets(cur)) this.enqueue(rs);
  }

  private deletePod(pod: Pod): void {
    const rs = this.resolve(pod.metadata?.namespace, controllerOf(pod));
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.d.queue.add(key);
  }

  // ---- sync ----------------------------------------------------------------

  /** syncReplicaSet: idempotent; reads the caches, writes through the API. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.d.replicaSets.get(ns, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = selectorOf(rs);
    if (!selector) {
      this.d.logger.warn({ replicaSet: key }, 'invalid selector; not syncing');
      return;
    }
    const active = this.d.pods.list(ns).filter(isPodActive);
    const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
    const { claimed, errors } = await claimObjects(active, {
      owner: rs,
      match: (p) => selector.matches(p.metadata?.labels),
      canAdopt: async () => {
        const fresh = await this.d.api.getReplicaSet(ns, name);
        if (fresh.metadata?.uid !== rs.metadata?.uid) {
          throw new Error(`original ReplicaSet ${key} is gone: got uid ${fresh.metadata?.uid}, wanted ${rs.metadata?.uid}`);
        }
        if (fresh.metadata?.deletionTimestamp) throw new Error(`${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
      adopt: (p) => this.d.api.patchPod(ns, p.metadata!.name!, adoptPatch(ref, p.metadata?.uid)),
      release: (p) => this.d.api.patchPod(ns, p.metadata!.name!, releasePatch(rs.metadata!.uid!, p.metadata?.uid)),
    });
    if (errors.length) throw aggregate(errors);

    let manageErr: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(claimed, rs, key);
      } catch (e) {
        manageErr = e;
      }
    }
    const status = calculateReplicaSetStatus(rs, claimed, manageErr, this.d.clock.now());
    const updated = await this.updateStatus(rs, status);
    const minReady = updated.spec?.minReadySeconds ?? 0;
    const replicas = updated.spec?.replicas ?? 1;
    if (!manageErr && minReady > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
      this.d.queue.addAfter(key, minReady * 1000);
    }
    if (manageErr) throw manageErr;
  }

  private async manageReplicas(pods: Pod[], rs: ReplicaSet, key: string): Promise<void> {
    const burst = this.d.burstReplicas ?? BURST_REPLICAS;
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const n = Math.min(-diff, burst);
      // Expect them all before the first create: its informer event may arrive before the call returns.
      this.expectations.expectCreations(key, n);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(n, 1, async () => {
        try {
          await this.createPod(rs, ref);
        } catch (e) {
          // Every create would fail in a namespace being deleted: nothing to report.
          if (!isNamespaceTerminating(e)) throw e;
        }
      });
      // Creations never attempted (or failed) will not be observed.
      if (n - successes > 0) this.expectations.lowerExpectations(key, n - successes, 0);
      if (error) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, burst);
      const victims = podsToDelete(pods, this.indirectlyRelatedPods(rs), n, this.d.clock.now());
      this.expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
      const errors: unknown[] = [];
      await Promise.all(victims.map(async (p) => {
        try {
          await this.removePod(rs, p);
        } catch (e) {
          // The informer will not see a deletion that did not happen.
          this.expectations.deletionObserved(key, objectKey(p));
          if (!isNotFound(e)) errors.push(e);
        }
      }));
      if (errors.length) throw errors[0];
    }
  }

  /** Active pods of every ReplicaSet with the same controller as `rs` (for "doubled up on a node" ranking). */
  private indirectlyRelatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    if (!owner) return [];
    const ns = rs.metadata?.namespace ?? '';
    const seen = new Set<string>();
    const out: Pod[] = [];
    for (const other of this.d.replicaSets.list(ns)) {
      if (controllerOf(other)?.uid !== owner.uid) continue;
      const sel = selectorOf(other);
      if (!sel) continue;
      for (const p of this.d.pods.list(ns, sel)) {
        const uid = p.metadata?.uid ?? objectKey(p);
        if (seen.has(uid)) continue;
        seen.add(uid);
        out.push(p);
      }
    }
    return out;
  }

  private async createPod(rs: ReplicaSet, ref: OwnerReference): Promise<void> {
    const pod = podFromTemplate(rs.spec?.template, rs.metadata!.name!, ref);
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    let created: Pod;
    try {
      created = await this.d.api.createPod(rs.metadata!.namespace!, pod);
    } catch (e) {
      if (!isNamespaceTerminating(e)) this.d.recorder.eventf(rs, 'Warning', 'FailedCreate', 'Error creating: %s', (e as Error).message ?? String(e));
      throw e;
    }
    this.d.recorder.eventf(rs, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
  }

  private async removePod(rs: ReplicaSet, pod: Pod): Promise<void> {
    const name = pod.metadata!.name!;
    try {
      await this.d.api.deletePod(rs.metadata!.namespace!, name);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.d.recorder.eventf(rs, 'Warning', 'FailedDelete', 'Error deleting: %s', (e as Error).message ?? String(e));
      throw new Error(`unable to delete pods: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
    this.d.recorder.eventf(rs, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', name);
  }

  /** updateReplicaSetStatus: writes only when something changed; one retry on a fresh read. */
  private async updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (replicaSetStatusUnchanged(rs, status)) return rs;
    const next: ReplicaSetStatus = { ...status };
    if (rs.metadata?.generation) next.observedGeneration = rs.metadata.generation;
    let current: ReplicaSet = rs;
    for (let i = 0; ; i++) {
      try {
        return await this.d.api.updateReplicaSetStatus({ ...current, status: next });
      } catch (e) {
        if (i >= STATUS_UPDATE_RETRIES) throw e;
        current = await this.d.api.getReplicaSet(rs.metadata!.namespace!, rs.metadata!.name!);
      }
    }
  }
}

export interface ReplicaSetControllerOptions {
  /** Default 5 (upstream's --concurrent-replicaset-syncs). */
  workers?: number;
  burstReplicas?: number;
}

/** The controller the manager runs as "replicaset". */
export function replicaSetController(o: ReplicaSetControllerOptions = {}): Controller {
  return {
    name: 'replicaset',
    async run(ctx: ControllerContext): Promise<void> {
      const rsInformer = ctx.informers.informerFor<ReplicaSet>('apps/v1', 'ReplicaSet');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const queue = new WorkQueue<string>({ name: 'replicaset', clock: ctx.clock });
      const c = new ReplicaSetController({
        replicaSets: rsInformer.lister(), pods: podInformer.lister(), api: restReplicaSetApi(ctx.client),
        recorder: ctx.recorder('replicaset-controller'), clock: ctx.clock, logger: ctx.logger, queue, burstReplicas: o.burstReplicas,
      });
      const handles = [rsInformer.on(c.replicaSetHandler()), podInformer.on(c.podHandler())];
      try {
        if (!(await waitForSync(ctx.signal, rsInformer, podInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
