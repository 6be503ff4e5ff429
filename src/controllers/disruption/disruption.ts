// The disruption controller (upstream pkg/controller/disruption): keeps every
// PodDisruptionBudget's status current — expected pods, desired and current
// healthy pods, disruptions allowed, the DisruptionAllowed condition — and
// forgets entries of status.disruptedPods (written by the eviction API) once
// their pods are being deleted or the deletion did not happen in time.
//
// The eviction API trusts status.disruptionsAllowed only when
// status.observedGeneration is current, so a budget this controller cannot
// compute fails safe: no disruptions, condition reason SyncFailed.

import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Logger } from 'pino';
import { findByKind } from '../../api/resources.ts';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock, Disposable } from '../../base/clock.ts';
import {
  isConflict, isNotFound, objectKey, splitKey, WorkQueue, type EventRecorder, type KubeObject, type Lister,
  type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { errorMessage, jsonEqual, parseTime, rfc3339 } from '../replicaset/util.ts';
import { expectedScale, finders, type FinderListers, type ScaleGetter } from './finders.ts';
import { buildDisruptedPodMap, countHealthyPods, expectedPodCount, failSafeStatus, nextPdbStatus } from './status.ts';

/** How often every budget is recomputed even without events (upstream's PDB informer resync). */
export const RESYNC_MS = 30_000;
/** A DisruptionTarget condition on a pod that was not deleted after this long is reset (upstream's stalePodDisruptionTimeout). */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

export interface DisruptionApi {
  updatePdbStatus(pdb: PodDisruptionBudget): Promise<PodDisruptionBudget>;
  updatePodStatus(pod: Pod): Promise<Pod>;
  getScale: ScaleGetter;
}

export function restDisruptionApi(client: RestClient): DisruptionApi {
  const pdbs = client.resource<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget');
  return {
    updatePdbStatus: (pdb) => pdbs.namespace(pdb.metadata!.namespace!).updateStatus(pdb),
    updatePodStatus: (pod) => client.resource<Pod>('v1', 'Pod').namespace(pod.metadata!.namespace!).updateStatus(pod),
    async getScale(ref, ns) {
      const info = findByKind(ref.apiVersion, ref.kind);
      if (!info) throw new Error(`unable to find the resource of kind ${ref.kind} in ${ref.apiVersion}`);
      const qualified = info.group ? `${info.plural}.${info.group}` : info.plural;
      if (!info.subresources.some((s) => s.name === 'scale')) throw new Error(`${qualified} does not implement the scale subresource`);
      try {
        const s = await client.resource(ref.apiVersion, ref.kind).namespace(ns)
          .getSubresource<{ metadata?: { uid?: string }; spec?: { replicas?: number } }>(ref.name, 'scale');
        return { uid: s.metadata?.uid, replicas: s.spec?.replicas ?? 0 };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}

export type Recorder = Pick<EventRecorder, 'event' | 'eventf'>;

export interface DisruptionControllerDeps extends FinderListers {
  pdbs: Lister<PodDisruptionBudget>;
  pods: Lister<Pod>;
  api: DisruptionApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  /** Pods whose DisruptionTarget condition may go stale. */
  staleQueue?: WorkQueue<string>;
}

/** A budget's selector: `{}` selects every pod of the namespace, a missing or invalid one none. */
function selectorOf(pdb: PodDisruptionBudget): LabelMatcher | undefined {
  try {
    return labelSelectorMatcher(pdb.spec?.selector);
  } catch {
    return undefined;
  }
}

export class DisruptionController {
  private readonly d: DisruptionControllerDeps;

  constructor(deps: DisruptionControllerDeps) {
    this.d = deps;
  }

  pdbHandler(): ResourceEventHandler<PodDisruptionBudget> {
    return {
      add: (pdb) => this.d.queue.add(objectKey(pdb)),
      update: (_old, cur) => this.d.queue.add(objectKey(cur)),
      delete: (pdb) => this.d.queue.add(objectKey(pdb)),
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => {
        this.enqueueFor(pod);
        this.checkStaleDisruption(pod);
      },
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        this.enqueueFor(cur);
        if (!jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) this.enqueueFor(old);
        this.checkStaleDisruption(cur);
      },
      delete: (pod) => this.enqueueFor(pod),
    };
  }

  /** For the pods' controllers: a change of scale changes percentage budgets in the namespace. */
  scaleHandler<T extends KubeObject & { spec?: { replicas?: number } }>(): ResourceEventHandler<T> {
    const all = (o: T): void => { for (const pdb of this.d.pdbs.list(o.metadata?.namespace ?? '')) this.d.queue.add(objectKey(pdb)); };
    return {
      add: all,
      update: (old, cur) => { if (old.spec?.replicas !== cur.spec?.replicas) all(cur); },
      delete: all,
    };
  }

  /** Queues every budget (the periodic resync). */
  enqueueAll(): void {
    for (const key of this.d.pdbs.keys()) this.d.queue.add(key);
  }

  /** The budgets that select `pod`. */
  budgetsFor(pod: Pod): PodDisruptionBudget[] {
    return this.d.pdbs.list(pod.metadata?.namespace ?? '').filter((pdb) => selectorOf(pdb)?.matches(pod.metadata?.labels) ?? false);
  }

  private enqueueFor(pod: Pod): void {
    for (const pdb of this.budgetsFor(pod)) this.d.queue.add(objectKey(pdb));
  }

  // ---- stale DisruptionTarget conditions -----------------------------------

  /**
   * An eviction marks the pod DisruptionTarget=True before deleting it; when
   * the delete then did not happen (refused, or lost a race), the condition
   * would lie forever. How long until it counts as stale; undefined if it has none.
   */
  staleDisruptionIn(pod: Pod): number | undefined {
    if (pod.metadata?.deletionTimestamp) return undefined;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const cond = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    // The kubelet's own marks are never stale: its termination may take long.
    if (!cond || cond.status !== 'True' || cond.reason === 'TerminationByKubelet') return undefined;
    const since = parseTime(cond.lastTransitionTime) ?? 0;
    return Math.max(0, since + STALE_POD_DISRUPTION_TIMEOUT_MS - this.d.clock.now());
  }

  private checkStaleDisruption(pod: Pod): void {
    const wait = this.staleDisruptionIn(pod);
    if (wait !== undefined) this.d.staleQueue?.addAfter(objectKey(pod), wait);
  }

  /** syncStalePodDisruption: sets a stale DisruptionTarget condition to False. */
  async syncStaleDisruption(key: string): Promise<void> {
    const pod = this.d.pods.get(...splitKey(key));
    if (!pod) return;
    const wait = this.staleDisruptionIn(pod);
    if (wait === undefined) return;
    if (wait > 0) { this.d.staleQueue?.addAfter(key, wait); return; }
    const next = structuredClone(pod) as Pod;
    const conds = next.status!.conditions!;
    const i = conds.findIndex((c) => c.type === 'DisruptionTarget');
    conds[i] = { type: 'DisruptionTarget', status: 'False', lastTransitionTime: rfc3339(this.d.clock.now()) };
    await this.d.api.updatePodStatus(next);
    this.d.logger.info({ pod: key }, 'reset stale DisruptionTarget condition to False');
  }

  // ---- budgets --------------------------------------------------------------

  /** Idempotent; throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pdb = this.d.pdbs.get(ns, name);
    if (!pdb) return;
    try {
      await this.trySync(pdb);
    } catch (e) {
      // A lost race on the status: just try again with the newer budget.
      if (isConflict(e)) throw e;
      this.d.logger.warn({ err: e, pdb: key }, 'failed to sync PodDisruptionBudget');
      await this.write(pdb, failSafeStatus(pdb, errorMessage(e), this.d.clock.now()));
    }
  }

  private async trySync(pdb: PodDisruptionBudget): Promise<void> {
    const ns = pdb.metadata?.namespace ?? '';
    const selector = selectorOf(pdb);
    if (!selector) throw new Error(`invalid selector in PodDisruptionBudget ${ns}/${pdb.metadata?.name ?? ''}`);
    const pods = this.d.pods.list(ns).filter((p) => selector.matches(p.metadata?.labels));
    if (pods.length === 0) this.d.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');

    let counts;
    try {
      const find = finders(this.d, this.d.api.getScale);
      counts = await expectedPodCount(pdb, pods, () => expectedScale(pods, find));
    } catch (e) {
      this.d.recorder.eventf(pdb, 'Warning', 'CalculateExpectedPodCountFailed', 'Failed to calculate the number of expected pods: %v', errorMessage(e));
      throw e;
    }
    if (counts.unmanagedPods.length) {
      this.d.logger.debug({ pods: counts.unmanagedPods }, 'found unmanaged pods associated with this PDB');
      this.d.recorder.eventf(pdb, 'Warning', 'UnmanagedPods', 'Pods selected by this PodDisruptionBudget (selector: %v) were found '
        + 'to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. '
        + 'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.', selector.toString());
    }

    const now = this.d.clock.now();
    const disrupted = buildDisruptedPodMap(pods, pdb, now);
    for (const pod of disrupted.notDeleted) {
      // (sic) upstream names the budget by its namespace twice.
      this.d.recorder.eventf(pod, 'Warning', 'NotDeleted', "Pod was expected by PDB %s/%s to be deleted but it wasn't", ns, ns);
    }
    const healthy = countHealthyPods(pods, disrupted.disruptedPods, now);
    const next = nextPdbStatus(pdb, healthy, counts.desiredHealthy, counts.expectedCount, disrupted.disruptedPods, now);
    if (next) await this.write(pdb, next);
    if (disrupted.recheckAt !== undefined) this.d.queue.addAfter(objectKey(pdb), disrupted.recheckAt - now);
  }

  private async write(pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus): Promise<void> {
    await this.d.api.updatePdbStatus({ ...structuredClone(pdb), status });
  }
}

/** The controller the manager runs as "disruption". */
export function disruptionController(o: { workers?: number } = {}): Controller {
  return {
    name: 'disruption',
    async run(ctx: ControllerContext): Promise<void> {
      const pdbInformer = ctx.informers.informerFor<PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const rsInformer = ctx.informers.informerFor<ReplicaSet>('apps/v1', 'ReplicaSet');
      const dInformer = ctx.informers.informerFor<Deployment>('apps/v1', 'Deployment');
      const ssInformer = ctx.informers.informerFor<StatefulSet>('apps/v1', 'StatefulSet');
      const rcInformer = ctx.informers.informerFor<ReplicationController>('v1', 'ReplicationController');
      const queue = new WorkQueue<string>({ name: 'disruption', clock: ctx.clock });
      const staleQueue = new WorkQueue<string>({ name: 'disruption-recheck', clock: ctx.clock });
      const c = new DisruptionController({
        pdbs: pdbInformer.lister(), pods: podInformer.lister(), replicaSets: rsInformer.lister(), deployments: dInformer.lister(),
        statefulSets: ssInformer.lister(), replicationControllers: rcInformer.lister(),
        api: restDisruptionApi(ctx.client), recorder: ctx.recorder('controllermanager'), clock: ctx.clock, logger: ctx.logger, queue, staleQueue,
      });
      const handles: Disposable[] = [
        pdbInformer.on(c.pdbHandler()), podInformer.on(c.podHandler()),
        rsInformer.on(c.scaleHandler<ReplicaSet>()), dInformer.on(c.scaleHandler<Deployment>()),
        ssInformer.on(c.scaleHandler<StatefulSet>()), rcInformer.on(c.scaleHandler<ReplicationController>()),
      ];
      let resync: Disposable | undefined;
      const tick = (): void => {
        c.enqueueAll();
        resync = ctx.clock.setTimeout(tick, RESYNC_MS);
      };
      try {
        if (!(await waitForSync(ctx.signal, pdbInformer, podInformer, rsInformer, dInformer, ssInformer, rcInformer))) return;
        resync = ctx.clock.setTimeout(tick, RESYNC_MS);
        await Promise.all([
          runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? 1 }),
          runWorkers(staleQueue, (key) => c.syncStaleDisruption(key), { signal: ctx.signal, logger: ctx.logger, workers: 1 }),
        ]);
      } finally {
        resync?.dispose();
        for (const h of handles) h.dispose();
        queue.shutDown();
        staleQueue.shutDown();
      }
    },
  };
}
