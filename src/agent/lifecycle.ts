// Container lifecycle hooks (postStart, preStop): exec in the container,
// httpGet or tcpSocket against the pod, or sleep, as the kubelet runs them.
// A handler is a probe without thresholds, so probe.ts does the work.

import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import { sleep, type Clock } from '../base/clock.ts';
import { runProbe, type ProbeResult, type ProbeTarget } from './probes/probe.ts';

export async function runHook(h: LifecycleHandler, t: ProbeTarget, timeoutSeconds: number, clock: Clock): Promise<ProbeResult> {
  const sleepAction = (h as { sleep?: { seconds: number } }).sleep;
  if (sleepAction) {
    await sleep(clock, Math.min(sleepAction.seconds, timeoutSeconds) * 1000);
    return { ok: true, output: '' };
  }
  return runProbe({ exec: h.exec, httpGet: h.httpGet, tcpSocket: h.tcpSocket, timeoutSeconds }, t);
}
