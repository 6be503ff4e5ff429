// The Endpoints controller (upstream pkg/controller/endpoint): for every
// Service with a selector, an Endpoints object of the same name listing the
// selected pods' IPs — ready ones in `addresses`, others in
// `notReadyAddresses` (all ready when the Service publishes not-ready
// addresses) — grouped into subsets by the ports they serve. Services without
// a selector (and ExternalName ones) are left alone: their Endpoints are the
// user's. The Endpoints carry the Service's labels (plus
// service.kubernetes.io/headless for headless Services) and are deleted when
// the Service goes.

import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../../base/errors.ts';
import {
  isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { isNamespaceTerminating, semanticEqual } from '../replicaset/util.ts';
import {
  findPort, isPodReady, isServiceIPSet, podIPOfFamily, rfc3339Nano, serviceFamily, serviceSelector, shouldPodBeInEndpoints,
  shouldSetHostname, selects,
} from './pods.ts';
import { OVER_CAPACITY_ANNOTATION, repackSubsets, truncateEndpoints } from './subsets.ts';
import { TriggerTimeTracker } from './trigger-time.ts';

export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';
/** Upstream's --concurrent-endpoint-syncs. */
export const DEFAULT_WORKERS = 5;

/** The API calls the controller makes; a fake records them in tests. */
export interface EndpointsApi {
  create(ns: string, ep: Endpoints): Promise<Endpoints>;
  update(ns: string, ep: Endpoints): Promise<Endpoints>;
  delete(ns: string, name: string): Promise<void>;
}

export function restEndpointsApi(client: RestClient): EndpointsApi {
  const eps = client.resource<Endpoints>('v1', 'Endpoints');
  return {
    create: (ns, ep) => eps.namespace(ns).create(ep),
    update: (ns, ep) => eps.namespace(ns).update(ep),
    delete: async (ns, name) => { await eps.namespace(ns).delete(name); },
  };
}

export interface EndpointsControllerDeps {
  services: Lister<Service>;
  pods: Lister<Pod>;
  endpoints: Lister<Endpoints>;
  api: EndpointsApi;
  recorder: Pick<EventRecorder, 'eventf'>;
  logger: Logger;
  queue: WorkQueue<string>;
}

/** The address a pod gives a Service (podToEndpointAddressForService); undefined without an IP of the Service's family. */
function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const ip = podIPOfFamily(pod, serviceFamily(svc));
  if (!ip) return undefined;
  const a: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) a.hostname = pod.spec!.hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
  return a;
}

/** The subsets the Service's pods make, before repacking. */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const ready = publishNotReady || isPodReady(pod);
    const add = (ports: EndpointPort[] | undefined): void => {
      const ss: EndpointSubset = ready ? { addresses: [addr] } : { notReadyAddresses: [addr] };
      if (ports) ss.ports = ports;
      subsets.push(ss);
    };
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      // Headless Services may have no ports: the addresses still count.
      if (svc.spec?.clusterIP === 'None') add(undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue; // the pod does not serve this named port
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add([ep]);
    }
  }
  return repackSubsets(subsets);
}

/** The labels upstream puts on a Service's Endpoints. */
function endpointsLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (!isServiceIPSet(svc)) labels[HEADLESS_SERVICE_LABEL] = '';
  else delete labels[HEADLESS_SERVICE_LABEL];
  return labels;
}

export class EndpointsController {
  readonly triggerTimes = new TriggerTimeTracker();
  private readonly d: EndpointsControllerDeps;

  constructor(deps: EndpointsControllerDeps) {
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

  /** Someone deleted or changed Endpoints: put the Service's back the way it should be. */
  endpointsHandler(): ResourceEventHandler<Endpoints> {
    return {
      delete: (ep) => this.d.queue.add(objectKey(ep)),
    };
  }

  private enqueueFor(pod: Pod, oldLabels?: Record<string, string>): void {
    const services = this.d.services.list(pod.metadata?.namespace ?? '');
    for (const s of services) {
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
      // The Service is gone: so are its Endpoints (they have no owner reference for the GC).
      this.triggerTimes.deleteService(key);
      try {
        await this.d.api.delete(ns, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return; // the user manages these Endpoints
    const pods = this.d.pods.list(ns).filter((p) => selects(selector, p.metadata?.labels));
    const trigger = this.triggerTimes.compute(key, svc, pods);
    const triggerTime = trigger.time;
    const subsets = desiredSubsets(svc, pods);
    const current = this.d.endpoints.get(ns, name);
    const labels = endpointsLabels(svc);

    const next: Endpoints = current
      ? structuredClone(current) as Endpoints
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns } };
    if (subsets.length) next.subsets = subsets;
    else delete next.subsets;
    const truncated = truncateEndpoints(next);
    if (current) {
      const capacityOk = (current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated;
      if (semanticEqual(current.subsets, next.subsets) && semanticEqual(current.metadata?.labels, labels) && capacityOk) {
        trigger.commit();
        return;
      }
    }
    const meta = next.metadata!;
    const annotations = { ...(meta.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = rfc3339Nano(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (Object.keys(annotations).length) meta.annotations = annotations;
    else delete meta.annotations;
    if (Object.keys(labels).length) meta.labels = labels;
    else delete meta.labels;
    if (!next.subsets?.length) delete next.subsets;

    try {
      if (current) await this.d.api.update(ns, next);
      else await this.d.api.create(ns, next);
      trigger.commit();
    } catch (e) {
      // Nothing can be created in a namespace being deleted; its content is going anyway.
      if (!current && isNamespaceTerminating(e)) { trigger.commit(); return; }
      // Created by someone meanwhile (e.g. the user, or a lagging cache): the next sync sees it.
      if (!current && isAlreadyExists(e)) throw e;
      this.d.recorder.eventf(svc, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
        current ? 'Failed to update endpoint %s: %s' : 'Failed to create endpoint for service %s: %s', key, errorText(e));
      throw e;
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

export interface EndpointsControllerOptions {
  workers?: number;
}

/** The controller the manager runs as "endpoint". */
export function endpointsController(o: EndpointsControllerOptions = {}): Controller {
  return {
    name: 'endpoint',
    async run(ctx: ControllerContext): Promise<void> {
      const svcInformer = ctx.informers.informerFor<Service>('v1', 'Service');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const epInformer = ctx.informers.informerFor<Endpoints>('v1', 'Endpoints');
      const queue = new WorkQueue<string>({ name: 'endpoint', clock: ctx.clock });
      const c = new EndpointsController({
        services: svcInformer.lister(), pods: podInformer.lister(), endpoints: epInformer.lister(), api: restEndpointsApi(ctx.client),
        recorder: ctx.recorder('endpoint-controller'), logger: ctx.logger, queue,
      });
      const handles = [svcInformer.on(c.serviceHandler()), podInformer.on(c.podHandler()), epInformer.on(c.endpointsHandler())];
      try {
        if (!(await waitForSync(ctx.signal, svcInformer, podInformer, epInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}

