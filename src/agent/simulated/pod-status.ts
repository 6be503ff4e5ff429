// What a simulated kubelet does with one pod bound to its node, as a pure
// function of the pod and the time: nothing, delete it (graceful deletion is
// over: nothing really runs), or write the status a kubelet would report once
// its containers started, finished or crashed.
//
// Pods are scripted by annotations (kwok does the same with its stages):
//   pilot.dev/simulate-exit-code: "0"      containers exit with this code, for
//                                          restartPolicy Never/OnFailure (Jobs)
//   pilot.dev/simulate-run-duration: "5s"  …after running this long (default 0)
// and a share of pods fails (podFailRatio). A failing container of a pod that
// restarts (Always, or OnFailure with a non-zero code) is shown once in
// CrashLoopBackOff, restartCount 1; a pod with restartPolicy Never fails.

import { createHash } from 'node:crypto';
import type { ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from './node.ts';
import { EXIT_CODE_ANNOTATION, goDurationMs, RUN_DURATION_ANNOTATION } from './options.ts';

export interface PodStatusContext {
  now: number;
  /** The node's InternalIP. */
  hostIP: string;
  /** The address for this pod if it has none yet (hostNetwork pods get hostIP instead). */
  podIP: string;
  /** Before this time the pod is left Pending (the start delay). */
  startAt: number;
  /** This pod's containers fail (see podFailRatio). */
  fail: boolean;
}

export type PodAction =
  | { kind: 'none'; requeueAfterMs?: number }
  | { kind: 'delete' }
  | { kind: 'status'; status: PodStatus; requeueAfterMs?: number };

/** Conditions the kubelet owns; others (DisruptionTarget, readiness gates) are kept as they are. */
const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

/** Whether `uid` falls in the failing share `ratio` (stable: a hash of the uid, not a coin toss per look). */
export function failsByRatio(uid: string, ratio: number): boolean {
  if (ratio <= 0) return false;
  if (ratio >= 1) return true;
  const h = createHash('sha1').update(uid).digest().readUInt32BE(0);
  return h / 0x1_0000_0000 < ratio;
}

interface Script {
  /** The containers end with this code (then the pod is Succeeded/Failed, or crash-loops). */
  exitCode?: number;
  runMs: number;
  /** The pod restarts its failed containers instead of ending. */
  crashLoop: boolean;
}

function scriptOf(pod: Pod, fail: boolean): Script {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const ann = pod.metadata?.annotations ?? {};
  const rawCode = ann[EXIT_CODE_ANNOTATION];
  const parsed = rawCode !== undefined && /^-?\d+$/.test(rawCode.trim()) ? Number(rawCode) : undefined;
  const runMs = goDurationMs(ann[RUN_DURATION_ANNOTATION] ?? '0') ?? 0;
  // restartPolicy Always restarts whatever the exit code: only failures matter to it.
  let exitCode = policy === 'Always' ? undefined : parsed;
  if (exitCode === undefined && fail) exitCode = 1;
  if (exitCode === undefined) return { runMs, crashLoop: false };
  const crashLoop = exitCode !== 0 && policy !== 'Never';
  return { exitCode, runMs: crashLoop ? 0 : runMs, crashLoop };
}

/** What to do with `pod` (bound to this node) now. */
export function nextPodAction(pod: Pod, ctx: PodStatusContext): PodAction {
  if (pod.metadata?.deletionTimestamp) return { kind: 'delete' };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { kind: 'none' };
  if (ctx.now < ctx.startAt) return { kind: 'none', requeueAfterMs: ctx.startAt - ctx.now };

  const script = scriptOf(pod, ctx.fail);
  const running = phase === 'Running' && pod.status?.startTime !== undefined;
  const startedAt = running ? Date.parse(pod.status!.startTime!) : ctx.now;
  let desired: PodStatus;
  let requeueAfterMs: number | undefined;
  if (script.exitCode !== undefined && !script.crashLoop) {
    const endAt = startedAt + script.runMs;
    if (ctx.now >= endAt) desired = terminatedStatus(pod, ctx, startedAt, script.exitCode);
    else {
      desired = runningStatus(pod, ctx, startedAt, undefined);
      requeueAfterMs = endAt - ctx.now;
    }
  } else {
    desired = runningStatus(pod, ctx, startedAt, script.crashLoop ? script.exitCode : undefined);
  }
  if (fingerprint(desired) === fingerprint(pod.status ?? {})) return { kind: 'none', requeueAfterMs };
  return { kind: 'status', status: desired, requeueAfterMs };
}

function containerID(pod: Pod, name: string): string {
  return `containerd://${createHash('sha256').update(`${pod.metadata?.uid ?? ''}/${name}`).digest('hex')}`;
}

/**
 * An image reference as containerd reports it: "nginx" is
 * "docker.io/library/nginx:latest", "org/app:1" is "docker.io/org/app:1".
 */
export function normalizeImage(image: string | undefined): string {
  const ref = image ?? '';
  if (!ref) return ref;
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let named = hasDomain ? ref : `docker.io/${slash < 0 ? 'library/' : ''}${ref}`;
  const lastPart = named.slice(named.lastIndexOf('/') + 1);
  if (!named.includes('@') && !lastPart.includes(':')) named += ':latest';
  return named;
}

const imageIDs = new Map<string, string>();
/** A stable fake digest per image (repository@sha256:…), as a runtime reports after a pull. */
function imageID(image: string | undefined): string {
  const ref = normalizeImage(image);
  let id = imageIDs.get(ref);
  if (id === undefined) {
    const repo = ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
    id = `${repo}@sha256:${createHash('sha256').update(ref).digest('hex')}`;
    if (imageIDs.size < 10_000) imageIDs.set(ref, id);
  }
  return id;
}

function addresses(pod: Pod, ctx: PodStatusContext): Pick<PodStatus, 'hostIP' | 'hostIPs' | 'podIP' | 'podIPs'> {
  const podIP = pod.spec?.hostNetwork ? ctx.hostIP : (pod.status?.podIP ?? ctx.podIP);
  return { hostIP: ctx.hostIP, hostIPs: [{ ip: ctx.hostIP }], podIP, podIPs: [{ ip: podIP }] };
}

/** Completed init containers, as the kubelet shows them once the main containers run (sidecars — restartPolicy Always — keep running). */
function initStatuses(pod: Pod, ctx: PodStatusContext, startedAt: number): ContainerStatus[] | undefined {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return undefined;
  const t = rfc3339(startedAt);
  return inits.map((c) => {
    const common = { name: c.name, image: normalizeImage(c.image), imageID: imageID(c.image), containerID: containerID(pod, c.name), restartCount: 0, lastState: {} };
    if (c.restartPolicy === 'Always') return { ...common, ready: true, started: true, state: { running: { startedAt: t } } };
    return { ...common, ready: true, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: common.containerID } } };
  });
}

