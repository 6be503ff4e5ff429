// The endpoints.kubernetes.io/last-change-trigger-time annotation (upstream's
// TriggerTimeTracker): the earliest time, among the changes a sync is about to
// publish, at which one of them happened — a pod's Ready transition or the
// Service's creation — so that network-programming latency can be measured
// from there. A sync that publishes no such change leaves the annotation out.

import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { parseTime } from '../replicaset/util.ts';

interface ServiceState {
  podTriggerTimes: Map<string, number>;
  serviceTriggerTime?: number;
}

function podTriggerTime(pod: Pod): number | undefined {
  return parseTime(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * The earliest trigger time that changed since the last committed call for
   * this Service (undefined when none). `commit()` — once what was computed is
   * written — makes these the times later calls compare with; a failed write
   * does not commit, so its retry still carries the annotation.
   */
  compute(key: string, svc: Service, pods: readonly Pod[]): { time: number | undefined; commit(): void } {
    const prev = this.states.get(key);
    const next: ServiceState = { podTriggerTimes: new Map() };
    let min: number | undefined;
    const consider = (t: number): void => { min = min === undefined ? t : Math.min(min, t); };
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      const name = pod.metadata?.name ?? '';
      next.podTriggerTimes.set(name, t);
      const before = prev?.podTriggerTimes.get(name);
      if (before === undefined || t > before) consider(t);
    }
    const st = parseTime(svc.metadata?.creationTimestamp);
    if (st !== undefined && (prev?.serviceTriggerTime === undefined || st > prev.serviceTriggerTime)) consider(st);
    next.serviceTriggerTime = st;
    return { time: min, commit: () => { this.states.set(key, next); } };
  }

  deleteService(key: string): void {
    this.states.delete(key);
  }
}
