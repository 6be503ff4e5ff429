// Pods: status starts Pending with a QoS class; pods on a node are deleted
// gracefully (the kubelet finishes the deletion); binding sets spec.nodeName.

import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';
import { admitPodCreate } from '../../admission/pods.ts';

export const podStrategy: Strategy = {
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: qosClass(pod) };
    admitPodCreate(pod);
  },
  gracePeriod(pod, opts) {
    if (!pod.spec?.nodeName) return undefined;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const g = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    return g > 0 ? g : undefined;
  },
};

/** Guaranteed when every container's requests equal its limits for cpu and memory; BestEffort with none at all. */
export function qosClass(pod: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...((pod.spec?.containers ?? []) as Obj[]), ...((pod.spec?.initContainers ?? []) as Obj[])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = (c.resources?.requests ?? {}) as Record<string, string>;
    const lim = (c.resources?.limits ?? {}) as Record<string, string>;
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const want = req[r] ?? lim[r];
      if (lim[r] === undefined || want !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
