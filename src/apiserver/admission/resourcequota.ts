// The ResourceQuota admission plugin (upstream plugin/pkg/admission/resourcequota):
// a create (or an update that charges more) in a namespace with quotas is
// refused with 403 Forbidden when it would take usage above a quota's hard
// limit — "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
// — or when a pod leaves out the requests/limits a quota constrains
// ("failed quota: q: must specify limits.cpu for: c"); otherwise the charge
// is written into the quotas' status.used before the object is stored.
//
// Guarantees. Every charge is a compare-and-swap of the quota's status on its
// resourceVersion, so concurrent admissions — in this server or in other
// servers on the same datastore — never both succeed against the same
// observed usage: the sum of admitted charges never exceeds `hard`. Within
// one server, admissions in a namespace with an applicable quota are
// serialized (fewer conflicts; namespaces without one take no lock); a lost
// race re-reads the quotas not yet written and checks them again (up to
// MAX_RETRIES); a request refused then gives back (best effort, by CAS) what
// it had already charged on other quotas. A charge for a write that then
// fails (e.g. the name already exists) stays until the ResourceQuota
// controller recounts (on
// deletions and every resync period), as upstream: usage may be over-counted
// for a while, never under-counted by admission. (The controller's recount
// works from its caches and can briefly miss an object admitted a moment
// earlier; upstream has the same window.) Dry runs are checked but charge
// nothing. A quota whose status.hard is not set yet does not apply.

import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { ResourceInfo } from '../../api/resources.ts';
import { qualifiedName } from '../../api/resources.ts';
import {
  add, evaluatorFor, isQuotaIgnored, isZero, lessThanOrEqual, mask, negatives, prettyPrint, quotaMatches, subtractNonNegative,
  equals, type ResourceList,
} from '../../api/quota/index.ts';
import { ApiError } from '../../base/errors.ts';
import type { ResourceREST } from '../registry/rest.ts';
import type { RequestContext } from '../registry/strategy.ts';

type Obj = Record<string, any>;

export const MAX_RETRIES = 10;

export interface AdmissionAttributes {
  /** Deletions are never charged (the controller gives usage back). */
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  info: ResourceInfo;
  namespace: string;
  /** '' for the main resource. */
  subresource: string;
  obj: Obj;
  old?: Obj;
  dryRun: boolean;
}

/** Where quotas are read and their status written. */
export interface QuotaAccess {
  list(namespace: string): Promise<ResourceQuota[]>;
  /** Writes status; must fail with a 409 Conflict ApiError when the resourceVersion is stale. */
  updateStatus(rq: ResourceQuota): Promise<void>;
}