function runningStatus(pod: Pod, ctx: PodStatusContext, startedAt: number, crashExitCode: number | undefined): PodStatus {
  const t = rfc3339(startedAt);
  const containers = pod.spec?.containers ?? [];
  const crashing = crashExitCode !== undefined;
  const containerStatuses: ContainerStatus[] = containers.map((c) => {
    const id = containerID(pod, c.name);
    const common = { name: c.name, image: normalizeImage(c.image), imageID: imageID(c.image), containerID: id };
    if (!crashing) return { ...common, ready: true, started: true, restartCount: 0, lastState: {}, state: { running: { startedAt: t } } };
    const m = pod.metadata ?? {};
    return {
      ...common, ready: false, started: false, restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${c.name} pod=${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})` } },
      lastState: { terminated: { exitCode: crashExitCode, reason: 'Error', startedAt: t, finishedAt: rfc3339(ctx.now), containerID: id } },
    };
  });
  const notReady = crashing ? containers.map((c) => c.name) : [];
  const containersReady = notReady.length === 0;
  const gates = readinessGatesProblem(pod);
  return {
    phase: 'Running',
    conditions: conditions(pod, ctx.now, {
      PodReadyToStartContainers: ['True'],
      Initialized: ['True'],
      Ready: containersReady && !gates ? ['True'] : containersReady ? ['False', 'ReadinessGatesNotReady', gates] : ['False', 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`],
      ContainersReady: containersReady ? ['True'] : ['False', 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`],
    }),
    ...addresses(pod, ctx),
    startTime: pod.status?.startTime ?? t,
    ...(pod.spec?.initContainers?.length ? { initContainerStatuses: initStatuses(pod, ctx, startedAt) } : {}),
    containerStatuses,
  };
}

function terminatedStatus(pod: Pod, ctx: PodStatusContext, startedAt: number, exitCode: number): PodStatus {
  const succeeded = exitCode === 0;
  const reason = succeeded ? 'PodCompleted' : 'PodFailed';
  const t = rfc3339(startedAt);
  const containerStatuses: ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => {
    const id = containerID(pod, c.name);
    return {
      name: c.name, image: normalizeImage(c.image), imageID: imageID(c.image), containerID: id, ready: false, started: false, restartCount: 0, lastState: {},
      state: { terminated: { exitCode, reason: succeeded ? 'Completed' : 'Error', startedAt: t, finishedAt: rfc3339(ctx.now), containerID: id } },
    };
  });
  return {
    phase: succeeded ? 'Succeeded' : 'Failed',
    conditions: conditions(pod, ctx.now, {
      PodReadyToStartContainers: ['False'],
      Initialized: pod.spec?.initContainers?.length ? ['True', 'PodCompleted'] : ['True'],
      Ready: ['False', reason],
      ContainersReady: ['False', reason],
    }),
    ...addresses(pod, ctx),
    startTime: pod.status?.startTime ?? t,
    ...(pod.spec?.initContainers?.length ? { initContainerStatuses: initStatuses(pod, ctx, startedAt) } : {}),
    containerStatuses,
  };
}

/** Why readiness gates hold the pod back (upstream's messages), or undefined when they all pass. */
function readinessGatesProblem(pod: Pod): string | undefined {
  const problems: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = pod.status?.conditions?.find((x) => x.type === g.conditionType);
    if (!c) problems.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') problems.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  return problems.length ? problems.join(', ') : undefined;
}

type Want = [status: string, reason?: string, message?: string];

/**
 * Conditions in the kubelet's order, after those it does not own; a condition
 * whose status is unchanged keeps its lastTransitionTime.
 */
function conditions(pod: Pod, now: number, want: Record<string, Want>): PodCondition[] {
  const current = pod.status?.conditions ?? [];
  const out: PodCondition[] = current.filter((c) => !KUBELET_CONDITIONS.has(c.type)).map((c) => ({ ...c }));
  const t = rfc3339(now);
  const make = (type: string, [status, reason, message]: Want): PodCondition => {
    const prev = current.find((c) => c.type === type);
    return {
      type, status, lastProbeTime: null as unknown as undefined,
      lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : t,
      ...(reason ? { reason } : {}), ...(message ? { message } : {}),
    };
  };
  for (const type of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']) out.push(make(type, want[type]));
  const scheduled = current.find((c) => c.type === 'PodScheduled');
  out.push(scheduled?.status === 'True' ? { ...scheduled } : make('PodScheduled', ['True']));
  return out;
}

/** What must match for a status to need no write: phase, addresses, condition states, container states. */
export function fingerprint(s: PodStatus): string {
  const cs = (xs: readonly ContainerStatus[] | undefined): string =>
    (xs ?? []).map((c) => `${c.name}:${c.ready}:${c.restartCount}:${Object.keys(c.state ?? {})[0] ?? ''}`).join(',');
  const conds = (s.conditions ?? []).filter((c) => KUBELET_CONDITIONS.has(c.type)).map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`).sort().join(',');
  return `${s.phase ?? ''}|${s.podIP ?? ''}|${s.hostIP ?? ''}|${conds}|${cs(s.initContainerStatuses)}|${cs(s.containerStatuses)}`;
}

/**
 * The part of a pod the simulator reads (informer transform): 150,000 cached
 * pods cost a fraction of the memory of full objects.
 */
export function slimPod(p: Pod): Pod {
  const m = p.metadata ?? {};
  const ann = m.annotations;
  const kept: Record<string, string> = {};
  if (ann?.[EXIT_CODE_ANNOTATION] !== undefined) kept[EXIT_CODE_ANNOTATION] = ann[EXIT_CODE_ANNOTATION];
  if (ann?.[RUN_DURATION_ANNOTATION] !== undefined) kept[RUN_DURATION_ANNOTATION] = ann[RUN_DURATION_ANNOTATION];
  const spec = p.spec;
  const st = p.status;
  const slimCS = (xs: readonly ContainerStatus[] | undefined): ContainerStatus[] | undefined => xs?.map((c) => ({
    name: c.name, image: '', imageID: '', ready: c.ready, restartCount: c.restartCount, state: c.state ? { [Object.keys(c.state)[0]]: {} } : undefined,
  }));
  return {
    metadata: {
      name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      ...(Object.keys(kept).length ? { annotations: kept } : {}),
    },
    spec: {
      nodeName: spec?.nodeName, restartPolicy: spec?.restartPolicy, hostNetwork: spec?.hostNetwork, readinessGates: spec?.readinessGates,
      containers: (spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image })),
      initContainers: spec?.initContainers?.map((c) => ({ name: c.name, image: c.image, restartPolicy: c.restartPolicy })),
    },
    status: st ? {
      phase: st.phase, podIP: st.podIP, hostIP: st.hostIP, startTime: st.startTime, conditions: st.conditions,
      containerStatuses: slimCS(st.containerStatuses), initContainerStatuses: slimCS(st.initContainerStatuses),
    } : undefined,
  };
}
