// Whether a node should run a DaemonSet's pod (daemon_controller.go's
// NodeShouldRunDaemonPod): the pod the DaemonSet would put there — its
// template plus the default daemon tolerations — must fit the node's name,
// its required node constraints and its NoSchedule/NoExecute taints.
//
// Two answers, as upstream gives them:
//  - shouldRun: a pod should be created there if there is none;
//  - shouldContinueRunning: a pod already there may stay. A NoSchedule taint
//    the pod does not tolerate keeps new pods off but leaves existing ones
//    alone; only an untolerated NoExecute taint (or no longer matching the
//    node's labels) removes them.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { podFitsNodeAffinity } from './node-affinity.ts';
import { addDaemonPodTolerations, findUntoleratedTaint } from './tolerations.ts';

export interface NodeVerdict {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

const podSpecs = new WeakMap<object, PodSpec>();

/** The template's spec with the daemon tolerations, built once per (immutable, cached) template. */
function daemonPodSpec(ds: DaemonSet): PodSpec {
  const spec = ds.spec?.template?.spec;
  if (!spec) {
    const s: PodSpec = { containers: [] };
    addDaemonPodTolerations(s);
    return s;
  }
  let s = podSpecs.get(spec);
  if (!s) {
    // A shallow copy is enough: only `tolerations` is replaced (with a new array).
    s = { ...spec };
    addDaemonPodTolerations(s);
    podSpecs.set(spec, s);
  }
  return s;
}

/** NewPod: the pod the DaemonSet would run on `nodeName`, for predicates only (never sent to the API). */
export function newDaemonPod(ds: DaemonSet, nodeName: string): Pod {
  return {
    metadata: { ...(ds.spec?.template?.metadata ?? {}), namespace: ds.metadata?.namespace },
    spec: { ...daemonPodSpec(ds), nodeName },
  };
}

const schedulingEffect = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
const executionEffect = (t: Taint): boolean => t.effect === 'NoExecute';

export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeVerdict {
  const nodeName = node.metadata?.name ?? '';
  // A template pinned to one node (spec.nodeName) is for that node only.
  const pinned = ds.spec?.template?.spec?.nodeName;
  if (pinned && pinned !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  const pod = newDaemonPod(ds, nodeName);
  if (!podFitsNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  const tolerations = pod.spec?.tolerations;
  if (findUntoleratedTaint(taints, tolerations, schedulingEffect)) {
    // Scheduled daemon pods keep running unless a NoExecute taint is not tolerated.
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, executionEffect) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
