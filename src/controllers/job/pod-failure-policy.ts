// spec.podFailurePolicy (upstream pod_failure_policy.go): the first rule a
// failed pod matches decides — FailJob fails the whole Job at once, Ignore
// does not count the failure against backoffLimit, Count counts it as usual.
// FailIndex needs backoffLimitPerIndex, which this controller does not
// implement; such a rule counts the failure.

import type { PodFailurePolicy } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';

export interface PolicyMatch {
  /** Set for a FailJob rule: the message of the Job's failure. */
  failJobMessage?: string;
  /** Whether the failure counts toward backoffLimit. */
  countFailed: boolean;
  /** The matched rule's action, if any rule matched. */
  action?: string;
}

function matchingContainer(statuses: readonly ContainerStatus[] | undefined, req: NonNullable<PodFailurePolicy['rules'][number]['onExitCodes']>): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    if (req.containerName && req.containerName !== cs.name) continue;
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    const listed = req.values.includes(code);
    if (req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false) return cs;
  }
  return undefined;
}

function matchingCondition(conditions: readonly PodCondition[] | undefined, patterns: NonNullable<PodFailurePolicy['rules'][number]['onPodConditions']>): PodCondition | undefined {
  for (const c of conditions ?? []) {
    for (const p of patterns) if (c.type === p.type && c.status === (p.status ?? 'True')) return c;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PolicyMatch {
  if (!policy) return { countFailed: true };
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    let what: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!cs) continue;
      what = `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${cs.state!.terminated!.exitCode}`;
    } else if (rule.onPodConditions) {
      const c = matchingCondition(pod.status?.conditions, rule.onPodConditions);
      if (!c) continue;
      what = `Pod ${ns}/${name} has condition ${c.type}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore': return { countFailed: false, action: rule.action };
      case 'FailJob': return { countFailed: true, action: rule.action, failJobMessage: `${what} matching FailJob rule at index ${i}` };
      default: return { countFailed: true, action: rule.action };
    }
  }
  return { countFailed: true };
}
