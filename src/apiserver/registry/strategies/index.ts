// Which Strategy each served resource uses.

import type { ResourceInfo } from '../../../api/resources.ts';
import type { Strategy } from '../strategy.ts';
import type { ServiceAllocators } from '../allocators/service-allocators.ts';
import { podStrategy } from './pods.ts';
import { namespaceStrategy } from './namespaces.ts';
import { serviceStrategy } from './services.ts';
import * as w from './workloads.ts';

const plain: Strategy = {};
const createOnUpdate: Strategy = { allowCreateOnUpdate: true };
const resetStatus = (status: () => Record<string, unknown>): Strategy => ({ prepareForCreate(o) { o.status = status(); } });

export function strategyFor(res: ResourceInfo, deps: { serviceAllocators: ServiceAllocators }): Strategy {
  const key = `${res.group}/${res.kind}`;
  switch (key) {
    case '/Pod': return podStrategy;
    case '/Namespace': return namespaceStrategy;
    case '/Service': return serviceStrategy(deps.serviceAllocators);
    case '/Endpoints': case '/Event': case 'events.k8s.io/Event': case 'coordination.k8s.io/Lease': return createOnUpdate;
    case '/PersistentVolume': case '/PersistentVolumeClaim': return resetStatus(() => ({ phase: 'Pending' }));
    case '/ResourceQuota': return resetStatus(() => ({}));
    case '/ReplicationController': return w.replicationControllerStrategy;
    case 'apps/Deployment': return w.deploymentStrategy;
    case 'apps/ReplicaSet': return w.replicaSetStrategy;
    case 'apps/StatefulSet': return w.statefulSetStrategy;
    case 'apps/DaemonSet': return w.daemonSetStrategy;
    case 'batch/Job': return w.jobStrategy;
    case 'batch/CronJob': return w.cronJobStrategy;
    case 'policy/PodDisruptionBudget': return w.pdbStrategy;
    default: return plain;
  }
}
