// All served resources, each a ResourceREST over the one store.

import { RESOURCES, findResource, isVirtual, type ResourceInfo } from '../../api/resources.ts';
import type { Store } from '../../storage/store.ts';
import { ResourceREST, type NamespaceLookup, type StorageForm } from './rest.ts';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.ts';
import { strategyFor, type RbacWriteGuard } from './strategies/index.ts';
import { ServiceAllocators } from './allocators/service-allocators.ts';
import type { PriorityClassSource } from '../admission/priority.ts';
import type { Authorizer } from '../auth/rbac/authorizer.ts';
import { resourcePrefix } from './codec.ts';
import type { EncryptionConfig } from '../encryption/config.ts';
import { ResourceQuotaAdmission, restQuotaAccess } from '../admission/resourcequota.ts';
import { defaultAdmissionChain } from '../admission/plugins.ts';
import type { AdmissionChain } from '../admission/chain.ts';

/** events.k8s.io Events live with core Events (see event-conversion.ts). */
function storageFormFor(info: ResourceInfo): StorageForm | undefined {
  if (info.group !== 'events.k8s.io') return undefined;
  return { prefix: resourcePrefix('', 'events'), toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 };
}

export interface RegistryOptions {
  serviceCidr: string;
  nodePortRange: [number, number];
  /** Encryption at rest (--encryption-provider-config). */
  encryption?: EncryptionConfig;
}

export class Registry implements NamespaceLookup {
  private readonly rests = new Map<string, ResourceREST>();
  readonly serviceAllocators: ServiceAllocators;
  /** Escalation checks on RBAC writes; undefined while authorization is off. */
  rbacGuard?: RbacWriteGuard;
  /** Decisions made inside writes (CSR approve/sign on signers); undefined while authorization is off. */
  authorizer?: Authorizer;
  /** The admission plugins every write passes (admission/plugins.ts). */
  readonly admission: AdmissionChain;

  constructor(readonly store: Store, opts: RegistryOptions) {
    this.serviceAllocators = new ServiceAllocators(store, opts.serviceCidr, opts.nodePortRange);
    for (const info of RESOURCES) {
      if (isVirtual(info)) continue;
      const rest = new ResourceREST(info, strategyFor(info, { serviceAllocators: this.serviceAllocators, rbacGuard: () => this.rbacGuard, priorityClasses: this.priorityClasses, authorizer: () => this.authorizer }), store, this, storageFormFor(info));
      // events.k8s.io Events are stored as core events, so they are encrypted as those.
      const stored = info.group === 'events.k8s.io' ? { group: '', plural: 'events' } : info;
      rest.transformer = opts.encryption?.transformerFor(stored.group, stored.plural);
      this.rests.set(`${info.group}/${info.version}/${info.plural}`, rest);
    }
    const quota = new ResourceQuotaAdmission(restQuotaAccess(this.rest('', 'v1', 'resourcequotas')!));
    this.admission = defaultAdmissionChain(this, quota);
    for (const rest of this.rests.values()) {
      rest.mutatingAdmission = (a) => this.admission.admit(a);
      rest.admission = (a) => this.admission.validate(a);
    }
  }

  /** PriorityClasses read straight from the store, for the Priority admission of pods. */
  private readonly priorityClasses: PriorityClassSource = {
    get: async (name) => {
      const rest = this.rest('scheduling.k8s.io', 'v1', 'priorityclasses')!;
      const kv = await this.store.get(rest.key('', name));
      return kv ? rest.decode(kv) : undefined;
    },
    list: async () => {
      const rest = this.rest('scheduling.k8s.io', 'v1', 'priorityclasses')!;
      return (await this.store.list(rest.prefix)).items.map((kv) => rest.decode(kv));
    },
  };

  /** Check the store's allocations against the stored Services. */
  async start(): Promise<void> {
    const svc = this.rest('', 'v1', 'services')!;
    const list = await this.store.list(svc.prefix);
    await this.serviceAllocators.repair(list.items.map((kv) => svc.decode(kv)));
    // Every resource's watch cache follows the store from now on, so a watch
    // from a list made after start is served from the cache, as upstream.
    await Promise.all([...this.rests.values()].map((r) => r.watchCache().start()));
  }

  /** Stops the watch caches (before the store closes). */
  stop(): void {
    for (const r of this.rests.values()) r.stopWatchCache();
  }

  rest(group: string, version: string, plural: string): ResourceREST | undefined {
    return this.rests.get(`${group}/${version}/${plural}`);
  }

  info(group: string, version: string, plural: string): ResourceInfo | undefined {
    return findResource(group, version, plural);
  }

  async namespacePhase(name: string): Promise<'Active' | 'Terminating' | undefined> {
    const ns = this.rest('', 'v1', 'namespaces')!;
    const kv = await this.store.get(ns.key('', name));
    if (!kv) return undefined;
    const obj = ns.decode(kv);
    return obj.status?.phase === 'Terminating' || obj.metadata?.deletionTimestamp ? 'Terminating' : 'Active';
  }
}
