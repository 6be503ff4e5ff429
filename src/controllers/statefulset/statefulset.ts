// The StatefulSet controller (upstream pkg/controller/statefulset): pods with
// stable names and storage, created and deleted in ordinal order (or all at
// once with podManagementPolicy Parallel), updated through ControllerRevisions.
// This file is the controller proper: event handlers, claiming pods and
// revisions by selector, and sync(key); control.ts does the work.
//
// No expectations here, as upstream: pod names are fixed, so a lagging cache
// can at worst make a create fail with AlreadyExists, which is retried.

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import { objectKey, splitKey, WorkQueue, type Lister, type ResourceEventHandler } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { adoptPatch, claimObjects, releasePatch } from '../replicaset/controller-ref.ts';
import { isPodReady } from '../replicaset/pods.ts';
import { aggregate, controllerOf, jsonEqual, newControllerRef } from '../replicaset/util.ts';
import { restStatefulSetApi, type Recorder, type StatefulSetApi } from './api.ts';
import { StatefulSetControl } from './control.ts';
import { isMemberOf, replicasOf } from './identity.ts';

/** Upstream's --concurrent-statefulset-syncs. */
export const DEFAULT_WORKERS = 5;

export interface StatefulSetControllerDeps {
  sets: Lister<StatefulSet>;
  pods: Lister<Pod>;
  claims: Lister<PersistentVolumeClaim>;
  revisions: Lister<ControllerRevision>;
  api: StatefulSetApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  /** MaxUnavailableStatefulSet feature gate; off as upstream. */
  maxUnavailable?: boolean;
}

const matchers = new WeakMap<object, LabelMatcher>();

/** The set's selector, parsed once per cached object; undefined when invalid or absent. */
export function selectorOf(set: StatefulSet): LabelMatcher | undefined {
  const sel = set.spec?.selector;
  if (!sel) return undefined;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { return undefined; }
    matchers.set(sel, m);
  }
  return m;
}

export class StatefulSetController {
  readonly control: StatefulSetControl;
  private readonly d: StatefulSetControllerDeps;

  constructor(deps: StatefulSetControllerDeps) {
    this.d = deps;
    this.control = new StatefulSetControl({
      api: deps.api, revisions: deps.revisions, claims: deps.claims, recorder: deps.recorder, clock: deps.clock,
      logger: deps.logger, maxUnavailable: deps.maxUnavailable,
    });
  }

  // ---- event handlers ----------------------------------------------------------

  setHandler(): ResourceEventHandler<StatefulSet> {
    return {
      add: (set) => this.enqueue(set),
      update: (_old, cur) => this.enqueue(cur),
      delete: (set) => this.enqueue(set),
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    };
  }

  private enqueue(set: StatefulSet): void {
    this.d.queue.add(objectKey(set));
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): StatefulSet | undefined {
    if (!ref || ref.kind !== 'StatefulSet' || ref.apiVersion?.split('/')[0] !== 'apps') return undefined;
    const set = this.d.sets.get(ns, ref.name);
    return set && set.metadata?.uid === ref.uid ? set : undefined;
  }

