// A pod's total requests and limits as the scheduler and quota see them
// (upstream component-helpers resource.PodRequests / PodLimits): the sum of
// its containers, at least the largest init container (plus the sidecars
// started before it), sidecars (restartable init containers) always added,
// plus the pod overhead.

import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { add, max, type ResourceList } from './resource-list.ts';

type Pick = (c: Container) => ResourceList | undefined;

function total(pod: Pod, pick: Pick): ResourceList {
  let sum: ResourceList = {};
  for (const c of pod.spec?.containers ?? []) sum = add(sum, pick(c) ?? {});
  let sidecars: ResourceList = {};
  let initMax: ResourceList = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = pick(c) ?? {};
    let effective: ResourceList;
    if (c.restartPolicy === 'Always') {
      sum = add(sum, own);
      sidecars = add(sidecars, own);
      effective = sidecars;
    } else {
      effective = add(own, sidecars);
    }
    initMax = max(initMax, effective);
  }
  return max(sum, initMax);
}

export function podRequests(pod: Pod): ResourceList {
  const reqs = total(pod, (c) => c.resources?.requests as ResourceList | undefined);
  return pod.spec?.overhead ? add(reqs, pod.spec.overhead as ResourceList) : reqs;
}

export function podLimits(pod: Pod): ResourceList {
  const limits = total(pod, (c) => c.resources?.limits as ResourceList | undefined);
  // Overhead counts only for resources that have a limit.
  for (const [k, v] of Object.entries((pod.spec?.overhead ?? {}) as ResourceList)) {
    if (k in limits) limits[k] = add({ [k]: limits[k] }, { [k]: v })[k];
  }
  return limits;
}
