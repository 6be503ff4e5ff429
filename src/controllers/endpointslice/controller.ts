// The EndpointSlice controller (upstream pkg/controller/endpointslice): for
// every Service with a selector, discovery.k8s.io/v1 EndpointSlices named
// `<service>-<5 chars>`, labelled kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io,
// owned by the Service (the garbage collector removes them with it), with at
// most 100 endpoints each. Endpoints carry ready/serving/terminating, the
// node and its zone. Updates move as little as possible (reconciler.ts).

import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import {
  isNotFound, objectKey, keyOf, splitKey, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { RetryLater, runWorkers, waitForSync } from '../worker.ts';
import { errorMessage, isNamespaceTerminating } from '../replicaset/util.ts';
import { rfc3339Nano, selects, serviceSelector } from '../endpoints/pods.ts';
import { TriggerTimeTracker } from '../endpoints/trigger-time.ts';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION } from '../endpoints/endpoints.ts';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, ZONE_LABEL, desiredEndpoints, type PortGroup } from './desired.ts';
import { MAX_ENDPOINTS_PER_SLICE, reconcile, serviceSliceOwner } from './reconciler.ts';
import { EndpointSliceTracker } from './tracker.ts';

/** Upstream's --concurrent-service-endpoint-syncs. */
export const DEFAULT_WORKERS = 5;

export interface EndpointSliceApi {
  create(ns: string, slice: EndpointSlice): Promise<EndpointSlice>;
  update(ns: string, slice: EndpointSlice): Promise<EndpointSlice>;
  delete(ns: string, name: string): Promise<void>;
}

export function restEndpointSliceApi(client: RestClient): EndpointSliceApi {
  const slices = client.resource<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice');
  return {
    create: (ns, s) => slices.namespace(ns).create(s),
    update: (ns, s) => slices.namespace(ns).update(s),
    delete: async (ns, name) => { await slices.namespace(ns).delete(name); },
  };
}

export interface EndpointSliceControllerDeps {
  services: Lister<Service>;
  pods: Lister<Pod>;
  nodes: Lister<Node>;
  slices: Lister<EndpointSlice>;
  api: EndpointSliceApi;
  recorder: Pick<EventRecorder, 'eventf'>;
  logger: Logger;
  queue: WorkQueue<string>;
  maxEndpointsPerSlice?: number;
}

/** The slices this controller manages for a Service (by label), not being deleted. */
function isOurs(s: EndpointSlice): boolean {
  return s.metadata?.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME && !!s.metadata?.labels?.[SERVICE_NAME_LABEL];
}

export class EndpointSliceController {
  readonly tracker = new EndpointSliceTracker();
  readonly triggerTimes = new TriggerTimeTracker();
  private readonly d: EndpointSliceControllerDeps;

  constructor(deps: EndpointSliceControllerDeps) {
    this.d = deps;
  }

