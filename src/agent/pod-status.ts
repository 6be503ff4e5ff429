// A pod's status from what the runtime reports, as the kubelet computes it:
// phase, conditions, container statuses (state, lastState, restartCount,
// ready, started, image, imageID, containerID), IPs and start time. Pure: the
// pod worker gathers the runtime view, this turns it into the API's shape.

import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerState as CriState } from './cri/types.ts';

/** One CRI container of the pod, with the details ContainerStatus gave. */
export interface ContainerRecord {
  id: string;
  name: string;
  attempt: number;
  kind: 'init' | 'app';
  state: CriState;
  /** Milliseconds since the epoch (0: not set). */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as the runtime names it. */
  image: string;
  imageRef: string;
}

export interface RuntimePod {
  sandbox?: { id: string; ready: boolean; ip?: string; additionalIPs: string[] };
  /** Every container of the current sandbox, any order. */
  containers: ContainerRecord[];
}

/** Why a container is waiting, when the pod worker knows better than "ContainerCreating". */
export type WaitingReasons = ReadonlyMap<string, { reason: string; message?: string }>;

export interface StatusContext {
  now: string;
  hostIP?: string;
  /** Set while the pod is being killed (deletion, or a finished pod's sandbox going away). */
  terminating?: boolean;
  /** Probe results of a running container (undefined fields: no such probe). */
  probes?: (name: string, containerId: string) => ProbeState;
}

export interface ProbeState { ready?: boolean; started?: boolean }

export const RUNTIME_PREFIX = 'containerd://';

function iso(ms: number): string | undefined {
  return ms > 0 ? new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}

/** Newest first: the latest attempt decides the state, the one before gives lastState. */
export function recordsByName(records: readonly ContainerRecord[], kind: 'init' | 'app'): Map<string, ContainerRecord[]> {
  const m = new Map<string, ContainerRecord[]>();
  for (const r of records) {
    if (r.kind !== kind) continue;
    const list = m.get(r.name) ?? [];
    list.push(r);
    m.set(r.name, list);
  }
  for (const list of m.values()) list.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  return m;
}

function terminated(r: ContainerRecord): ContainerState {
  return {
    terminated: {
      exitCode: r.exitCode,
      reason: r.reason || (r.exitCode === 0 ? 'Completed' : 'Error'),
      ...(r.message ? { message: r.message } : {}),
      startedAt: iso(r.startedAt),
      finishedAt: iso(r.finishedAt),
      containerID: RUNTIME_PREFIX + r.id,
    },
  };
}

export function containerStatus(c: Container, records: readonly ContainerRecord[], waiting: { reason: string; message?: string } | undefined, kind: 'init' | 'app',
  probes: StatusContext['probes'] = undefined): ContainerStatus {
  const [latest, prev] = records;
  const base = { name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, started: false };
  if (!latest) {
    return { ...base, state: { waiting: { reason: waiting?.reason ?? 'ContainerCreating', ...(waiting?.message ? { message: waiting.message } : {}) } }, lastState: {} };
  }
  const common = {
    ...base,
    image: latest.image && !latest.image.startsWith('sha256:') ? latest.image : c.image ?? '',
    imageID: latest.imageRef,
    containerID: RUNTIME_PREFIX + latest.id,
    restartCount: latest.attempt,
  };
  const lastOf = (r?: ContainerRecord): ContainerState => (r && r.state === 'CONTAINER_EXITED' ? terminated(r) : {});
  switch (latest.state) {
    case 'CONTAINER_RUNNING': {
      const p = kind === 'app' ? probes?.(c.name, latest.id) ?? {} : {};
      const started = p.started ?? true;
      return {
        ...common, state: { running: { startedAt: iso(latest.startedAt) } }, lastState: lastOf(prev),
        // Without a readiness probe a running app container is ready (init containers never are).
        ready: kind === 'app' && started && (p.ready ?? true), started,
      };
    }
    case 'CONTAINER_EXITED':
      if (waiting) {
        return { ...common, state: { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } }, lastState: terminated(latest) };
      }
      return { ...common, state: terminated(latest), lastState: lastOf(prev), ready: kind === 'init' && latest.exitCode === 0 };
    default:
      return { ...common, state: { waiting: { reason: waiting?.reason ?? 'ContainerCreating', ...(waiting?.message ? { message: waiting.message } : {}) } }, lastState: lastOf(prev) };
  }
}

