// Which Strategy each served resource uses.

import type { ResourceInfo } from '../../../api/resources.ts';
import type { Strategy, UserInfo } from '../strategy.ts';
import type { ServiceAllocators } from '../allocators/service-allocators.ts';
import { podStrategy } from './pods.ts';
import { withPriorityAdmission, type PriorityClassSource } from '../../admission/priority.ts';
import { namespaceStrategy } from './namespaces.ts';
import { serviceStrategy } from './services.ts';
import * as w from './workloads.ts';
import { csrStrategy } from '../csr.ts';
import type { Authorizer } from '../../auth/rbac/authorizer.ts';

const plain: Strategy = {};
const createOnUpdate: Strategy = { allowCreateOnUpdate: true };
const resetStatus = (status: () => Record<string, unknown>): Strategy => ({ prepareForCreate(o) { o.status = status(); } });

/** Checks writes of RBAC objects against escalation (set once authorization is on). */
export interface RbacWriteGuard {
  checkRole(user: UserInfo, obj: Record<string, unknown>, plural: 'roles' | 'clusterroles'): void;
  checkBinding(user: UserInfo, obj: Record<string, unknown>, plural: 'rolebindings' | 'clusterrolebindings'): void;
}

function rbacStrategy(plural: 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings', guard: () => RbacWriteGuard | undefined): Strategy {
  const check = (obj: Record<string, unknown>, user: UserInfo): void => {
    const g = guard();
    if (!g) return;
    if (plural === 'roles' || plural === 'clusterroles') g.checkRole(user, obj, plural);
    else g.checkBinding(user, obj, plural);
  };
  return {
    beforeCreate(obj, ctx) { check(obj, ctx.user); },
    beforeUpdate(obj, _old, ctx) { check(obj, ctx.user); },
  };
}

export function strategyFor(res: ResourceInfo, deps: { serviceAllocators: ServiceAllocators; rbacGuard?: () => RbacWriteGuard | undefined; priorityClasses?: PriorityClassSource; authorizer?: () => Authorizer | undefined }): Strategy {
  const key = `${res.group}/${res.kind}`;
  switch (key) {
    case '/Pod': return deps.priorityClasses ? withPriorityAdmission(podStrategy, deps.priorityClasses) : podStrategy;
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
    case 'certificates.k8s.io/CertificateSigningRequest': return csrStrategy(deps.authorizer ?? (() => undefined));
    case 'rbac.authorization.k8s.io/Role': return rbacStrategy('roles', deps.rbacGuard ?? (() => undefined));
    case 'rbac.authorization.k8s.io/ClusterRole': return rbacStrategy('clusterroles', deps.rbacGuard ?? (() => undefined));
    case 'rbac.authorization.k8s.io/RoleBinding': return rbacStrategy('rolebindings', deps.rbacGuard ?? (() => undefined));
    case 'rbac.authorization.k8s.io/ClusterRoleBinding': return rbacStrategy('clusterrolebindings', deps.rbacGuard ?? (() => undefined));
    default: return plain;
  }
}
