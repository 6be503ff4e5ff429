// Every controller the controller manager runs. Add a line per controller.

import type { Controller } from './types.ts';
import { namespaceController } from './namespace/index.ts';
import { serviceAccountController } from './serviceaccount/index.ts';
import { rootCACertPublisher } from './rootcacert/index.ts';
import { garbageCollectorController } from './garbagecollector/index.ts';
import { replicaSetController } from './replicaset/index.ts';
import { deploymentController } from './deployment/index.ts';

export const CONTROLLERS: Controller[] = [
  namespaceController(),
  serviceAccountController(),
  rootCACertPublisher(),
  garbageCollectorController(),
  replicaSetController(),
  deploymentController(),
];
