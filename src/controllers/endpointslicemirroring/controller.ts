// The EndpointSlice mirroring controller (upstream
// pkg/controller/endpointslicemirroring): Endpoints that users write for a
// Service without a selector are mirrored into EndpointSlices, so that
// consumers of slices (proxies, DNS) see them too. The slices are owned by
// the Endpoints, labelled kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,
// carry the Endpoints' labels and annotations, and follow it with the same
// minimal-churn reconciler as the EndpointSlice controller. Endpoints
// labelled endpointslice.kubernetes.io/skip-mirror=true (the `kubernetes`
// Service's), or carrying a leader-election annotation, are not mirrored.

import type { EndpointAddress, EndpointSubset, Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { isIPv4, isIPv6 } from '../../api/validation/names.ts';
import { isNotFound, keyOf, objectKey, splitKey, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { RetryLater, runWorkers, waitForSync } from '../worker.ts';
import { errorMessage, isNamespaceTerminating } from '../replicaset/util.ts';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION } from '../endpoints/endpoints.ts';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL, endpointKey, portMapKey, type PortGroup } from '../endpointslice/desired.ts';
import { reconcile, type SliceOwner } from '../endpointslice/reconciler.ts';
import { EndpointSliceTracker } from '../endpointslice/tracker.ts';
import { restEndpointSliceApi, type EndpointSliceApi } from '../endpointslice/controller.ts';

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Upstream's --mirroring-max-endpoints-per-subset: also the size of a mirrored slice. */
export const MAX_ENDPOINTS_PER_SUBSET = 1000;
/** Upstream's --mirroring-concurrent-service-endpoint-syncs. */
export const DEFAULT_WORKERS = 5;

export interface MirroringControllerDeps {
  services: Lister<Service>;
  endpoints: Lister<Endpoints>;
  slices: Lister<EndpointSlice>;
  api: EndpointSliceApi;
  recorder: Pick<EventRecorder, 'eventf'>;
  logger: Logger;
  queue: WorkQueue<string>;
  maxEndpointsPerSubset?: number;
}

/** Should these Endpoints be mirrored at all (shouldMirror)? */
export function shouldMirror(ep: Endpoints): boolean {
  return ep.metadata?.labels?.[SKIP_MIRROR_LABEL] !== 'true' && !ep.metadata?.annotations?.[LEADER_ANNOTATION];
}

const isMirrored = (s: EndpointSlice): boolean => s.metadata?.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER_NAME && !!s.metadata?.labels?.[SERVICE_NAME_LABEL];

function addressType(ip: string): string | undefined {
  return isIPv4(ip) ? 'IPv4' : isIPv6(ip) ? 'IPv6' : undefined;
}

function addressToEndpoint(a: EndpointAddress, ready: boolean): Endpoint {
  const e: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.hostname) e.hostname = a.hostname;
  if (a.targetRef) e.targetRef = { ...a.targetRef };
  if (a.nodeName) e.nodeName = a.nodeName;
  return e;
}

/** The slices' owner: the Endpoints, whose labels and annotations (but two) they copy. */
function endpointsOwner(ep: Endpoints): SliceOwner {
  const name = ep.metadata?.name ?? '';
  const labels: Record<string, string> = { ...(ep.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER_NAME };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.metadata?.annotations ?? {})) {
    if (k !== LAST_CHANGE_TRIGGER_TIME_ANNOTATION && k !== LAST_APPLIED_ANNOTATION) annotations[k] = v;
  }
  return {
    labels, annotations, placeholder: false,
    owns: (s) => !!s.metadata?.ownerReferences?.some((r) => r.kind === 'Endpoints' && r.uid === ep.metadata?.uid),
    newSlice: (ports, type) => {
      const meta: EndpointSlice['metadata'] = {
        generateName: name.length + 1 <= 253 - 5 ? `${name}-` : name,
        namespace: ep.metadata?.namespace, labels: { ...labels },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name, uid: ep.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      };
      if (Object.keys(annotations).length) meta.annotations = { ...annotations };
      return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta, addressType: type, endpoints: [], ports };
    },
  };
}

export class EndpointSliceMirroringController {
  readonly tracker = new EndpointSliceTracker();
  private readonly d: MirroringControllerDeps;

  constructor(deps: MirroringControllerDeps) {
    this.d = deps;
  }

  /** Services and Endpoints share the key namespace/name. */
  handler<T extends Service | Endpoints>(): ResourceEventHandler<T> {
    return {
      add: (o) => this.d.queue.add(objectKey(o)),
      update: (_o, n) => this.d.queue.add(objectKey(n)),
      delete: (o) => this.d.queue.add(objectKey(o)),
    };
  }

  sliceHandler(): ResourceEventHandler<EndpointSlice> {
    const key = (s: EndpointSlice): string => keyOf(s.metadata?.namespace, s.metadata!.labels![SERVICE_NAME_LABEL]);
    return {
      add: (s) => { if (isMirrored(s)) this.d.queue.add(key(s)); },
      update: (o, s) => {
        if (o.metadata?.resourceVersion === s.metadata?.resourceVersion) return;
        if (isMirrored(s)) this.d.queue.add(key(s));
        if (isMirrored(o) && !isMirrored(s)) this.d.queue.add(key(o));
      },
      delete: (s) => {
        if (!isMirrored(s)) return;
        this.tracker.observedDeletion(key(s), s.metadata!.name!);
        this.d.queue.add(key(s));
      },
    };
  }