/** Runs `fn` after every earlier call with the same key has finished. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => { release = r; });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

function forbidden(a: AdmissionAttributes, message: string): ApiError {
  const name = String(a.obj.metadata?.name ?? '');
  const q = qualifiedName(a.info);
  return ApiError.forbidden(name ? `${q} "${name}" is forbidden: ${message}` : `${q} is forbidden: ${message}`,
    { name: name || undefined, group: a.info.group || undefined, kind: a.info.plural });
}

interface Charge {
  rq: ResourceQuota;
  requested: ResourceList;
}

const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;

export class ResourceQuotaAdmission {
  private readonly lock = new KeyedMutex();

  constructor(private readonly quotas: QuotaAccess, private readonly now: () => number = Date.now) {}

  /** Throws a Forbidden ApiError to refuse; returns once the charge (if any) is recorded. */
  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'DELETE' || !a.info.namespaced || !a.namespace || isQuotaIgnored(a.info.group, a.info.plural)) return;
    // Status and other subresource writes never change what is charged — and this plugin's own
    // quota status writes must not come back here (they are made while holding the namespace lock).
    if (a.subresource !== '') return;
    const ev = evaluatorFor(a.info.group, a.info.plural);
    if (!ev.handles(a.operation, a.obj, a.old, a.subresource)) return;
    // The common case — no quota applies — takes no lock: creates in a namespace without quotas stay concurrent.
    const quotas = await this.quotas.list(a.namespace);
    if (!quotas.some((q) => quotaMatches(ev, q, this.withNamespace(a)))) return;
    await this.lock.run(a.namespace, () => this.chargeWithRetries(a));
  }

  private async chargeWithRetries(a: AdmissionAttributes): Promise<void> {
    let pending: Set<string> | undefined; // names of quotas still to charge (after a conflict)
    const charged: Charge[] = [];
    try {
      for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
        let quotas = await this.quotas.list(a.namespace);
        if (pending) quotas = quotas.filter((q) => pending!.has(q.metadata?.name ?? ''));
        if (!quotas.length) return;
        const charges = this.check(a, quotas);
        if (a.dryRun || !charges.length) return;
        // Stop at the first lost race: the quotas not written yet are checked again with it.
        const left = new Set<string>();
        for (const c of charges) {
          if (left.size) { left.add(c.rq.metadata?.name ?? ''); continue; }
          try {
            await this.quotas.updateStatus(c.rq);
            charged.push(c);
          } catch (e) {
            if (!isConflict(e)) throw e;
            left.add(c.rq.metadata?.name ?? '');
          }
        }
        if (!left.size) return;
        pending = left;
      }
      throw ApiError.internal(`resource quota evaluation failed: too many conflicts updating quotas in namespace ${a.namespace}`);
    } catch (e) {
      // Refused after some quotas were charged: give those charges back, so a refused request costs nothing.
      await this.refund(a.namespace, charged);
      throw e;
    }
  }

  /** Best effort: subtract each charge again (compare-and-swap, re-read on conflict); the controller's recount covers a failure. */
  private async refund(namespace: string, charged: readonly Charge[]): Promise<void> {
    for (const c of charged) {
      const name = c.rq.metadata?.name ?? '';
      for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
        try {
          const cur = (await this.quotas.list(namespace)).find((q) => q.metadata?.name === name);
          if (!cur?.status?.used) break;
          await this.quotas.updateStatus({ ...cur, status: { ...cur.status, used: subtractNonNegative(cur.status.used as ResourceList, mask(c.requested, Object.keys(cur.status.used))) } });
          break;
        } catch (e) {
          if (!isConflict(e)) break;
        }
      }
    }
  }

  private withNamespace(a: AdmissionAttributes): Obj {
    return a.obj.metadata?.namespace ? a.obj : { ...a.obj, metadata: { ...a.obj.metadata, namespace: a.namespace } };
  }

  /**
   * checkRequest: refuses (throws) or returns the quotas with their new
   * status.used — only those whose usage changes — and what each is charged.
   */
  check(a: AdmissionAttributes, quotas: readonly ResourceQuota[]): Charge[] {
    const ev = evaluatorFor(a.info.group, a.info.plural);
    const obj = this.withNamespace(a);
    const interesting: ResourceQuota[] = [];
    for (const rq of quotas) {
      if (!quotaMatches(ev, rq, obj)) continue;
      const name = rq.metadata?.name ?? '';
      const restricted = ev.matchingResources(Object.keys(rq.status?.hard ?? {}));
      const err = ev.constraints(restricted, obj);
      if (err) throw forbidden(a, `failed quota: ${name}: ${err}`);
      const used = rq.status?.used ?? {};
      const unknown = restricted.filter((r) => !(r in used));
      if (unknown.length) throw forbidden(a, `status unknown for quota: ${name}, resources: ${[...restricted].sort().join(',')}`);
      interesting.push(rq);
    }
    if (!interesting.length) return [];

    const nowMs = this.now();
    let delta = ev.usage(obj, nowMs);
    const negative = negatives(delta);
    if (negative.length) throw forbidden(a, `quota usage is negative for resource(s): ${negative.join(',')}`);
    if (a.operation === 'UPDATE' && a.old?.metadata?.resourceVersion) delta = subtractNonNegative(delta, ev.usage(a.old, nowMs));
    if (isZero(delta)) return [];

    const out: Charge[] = [];
    for (const rq of interesting) {
      const hard = (rq.status?.hard ?? {}) as ResourceList;
      const used = (rq.status?.used ?? {}) as ResourceList;
      const requested = mask(delta, Object.keys(hard));
      const newUsage = add(used, requested);
      const { ok, exceeded } = lessThanOrEqual(mask(newUsage, Object.keys(requested)), hard);
      if (!ok) {
        throw forbidden(a, `exceeded quota: ${rq.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, `
          + `used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`);
      }
      if (equals(newUsage, used)) continue;
      out.push({ rq: { ...rq, status: { ...rq.status, used: newUsage } }, requested });
    }
    return out;
  }
}

/** Quotas read from the store and written through the resourcequotas REST (status subresource, CAS on resourceVersion). */
export function restQuotaAccess(rest: ResourceREST): QuotaAccess {
  return {
    async list(namespace) {
      const page = await rest.store.list(`${rest.prefix}${namespace}/`);
      return page.items.map((kv) => rest.decode(kv) as ResourceQuota);
    },
    async updateStatus(rq) {
      const ctx: RequestContext = {
        user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date(), dryRun: false,
        fieldManager: 'kube-apiserver', fieldManagerDefaulted: false, fieldValidation: 'Ignore', warnings: [],
      };
      await rest.update(rq.metadata!.namespace!, rq.metadata!.name!, rq as Obj, ctx, 'status');
    },
  };
}
