// Services: a cluster IP from the Service range and node ports from
// 30000-32767, taken before the write and given back when no longer held.

import { ApiError } from '../../../base/errors.ts';
import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';
import { prepareServiceUpdate } from '../../../api/defaults/index.ts';
import { clusterIPsOf, needsNodePorts, nodePortsOf, type ServiceAllocators } from '../allocators/service-allocators.ts';

export function serviceStrategy(alloc: ServiceAllocators): Strategy {
  const take = (svc: Obj, old: Obj | undefined): void => {
    const errs = [];
    const wantsIP = svc.spec?.type !== 'ExternalName';
    const hadIP = old ? clusterIPsOf(old).length > 0 || old.spec?.clusterIP === 'None' : false;
    if (wantsIP && !hadIP) errs.push(...alloc.allocateIP(svc));
    if (needsNodePorts(svc)) errs.push(...alloc.allocatePorts(svc, new Set(old ? nodePortsOf(old) : [])));
    if (errs.length) {
      // Undo what this call took before failing.
      giveBack(svc, old);
      throw ApiError.invalid('Service', '', String(svc.metadata.name), errs);
    }
  };
  /** Release what `svc` holds and `old` does not. */
  const giveBack = (svc: Obj, old: Obj | undefined): void => {
    const keepIPs = new Set(old ? clusterIPsOf(old) : []);
    const keepPorts = new Set(old ? nodePortsOf(old) : []);
    alloc.release({ spec: { clusterIPs: clusterIPsOf(svc).filter((ip) => !keepIPs.has(ip)), ports: nodePortsOf(svc).filter((p) => !keepPorts.has(p)).map((nodePort) => ({ nodePort })) } });
  };
  return {
    prepareForCreate(svc) {
      svc.status = { loadBalancer: {} };
    },
    // Allocated values the client left out are kept, as upstream does.
    prepareForUpdate(svc, old) { prepareServiceUpdate(svc, old); },
    beforeCreate(svc) { take(svc, undefined); },
    beforeUpdate(svc, old) { take(svc, old); },
    rollback(svc, old) { giveBack(svc, old); },
    afterUpdate(svc, old) { giveBack(old, svc); },
    afterDelete(svc) { alloc.release(svc); },
  };
}