  /** syncEndpoints: idempotent. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const slices = this.d.slices.list(ns).filter((s) => isMirrored(s) && s.metadata!.labels![SERVICE_NAME_LABEL] === name);
    const svc = this.d.services.get(ns, name);
    const ep = this.d.endpoints.get(ns, name);
    const selector = svc?.spec?.selector;
    if (!svc || !ep || !shouldMirror(ep) || (selector && Object.keys(selector).length > 0)) {
      // Nothing (any more) to mirror.
      if (!svc) this.tracker.deleteService(key);
      await this.apply(ns, key, { create: [], update: [], delete: slices.filter((s) => !s.metadata?.deletionTimestamp) }, ep);
      return;
    }
    if (this.tracker.stale(key, slices)) throw new RetryLater(`EndpointSlice informer cache is out of date for ${key}`, { maxMs: 1000 });
    const max = this.d.maxEndpointsPerSubset ?? MAX_ENDPOINTS_PER_SUBSET;
    const { desired, skipped, invalid } = desiredFromEndpoints(ep, max);
    if (invalid > 0) this.d.recorder.eventf(ep, 'Warning', 'InvalidIPAddress', 'Skipped %d invalid IP addresses when mirroring to EndpointSlices', invalid);
    if (skipped > 0) {
      this.d.recorder.eventf(ep, 'Warning', 'TooManyAddressesToMirror',
        'A max of %d addresses can be mirrored to EndpointSlices per Endpoints subset. %d addresses were skipped', max, skipped);
    }
    const live = slices.filter((s) => !s.metadata?.deletionTimestamp);
    await this.apply(ns, key, reconcile(endpointsOwner(ep), live, desired, max), ep);
  }

  private async apply(ns: string, key: string, changes: ReturnType<typeof reconcile>, ep: Endpoints | undefined): Promise<void> {
    try {
      for (const s of changes.create) this.tracker.wrote(key, await this.d.api.create(ns, s));
      for (const s of changes.update) this.tracker.wrote(key, await this.d.api.update(ns, s));
      for (const s of changes.delete) {
        try {
          await this.d.api.delete(ns, s.metadata!.name!);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        this.tracker.deleted(key, s.metadata!.name!);
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      if (ep) this.d.recorder.eventf(ep, 'Warning', 'FailedToUpdateEndpointSlices', 'Error updating Endpoint Slices for Endpoints %s: %s', key, errorMessage(e));
      throw e;
    }
  }
}

/** The mirrored endpoints, by address type and port mapping; at most `max` addresses per subset. */
export function desiredFromEndpoints(ep: Endpoints, max: number): { desired: Map<string, Map<string, PortGroup>>; skipped: number; invalid: number } {
  const desired = new Map<string, Map<string, PortGroup>>();
  let skipped = 0;
  let invalid = 0;
  for (const ss of ep.subsets ?? []) {
    const ports: EndpointPort[] = (ss.ports ?? []).map((p) => {
      const out: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol) out.appProtocol = p.appProtocol;
      return out;
    });
    const pk = portMapKey(ports);
    let added = 0;
    const add = (list: EndpointAddress[] | undefined, ready: boolean): void => {
      for (const a of list ?? []) {
        if (added >= max) { skipped++; continue; }
        const type = addressType(a.ip);
        if (!type) { invalid++; continue; }
        let byPorts = desired.get(type);
        if (!byPorts) desired.set(type, (byPorts = new Map()));
        let g = byPorts.get(pk);
        if (!g) byPorts.set(pk, (g = { ports, endpoints: new Map() }));
        const e = addressToEndpoint(a, ready);
        const k = endpointKey(e);
        if (!g.endpoints.has(k)) { g.endpoints.set(k, e); added++; }
      }
    };
    add((ss as EndpointSubset).addresses, true);
    add(ss.notReadyAddresses, false);
  }
  return { desired, skipped, invalid };
}

export interface MirroringControllerOptions {
  workers?: number;
  maxEndpointsPerSubset?: number;
}

/** The controller the manager runs as "endpointslicemirroring". */
export function endpointSliceMirroringController(o: MirroringControllerOptions = {}): Controller {
  return {
    name: 'endpointslicemirroring',
    async run(ctx: ControllerContext): Promise<void> {
      const svcInformer = ctx.informers.informerFor<Service>('v1', 'Service');
      const epInformer = ctx.informers.informerFor<Endpoints>('v1', 'Endpoints');
      const sliceInformer = ctx.informers.informerFor<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice');
      const queue = new WorkQueue<string>({ name: 'endpointslicemirroring', clock: ctx.clock });
      const c = new EndpointSliceMirroringController({
        services: svcInformer.lister(), endpoints: epInformer.lister(), slices: sliceInformer.lister(), api: restEndpointSliceApi(ctx.client),
        recorder: ctx.recorder('endpoint-slice-mirroring-controller'), logger: ctx.logger, queue, maxEndpointsPerSubset: o.maxEndpointsPerSubset,
      });
      const handles = [svcInformer.on(c.handler<Service>()), epInformer.on(c.handler<Endpoints>()), sliceInformer.on(c.sliceHandler())];
      try {
        if (!(await waitForSync(ctx.signal, svcInformer, epInformer, sliceInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
