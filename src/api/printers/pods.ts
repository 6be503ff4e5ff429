// Pods and pod templates. The STATUS column is the one users read most, so it
// reproduces upstream's computation step by step: init containers first
// (Init:N/M, Init:<reason>), then app containers from last to first
// (waiting/terminated reasons), then deletion (Terminating/Unknown).

import { humanDuration, parseTime } from './duration.ts';
import { AGE, NAME, col, containerCells, formatLabels, nameOf, ageOf, str, num, type Printer, type TableRowCondition } from './common.ts';

/** A sidecar: an init container that keeps running (restartPolicy Always). */
const isRestartableInit = (c: any): boolean => c?.restartPolicy === 'Always';

const hasCondition = (status: any, type: string): boolean =>
  (status?.conditions ?? []).some((c: any) => c?.type === type && c?.status === 'True');

/** Like upstream: only the first condition of the type counts. */
function firstConditionTrue(status: any, type: string): boolean {
  const c = (status?.conditions ?? []).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

function terminatedReason(t: any, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  return num(t.signal) !== 0 ? `${prefix}Signal:${num(t.signal)}` : `${prefix}ExitCode:${num(t.exitCode)}`;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS exactly as `kubectl get pods` shows them. */
export function summarizePod(pod: any, now: number): PodSummary {
  const spec = pod?.spec ?? {};
  const status = pod?.status ?? {};
  const initSpecs: any[] = spec.initContainers ?? [];
  const initByName = new Map<string, any>(initSpecs.map((c) => [c?.name, c]));

  const total = (spec.containers ?? []).length + initSpecs.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0; // ms; 0 = never
  let lastSidecarRestart = 0;
  const finishedAt = (cs: any): number => parseTime(cs?.lastState?.terminated?.finishedAt) ?? 0;

  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of status.conditions ?? []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const sidecar = isRestartableInit(initByName.get(cs.name));
    restarts += num(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    if (sidecar) {
      sidecarRestarts += num(cs.restartCount);
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    const state = cs.state ?? {};
    if (state.terminated && num(state.terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (state.terminated) reason = terminatedReason(state.terminated, 'Init:');
    else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') reason = `Init:${state.waiting.reason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  if (!initializing || firstConditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      const state = cs.state ?? {};
      restarts += num(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated?.reason) reason = state.terminated.reason;
      else if (state.terminated) reason = terminatedReason(state.terminated, '');
      else if (cs.ready && state.running) { hasRunning = true; ready++; }
    }
    // A pod whose last container completed but others still run is not done.
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod?.metadata?.deletionTimestamp) {
    if (status.reason === 'NodeLost') reason = 'Unknown';
    else if (phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';
  }

  const restartText = restarts !== 0 && lastRestart !== 0
    ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
    : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

function readinessGates(pod: any): string {
  const gates: any[] = pod?.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conds: any[] = pod?.status?.conditions ?? [];
  const ok = gates.filter((g) => conds.find((c) => c?.type === g?.conditionType)?.status === 'True').length;
  return `${ok}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Ready containers out of all containers.'),
    col('Status', 'string', 'Summary of the pod and container states.'),
    col('Restarts', 'string', 'Container restarts, and how long ago the last one was.'),
    AGE,
    col('IP', 'string', 'Primary IP address of the pod.', { priority: 1 }),
    col('Node', 'string', 'Node the pod is bound to.', { priority: 1 }),
    col('Nominated Node', 'string', 'Node the scheduler nominated while preempting.', { priority: 1 }),
    col('Readiness Gates', 'string', 'Readiness gates that are satisfied, out of all gates.', { priority: 1 }),
  ],
  row(pod, now) {
    const s = summarizePod(pod, now);
    const ip = str(pod?.status?.podIPs?.[0]?.ip ?? pod?.status?.podIP);
    return [nameOf(pod), s.ready, s.status, s.restarts, ageOf(pod, now),
      ip || '<none>', str(pod?.spec?.nodeName) || '<none>', str(pod?.status?.nominatedNodeName) || '<none>', readinessGates(pod)];
  },
  conditions(pod): TableRowCondition[] | undefined {
    // Lets clients recognise finished pods without reading the object.
    switch (pod?.status?.phase) {
      case 'Succeeded': return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod ran to completion.' }];
      case 'Failed': return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod has failed.' }];
      default: return undefined;
    }
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    NAME,
    col('Containers', 'string', 'Container names in the template.'),
    col('Images', 'string', 'Container images in the template.'),
    col('Pod Labels', 'string', 'Labels given to pods made from the template.'),
  ],
  row(obj) {
    const [names, images] = containerCells(obj?.template?.spec?.containers);
    return [nameOf(obj), names, images, formatLabels(obj?.template?.metadata?.labels)];
  },
};
