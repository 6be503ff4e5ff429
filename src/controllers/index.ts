// Every controller the controller manager runs. Add a line per controller.

import type { Controller } from './types.ts';
import { namespaceController } from './namespace/index.ts';
import { serviceAccountController } from './serviceaccount/index.ts';
import { rootCACertPublisher } from './rootcacert/index.ts';
import { garbageCollectorController } from './garbagecollector/index.ts';
import { replicaSetController } from './replicaset/index.ts';
import { deploymentController } from './deployment/index.ts';
import { jobController } from './job/index.ts';
import { cronJobController } from './cronjob/index.ts';
import { ttlAfterFinishedController } from './ttlafterfinished/index.ts';
import { daemonSetController } from './daemonset/index.ts';
import { statefulSetController } from './statefulset/index.ts';
import { disruptionController } from './disruption/index.ts';
import { nodeLifecycleController, taintEvictionController } from './nodelifecycle/index.ts';
import { nodeIpamController } from './nodeipam/index.ts';
import { endpointsController } from './endpoints/index.ts';
import { endpointSliceController } from './endpointslice/index.ts';
import { resourceQuotaController } from './resourcequota/index.ts';
import { clusterRoleAggregationController } from './clusterroleaggregation/index.ts';
import { endpointSliceMirroringController } from './endpointslicemirroring/index.ts';
import { csrApprovingController, csrCleanerController, csrSigningController } from './certificates/index.ts';
import { tokenCleanerController } from './tokencleaner/index.ts';

export const CONTROLLERS: Controller[] = [
  namespaceController(),
  serviceAccountController(),
  rootCACertPublisher(),
  garbageCollectorController(),
  replicaSetController(),
  deploymentController(),
  jobController(),
  cronJobController(),
  ttlAfterFinishedController(),
  daemonSetController(),
  statefulSetController(),
  disruptionController(),
  nodeLifecycleController(),
  taintEvictionController(),
  nodeIpamController(),
  endpointsController(),
  endpointSliceController(),
  resourceQuotaController(),
  clusterRoleAggregationController(),
  endpointSliceMirroringController(),
  csrSigningController(),
  csrApprovingController(),
  csrCleanerController(),
  tokenCleanerController(),
];