  /** getStatefulSetsForPod: sets in the pod's namespace whose (non-empty) selector matches it. */
  private setsForPod(pod: Pod): StatefulSet[] {
    return this.d.sets.list(pod.metadata?.namespace ?? '').filter((set) => {
      const m = selectorOf(set);
      return !!m && !m.empty && m.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const set = this.resolve(pod.metadata?.namespace, ref);
      if (set) this.enqueue(set);
      return;
    }
    for (const set of this.setsForPod(pod)) this.enqueue(set);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = !jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const set = this.resolve(old.metadata?.namespace, oldRef);
      if (set) this.enqueue(set);
    }
    if (curRef) {
      const set = this.resolve(cur.metadata?.namespace, curRef);
      if (!set) return;
      this.enqueue(set);
      // Availability comes minReadySeconds after readiness, and no event will say so.
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.d.queue.addAfter(objectKey(set), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const set of this.setsForPod(cur)) this.enqueue(set);
  }

  private deletePod(pod: Pod): void {
    const set = this.resolve(pod.metadata?.namespace, controllerOf(pod));
    if (set) this.enqueue(set);
  }

  // ---- sync -----------------------------------------------------------------------

  /** Idempotent: reads the caches, writes through the API; throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const set = this.d.sets.get(ns, name);
    if (!set) return;
    const selector = selectorOf(set);
    if (!selector) {
      // Not transient: nothing to retry until the set changes.
      this.d.logger.warn({ statefulSet: key }, 'invalid selector; not syncing');
      return;
    }
    const canAdopt = async (): Promise<void> => {
      const fresh = await this.d.api.getStatefulSet(ns, name);
      if (fresh.metadata?.uid !== set.metadata?.uid) {
        throw new Error(`original StatefulSet ${key} is gone: got uid ${fresh.metadata?.uid}, wanted ${set.metadata?.uid}`);
      }
      if (fresh.metadata?.deletionTimestamp) throw new Error(`${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    };
    await this.control.adoptOrphanRevisions(set, selector, canAdopt);
    const pods = await this.claimPods(set, selector, canAdopt);
    const status = await this.control.updateStatefulSet(set, pods, selector);
    // Pods turn available with time alone: look again then.
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.availableReplicas ?? 0) !== replicasOf(set)) this.d.queue.addAfter(key, minReady * 1000);
  }

  /** getPodsForStatefulSet: every pod of the namespace named like the set's and matching its selector, adopted or released as needed. */
  private async claimPods(set: StatefulSet, selector: LabelMatcher, canAdopt: () => Promise<void>): Promise<Pod[]> {
    const ns = set.metadata!.namespace!;
    const ref = newControllerRef(set, 'apps/v1', 'StatefulSet');
    const { claimed, errors } = await claimObjects(this.d.pods.list(ns), {
      owner: set,
      match: (p) => selector.matches(p.metadata?.labels) && isMemberOf(set, p),
      canAdopt,
      adopt: (p) => this.d.api.patchPod(ns, p.metadata!.name!, adoptPatch(ref, p.metadata?.uid)),
      release: (p) => this.d.api.patchPod(ns, p.metadata!.name!, releasePatch(set.metadata!.uid!, p.metadata?.uid)),
    });
    if (errors.length) throw aggregate(errors);
    return claimed;
  }
}

export interface StatefulSetControllerOptions {
  /** Default 5 (upstream's --concurrent-statefulset-syncs). */
  workers?: number;
  /** MaxUnavailableStatefulSet feature gate (alpha upstream): honour rollingUpdate.maxUnavailable. Default off. */
  maxUnavailable?: boolean;
}

/** The controller the manager runs as "statefulset". */
export function statefulSetController(o: StatefulSetControllerOptions = {}): Controller {
  return {
    name: 'statefulset',
    async run(ctx: ControllerContext): Promise<void> {
      const setInformer = ctx.informers.informerFor<StatefulSet>('apps/v1', 'StatefulSet');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const claimInformer = ctx.informers.informerFor<PersistentVolumeClaim>('v1', 'PersistentVolumeClaim');
      const revInformer = ctx.informers.informerFor<ControllerRevision>('apps/v1', 'ControllerRevision');
      const queue = new WorkQueue<string>({ name: 'statefulset', clock: ctx.clock });
      const c = new StatefulSetController({
        sets: setInformer.lister(), pods: podInformer.lister(), claims: claimInformer.lister(), revisions: revInformer.lister(),
        api: restStatefulSetApi(ctx.client), recorder: ctx.recorder('statefulset-controller'), clock: ctx.clock, logger: ctx.logger,
        queue, maxUnavailable: o.maxUnavailable,
      });
      const handles = [setInformer.on(c.setHandler()), podInformer.on(c.podHandler())];
      try {
        if (!(await waitForSync(ctx.signal, setInformer, podInformer, claimInformer, revInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
