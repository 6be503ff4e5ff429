// The scheduler's Prometheus metrics, upstream's names, in the process registry
// (served on the apiserver's /metrics when the scheduler runs in `pilot server`).

import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../base/metrics.ts';

/** 1 ms doubling to ~16 s, as upstream's exponential buckets (0.001, 2, 15). */
const BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

/** One attempt: the scheduling cycle and, when it found a node, the binding. result: scheduled | unschedulable | error. */
export const schedulingAttemptDuration = new Histogram({
  name: 'scheduler_scheduling_attempt_duration_seconds', help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
  labelNames: ['result', 'profile'] as const, buckets: BUCKETS, registers: [metricsRegistry],
});

export const scheduleAttempts = new Counter({
  name: 'scheduler_schedule_attempts_total', help: 'Number of attempts to schedule pods, by the result',
  labelNames: ['result', 'profile'] as const, registers: [metricsRegistry],
});

export const preemptionAttempts = new Counter({
  name: 'scheduler_preemption_attempts_total', help: 'Total preemption attempts in the cluster till now', registers: [metricsRegistry],
});

export function observeAttempt(result: 'scheduled' | 'unschedulable' | 'error', profile: string, startedMs: number): void {
  const seconds = (performance.now() - startedMs) / 1000;
  schedulingAttemptDuration.observe({ result, profile }, seconds);
  scheduleAttempts.inc({ result, profile });
}
