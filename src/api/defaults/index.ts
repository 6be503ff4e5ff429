// TEMPORARY placeholder written by the coordinator so the server can start
// while helper-3 writes the real defaulting; helper-3 replaces this file whole.
import type { ResourceInfo } from '../resources.ts';

export function applyDefaults(res: ResourceInfo, obj: any): void {
  if (res.kind === 'Service') { obj.spec.internalTrafficPolicy ??= 'Cluster'; obj.spec.type ??= 'ClusterIP'; obj.spec.sessionAffinity ??= 'None'; }
}

export function jobSelectorDefaults(job: any, uid: string): void {
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': uid, 'job-name': job.metadata.name };
  job.spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  job.spec.template.metadata = { ...(job.spec.template.metadata ?? {}), labels: { ...(job.spec.template.metadata?.labels ?? {}), ...labels } };
}