/** Upstream's getPhase, for app containers once init containers are done. */
export function podPhase(pod: Pod, init: readonly ContainerStatus[], app: readonly ContainerStatus[]): NonNullable<PodStatus['phase']> {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  for (const s of init) {
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (t && policy === 'Never') return 'Failed';
    if (!t && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0 && policy === 'Never') return 'Failed';
    return 'Pending';
  }
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const s of app) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, now: string, prev: readonly PodCondition[], reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const old = prev.find((c) => c.type === type);
  return {
    type, status, lastProbeTime: null as unknown as undefined,
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
    ...(reason ? { reason } : {}), ...(message ? { message } : {}),
  };
}

const MANAGED_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

export function computePodStatus(pod: Pod, rt: RuntimePod, waiting: WaitingReasons, ctx: StatusContext): PodStatus {
  const spec = pod.spec!;
  const prev = pod.status ?? {};
  const initRecords = recordsByName(rt.containers, 'init');
  const appRecords = recordsByName(rt.containers, 'app');
  const initStatuses = (spec.initContainers ?? []).map((c) => containerStatus(c, initRecords.get(c.name) ?? [], waiting.get(`init/${c.name}`), 'init'));
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const appStatuses = spec.containers.map((c) => {
    const recs = appRecords.get(c.name) ?? [];
    const w = waiting.get(c.name) ?? (!initDone && recs.length === 0 ? { reason: 'PodInitializing' } : undefined);
    return containerStatus(c, recs, w, 'app', ctx.probes);
  });
  let phase = podPhase(pod, initStatuses, appStatuses);
  // A finished pod stays finished (the API refuses going back, and so does upstream).
  if (prev.phase === 'Succeeded' || prev.phase === 'Failed') phase = prev.phase;

  const prevConds = prev.conditions ?? [];
  const now = ctx.now;
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const incompleteInit = initStatuses.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = unready.length === 0 && !done;
  const notReadyReason = done ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMsg = done ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const sandboxReady = rt.sandbox?.ready === true && !ctx.terminating;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', sandboxReady, now, prevConds),
    condition('Initialized', incompleteInit.length === 0 || done, now, prevConds,
      incompleteInit.length && !done ? 'ContainersNotInitialized' : undefined,
      incompleteInit.length && !done ? `containers with incomplete status: [${incompleteInit.join(' ')}]` : undefined),
    condition('Ready', containersReady, now, prevConds, containersReady ? undefined : notReadyReason, containersReady ? undefined : notReadyMsg),
    condition('ContainersReady', containersReady, now, prevConds, containersReady ? undefined : notReadyReason, containersReady ? undefined : notReadyMsg),
    condition('PodScheduled', true, now, prevConds),
    // Conditions other components own (DisruptionTarget, readiness gates) stay as they are.
    ...prevConds.filter((c) => !MANAGED_CONDITIONS.has(c.type)),
  ];

  const podIP = spec.hostNetwork ? ctx.hostIP : rt.sandbox?.ip || prev.podIP;
  const ips = spec.hostNetwork ? (ctx.hostIP ? [ctx.hostIP] : []) : podIP ? [podIP, ...(rt.sandbox?.additionalIPs ?? [])] : [];
  const status: PodStatus = {
    phase,
    conditions,
    ...(ctx.hostIP ? { hostIP: ctx.hostIP, hostIPs: [{ ip: ctx.hostIP }] } : {}),
    ...(podIP ? { podIP, podIPs: ips.map((ip) => ({ ip })) } : {}),
    startTime: prev.startTime ?? now,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: prev.qosClass,
  };
  return status;
}