  serviceHandler(): ResourceEventHandler<Service> {
    return {
      add: (s) => this.d.queue.add(objectKey(s)),
      update: (_o, s) => this.d.queue.add(objectKey(s)),
      delete: (s) => this.d.queue.add(objectKey(s)),
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (p) => this.enqueueFor(p),
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        this.enqueueFor(cur, old.metadata?.labels);
      },
      delete: (p) => this.enqueueFor(p),
    };
  }

  /** Changes to our slices made by others (or deletions) bring the Service back. */
  sliceHandler(): ResourceEventHandler<EndpointSlice> {
    const svcKey = (s: EndpointSlice): string => keyOf(s.metadata?.namespace, s.metadata!.labels![SERVICE_NAME_LABEL]);
    return {
      add: (s) => { if (isOurs(s)) this.d.queue.add(svcKey(s)); },
      update: (o, s) => {
        if (o.metadata?.resourceVersion === s.metadata?.resourceVersion) return;
        if (isOurs(s)) this.d.queue.add(svcKey(s));
        if (isOurs(o) && !isOurs(s)) this.d.queue.add(svcKey(o));
      },
      delete: (s) => {
        if (!isOurs(s)) return;
        this.tracker.observedDeletion(svcKey(s), s.metadata!.name!);
        this.d.queue.add(svcKey(s));
      },
    };
  }

  /** Set once the caches have synced: the first sync of every Service covers the nodes listed at start. */
  synced = false;

  /** A node appearing (pods on it were left out) or changing zone: its pods' Services. */
  nodeHandler(): ResourceEventHandler<Node> {
    const enqueueNode = (n: Node): void => {
      if (!this.synced) return;
      const name = n.metadata?.name;
      for (const p of this.d.pods.list()) if (p.spec?.nodeName === name) this.enqueueFor(p);
    };
    return {
      add: enqueueNode,
      update: (o, n) => {
        if (o.metadata?.labels?.[ZONE_LABEL] !== n.metadata?.labels?.[ZONE_LABEL]) enqueueNode(n);
      },
      delete: enqueueNode,
    };
  }

  private enqueueFor(pod: Pod, oldLabels?: Record<string, string>): void {
    for (const s of this.d.services.list(pod.metadata?.namespace ?? '')) {
      const sel = serviceSelector(s);
      if (!sel) continue;
      if (selects(sel, pod.metadata?.labels) || (oldLabels && selects(sel, oldLabels))) this.d.queue.add(objectKey(s));
    }
  }

  /** syncService: idempotent; reads the caches, writes through the API. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.d.services.get(ns, name);
    if (!svc) {
      // Its slices are owned by it: the garbage collector deletes them.
      this.triggerTimes.deleteService(key);
      this.tracker.deleteService(key);
      return;
    }
    // ExternalName Services get no endpoints; selector-less ones are the user's (or the mirroring controller's).
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const existing = this.d.slices.list(ns).filter((s) => isOurs(s) && s.metadata!.labels![SERVICE_NAME_LABEL] === name);
    if (this.tracker.stale(key, existing)) throw new RetryLater(`EndpointSlice informer cache is out of date for ${key}`, { maxMs: 1000 });
    const live = existing.filter((s) => !s.metadata?.deletionTimestamp);

    const pods = this.d.pods.list(ns).filter((p) => selects(selector, p.metadata?.labels));
    const families = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ['IPv4'];
    // Headless Services without IP families would take every family; Pilot's Services always have one.
    const desired = new Map<string, Map<string, PortGroup>>();
    const missing: string[] = [];
    for (const family of families) {
      const st = desiredEndpoints(svc, pods, this.d.nodes, family);
      desired.set(family, st.groups);
      missing.push(...st.missingNodes);
    }
    const trigger = this.triggerTimes.compute(key, svc, pods);
    const triggerTime = trigger.time;
    const changes = reconcile(serviceSliceOwner(svc), live, desired, this.d.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE);
    const stamp = (s: EndpointSlice): EndpointSlice => {
      const annotations = { ...(s.metadata?.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = rfc3339Nano(triggerTime);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
      s.metadata = { ...s.metadata };
      if (Object.keys(annotations).length) s.metadata.annotations = annotations;
      else delete s.metadata.annotations;
      return s;
    };
    try {
      // Creates first, deletes last: the Service never goes without endpoints in between.
      for (const s of changes.create) {
        if (svc.metadata?.deletionTimestamp) break; // no new dependents for a Service being deleted
        const created = await this.d.api.create(ns, stamp(s));
        this.tracker.wrote(key, created);
      }
      for (const s of changes.update) this.tracker.wrote(key, await this.d.api.update(ns, stamp(s)));
      for (const s of changes.delete) {
        try {
          await this.d.api.delete(ns, s.metadata!.name!);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        this.tracker.deleted(key, s.metadata!.name!);
      }
      trigger.commit();
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.d.recorder.eventf(svc, 'Warning', 'FailedToUpdateEndpointSlices', 'Error updating Endpoint Slices for Service %s: %s', key, errorMessage(e));
      throw e;
    }
    if (missing.length) throw new RetryLater(`pods on unknown nodes left out: ${missing.join(', ')}`);
  }
}

export interface EndpointSliceControllerOptions {
  workers?: number;
  maxEndpointsPerSlice?: number;
}

/** The controller the manager runs as "endpointslice". */
export function endpointSliceController(o: EndpointSliceControllerOptions = {}): Controller {
  return {
    name: 'endpointslice',
    async run(ctx: ControllerContext): Promise<void> {
      const svcInformer = ctx.informers.informerFor<Service>('v1', 'Service');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const nodeInformer = ctx.informers.informerFor<Node>('v1', 'Node');
      const sliceInformer = ctx.informers.informerFor<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice');
      const queue = new WorkQueue<string>({ name: 'endpointslice', clock: ctx.clock });
      const c = new EndpointSliceController({
        services: svcInformer.lister(), pods: podInformer.lister(), nodes: nodeInformer.lister(), slices: sliceInformer.lister(),
        api: restEndpointSliceApi(ctx.client), recorder: ctx.recorder('endpoint-slice-controller'), logger: ctx.logger, queue,
        maxEndpointsPerSlice: o.maxEndpointsPerSlice,
      });
      const handles = [
        svcInformer.on(c.serviceHandler()), podInformer.on(c.podHandler()), nodeInformer.on(c.nodeHandler()), sliceInformer.on(c.sliceHandler()),
      ];
      try {
        if (!(await waitForSync(ctx.signal, svcInformer, podInformer, nodeInformer, sliceInformer))) return;
        c.synced = true;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
