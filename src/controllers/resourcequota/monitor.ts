// Which objects the ResourceQuota controller counts, and when their changes
// call for a recount (upstream's QuotaMonitor): an informer per counted
// resource, requested the first time a quota names it. Deletions always
// replenish; updates only when what the object charges changed (a pod
// finishing, a Service changing type, a claim resizing). Creations do not:
// the admission plugin charged them already, and a recount from a cache that
// does not yet show objects admitted a moment ago would under-count.

import type { ResourceInfo } from '../../api/resources.ts';
import { RESOURCES, apiVersionOf } from '../../api/resources.ts';
import { equals, evaluatorFor } from '../../api/quota/index.ts';
import type { Clock, Disposable } from '../../base/clock.ts';
import type { Informer, KubeObject } from '../../client/index.ts';
import { RetryLater } from '../worker.ts';

type Obj = Record<string, any>;

export interface InformerSource {
  informerFor<T extends KubeObject>(apiVersion: string, kind: string): Informer<T>;
}

/** The preferred (first registered) version of group/plural. */
function resourceInfo(group: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.plural === plural && r.verbs.includes('list') && r.verbs.includes('watch'));
}

export class QuotaMonitor {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly handles: Disposable[] = [];

  constructor(
    private readonly source: InformerSource,
    private readonly clock: Clock,
    /** Called with the namespace and group/resource whose usage went down or changed. */
    private readonly replenish: (group: string, plural: string, namespace: string) => void,
    /** Whether the namespace has quotas at all (else its changes are not even measured). */
    private readonly hasQuotas: (namespace: string) => boolean = () => true,
  ) {}

  /** Starts watching group/plural (once); false when no such resource is served. */
  monitor(group: string, plural: string): Informer<KubeObject> | undefined {
    const key = `${group}/${plural}`;
    const have = this.informers.get(key);
    if (have) return have;
    const info = resourceInfo(group, plural);
    if (!info || !info.namespaced) return undefined;
    const inf = this.source.informerFor<KubeObject>(apiVersionOf(info), info.kind);
    this.informers.set(key, inf);
    const ev = evaluatorFor(group, plural);
    const ns = (o: KubeObject): string => o.metadata?.namespace ?? '';
    this.handles.push(inf.on({
      update: (old, cur) => {
        if (old === cur || old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        if (!this.hasQuotas(ns(cur))) return;
        const now = this.clock.now();
        if (!equals(ev.usage(old as Obj, now), ev.usage(cur as Obj, now))) this.replenish(group, plural, ns(cur));
      },
      delete: (o) => this.replenish(group, plural, ns(o)),
    }));
    return inf;
  }

  /** The namespace's cached objects; RetryLater while the informer has not synced; undefined for an unknown resource. */
  list(group: string, plural: string, namespace: string): readonly Obj[] | undefined {
    const inf = this.monitor(group, plural);
    if (!inf) return undefined;
    if (!inf.hasSynced()) throw new RetryLater(`waiting for the ${plural}${group ? `.${group}` : ''} informer to sync`, { maxMs: 2000 });
    return inf.lister().list(namespace) as readonly Obj[];
  }

  dispose(): void {
    for (const h of this.handles) h.dispose();
  }
}
