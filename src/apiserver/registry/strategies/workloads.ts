// Controllers' objects: generation tracks spec changes and status starts as
// upstream's zero value for the kind.

import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';
import { jobSelectorDefaults } from '../../../api/defaults/index.ts';

function withInitialStatus(status: () => Obj): Strategy {
  return { tracksGeneration: true, prepareForCreate(obj) { obj.status = status(); } };
}

export const deploymentStrategy = withInitialStatus(() => ({}));
export const replicaSetStrategy = withInitialStatus(() => ({ replicas: 0 }));
export const replicationControllerStrategy = withInitialStatus(() => ({ replicas: 0 }));
export const statefulSetStrategy = withInitialStatus(() => ({ replicas: 0, availableReplicas: 0 }));
export const daemonSetStrategy = withInitialStatus(() => ({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }));
export const cronJobStrategy = withInitialStatus(() => ({}));
export const pdbStrategy = withInitialStatus(() => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }));

export const jobStrategy: Strategy = {
  tracksGeneration: true,
  prepareForCreate(job) {
    job.status = {};
    // The selector is generated from the uid unless the user manages it.
    if (job.spec?.manualSelector !== true) jobSelectorDefaults(job, job.metadata.uid as string);
  },
};
