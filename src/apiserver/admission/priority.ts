// The Priority admission plugin: a new pod's spec.priorityClassName is
// resolved to spec.priority (and spec.preemptionPolicy) from its
// PriorityClass; a pod naming none gets the globalDefault class's value, or 0.
// A pod may not state a priority that disagrees with its class. The two
// built-in classes every cluster has are created at bootstrap (SYSTEM_PRIORITY_CLASSES).

import { ApiError } from '../../base/errors.ts';
import type { Obj } from '../registry/codec.ts';
import type { Strategy } from '../registry/strategy.ts';

export interface PriorityClassSource {
  get(name: string): Promise<Obj | undefined>;
  list(): Promise<Obj[]>;
}

export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function forbidden(pod: Obj, why: string): ApiError {
  const name = String(pod.metadata?.name ?? '');
  return ApiError.forbidden(`pods "${name}" is forbidden: ${why}`, { name, kind: 'pods' });
}

/** Resolves priority for a pod being created. `statedPriority`: spec.priority as the client sent it (before defaulting). */
export async function admitPodPriority(pod: Obj, statedPriority: number | undefined, src: PriorityClassSource): Promise<void> {
  const spec = pod.spec ?? (pod.spec = {});
  let name = spec.priorityClassName as string | undefined;
  let value = 0;
  let policy = 'PreemptLowerPriority';
  if (name) {
    const pc = await src.get(name);
    if (!pc) throw forbidden(pod, `no PriorityClass with name ${name} was found`);
    value = Number(pc.value ?? 0);
    policy = pc.preemptionPolicy ?? policy;
  } else {
    // The global default with the lowest value, as upstream picks among several.
    let def: Obj | undefined;
    for (const pc of await src.list()) if (pc.globalDefault && (!def || Number(pc.value) < Number(def.value))) def = pc;
    if (def) {
      name = String(def.metadata.name);
      value = Number(def.value ?? 0);
      policy = def.preemptionPolicy ?? policy;
      spec.priorityClassName = name;
    }
  }
  if (statedPriority !== undefined && statedPriority !== value) {
    throw forbidden(pod, `the integer value of priority (${statedPriority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
  }
  spec.priority = value;
  spec.preemptionPolicy = policy;
}

/** The pod strategy with Priority admission before validation. */
export function withPriorityAdmission(base: Strategy, src: PriorityClassSource): Strategy {
  const stated = new WeakMap<Obj, number | undefined>();
  return {
    ...base,
    prepareForCreate(pod, ctx) {
      const p = pod.spec?.priority;
      stated.set(pod, typeof p === 'number' ? p : undefined);
      base.prepareForCreate?.(pod, ctx);
    },
    async beforeCreate(pod, ctx) {
      await admitPodPriority(pod, stated.get(pod), src);
      await base.beforeCreate?.(pod, ctx);
    },
  };
}
