// Services: a cluster IP from the Service range and node ports from
// 30000-32767, taken before the write and given back when no longer held.

import { ApiError, type FieldError } from '../../../base/errors.ts';
import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';
import { prepareServiceUpdate } from '../../../api/defaults/index.ts';
import { clusterIPsOf, needsNodePorts, nodePortsOf, ownerOf, type ServiceAllocators, type Taken } from '../allocators/service-allocators.ts';

export function serviceStrategy(alloc: ServiceAllocators): Strategy {
  // What each in-flight write took, so a failed write gives back exactly that.
  const takenFor = new WeakMap<Obj, Taken>();

  const take = async (svc: Obj, old: Obj | undefined, dryRun: boolean): Promise<void> => {
    const taken: Taken = [];
    takenFor.set(svc, taken);
    const errs: FieldError[] = [];
    const owner = ownerOf(svc);
    const wantsIP = svc.spec?.type !== 'ExternalName';
    const hadIP = old ? clusterIPsOf(old).length > 0 || old.spec?.clusterIP === 'None' : false;
    if (wantsIP && !hadIP) errs.push(...await alloc.allocateIP(svc, owner, dryRun, taken));
    if (needsNodePorts(svc)) errs.push(...await alloc.allocatePorts(svc, new Set(old ? nodePortsOf(old) : []), owner, dryRun, taken));
    if (errs.length) {
      await alloc.giveBack(taken);
      throw ApiError.invalid('Service', '', String(svc.metadata.name), errs);
    }
  };

  return {
    prepareForCreate(svc) {
      svc.status = { loadBalancer: {} };
    },
    // Allocated values the client left out are kept, as upstream does.
    prepareForUpdate(svc, old) { prepareServiceUpdate(svc, old); },
    beforeCreate(svc, ctx) { return take(svc, undefined, ctx.dryRun); },
    beforeUpdate(svc, old, ctx) { return take(svc, old, ctx.dryRun); },
    async rollback(svc) { await alloc.giveBack(takenFor.get(svc) ?? []); },
    async afterUpdate(svc, old) {
      // Values the old Service held that the new one does not.
      const ips = new Set(clusterIPsOf(svc));
      const ports = new Set(nodePortsOf(svc));
      await alloc.release(clusterIPsOf(old).filter((ip) => !ips.has(ip)), nodePortsOf(old).filter((p) => !ports.has(p)));
    },
    async afterDelete(svc) { await alloc.release(clusterIPsOf(svc), nodePortsOf(svc)); },
  };
}
