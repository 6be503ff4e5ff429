// Pod spec → CRI configs: the sandbox (PodSandboxConfig) and each container
// (ContainerConfig), with the labels and annotations the kubelet puts on them,
// which is how the agent finds its pods' containers again after a restart.

import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity, wholeValue } from '../api/validation/quantity.ts';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext, PodSandboxConfig } from './cri/types.ts';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
/** Where on the host the container's termination message file is (bind-mounted at terminationMessagePath). */
export const ANNOTATION_TERMINATION_MESSAGE_HOST_PATH = 'pilot.io/termination-message-host-path';
export const ANNOTATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
/** Marks init containers, so status can tell them apart from app containers of the same name. */
export const ANNOTATION_CONTAINER_KIND = 'pilot.io/container-kind';

/** Upstream's CFS period. */
const CPU_PERIOD_US = 100_000;
const MIN_CPU_SHARES = 2;

export interface SandboxOptions {
  /** Directory for this pod's container logs. */
  logDirectory: string;
  /** Parent cgroup (cgroupfs syntax) of the pod's containers. */
  cgroupParent: string;
}

export function podSandboxConfig(pod: Pod, attempt: number, opts: SandboxOptions): PodSandboxConfig {
  const md = pod.metadata!;
  const spec = pod.spec!;
  const hostNetwork = spec.hostNetwork === true;
  return {
    metadata: { name: md.name!, namespace: md.namespace ?? 'default', uid: md.uid!, attempt },
    // A hostNetwork pod keeps the node's hostname, as upstream.
    hostname: hostNetwork ? '' : (spec.hostname ?? md.name!).slice(0, 63),
    logDirectory: opts.logDirectory,
    ...(spec.dnsPolicy === 'None' && spec.dnsConfig ? {
      dnsConfig: {
        servers: spec.dnsConfig.nameservers ?? [],
        searches: spec.dnsConfig.searches ?? [],
        options: (spec.dnsConfig.options ?? []).map((o) => o.value !== undefined ? `${o.name}:${o.value}` : o.name!),
      },
    } : {}),
    portMappings: spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({
      protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP', containerPort: p.containerPort, hostPort: p.hostPort!, hostIp: p.hostIP ?? '',
    }))),
    labels: { ...md.labels, [LABEL_POD_NAME]: md.name!, [LABEL_POD_NAMESPACE]: md.namespace ?? 'default', [LABEL_POD_UID]: md.uid! },
    annotations: { ...md.annotations },
    linux: {
      cgroupParent: opts.cgroupParent,
      securityContext: {
        namespaceOptions: {
          network: hostNetwork ? 'NODE' : 'POD',
          pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
          ipc: spec.hostIPC ? 'NODE' : 'POD',
        },
        privileged: [...spec.containers, ...(spec.initContainers ?? [])].some((c) => c.securityContext?.privileged === true),
        ...(spec.securityContext?.runAsUser !== undefined ? { runAsUser: { value: spec.securityContext.runAsUser } } : {}),
        ...(spec.securityContext?.runAsGroup !== undefined ? { runAsGroup: { value: spec.securityContext.runAsGroup } } : {}),
        supplementalGroups: spec.securityContext?.supplementalGroups ?? [],
      },
      sysctls: Object.fromEntries((spec.securityContext?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

export interface ContainerOptions {
  attempt: number;
  kind: 'init' | 'app';
  /** Resolved environment (env and envFrom, with $(VAR) references expanded). */
  env: { name: string; value: string }[];
  /** The image reference the runtime resolved (PullImage / ImageStatus). */
  imageRef: string;
  /** Host file mounted at terminationMessagePath (the agent reads it after the container exits). */
  terminationMessageHostPath?: string;
}

export function containerConfig(pod: Pod, c: Container, opts: ContainerOptions): ContainerConfig {
  const md = pod.metadata!;
  const spec = pod.spec!;
  const vars = new Map(opts.env.map((e) => [e.name, e.value]));
  const expand = (s: string): string => expandVars(s, vars);
  const pc = spec.securityContext;
  const sc = c.securityContext;
  const runAsUser = sc?.runAsUser ?? pc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? pc?.runAsGroup;
  const security: LinuxContainerSecurityContext = {
    privileged: sc?.privileged === true,
    capabilities: { addCapabilities: sc?.capabilities?.add ?? [], dropCapabilities: sc?.capabilities?.drop ?? [] },
    namespaceOptions: {
      network: spec.hostNetwork ? 'NODE' : 'POD',
      pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
      ipc: spec.hostIPC ? 'NODE' : 'POD',
    },
    readonlyRootfs: sc?.readOnlyRootFilesystem === true,
    supplementalGroups: pc?.supplementalGroups ?? [],
    noNewPrivs: sc?.allowPrivilegeEscalation === false,
    ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
  };
  return {
    metadata: { name: c.name, attempt: opts.attempt },
    image: { image: opts.imageRef, userSpecifiedImage: c.image ?? '' },
    command: (c.command ?? []).map(expand),
    args: (c.args ?? []).map(expand),
    workingDir: c.workingDir ?? '',
    envs: opts.env.map((e) => ({ key: e.name, value: e.value })),
    mounts: opts.terminationMessageHostPath
      ? [{ containerPath: c.terminationMessagePath ?? '/dev/termination-log', hostPath: opts.terminationMessageHostPath }] : [],
    labels: {
      [LABEL_POD_NAME]: md.name!, [LABEL_POD_NAMESPACE]: md.namespace ?? 'default', [LABEL_POD_UID]: md.uid!,
      [LABEL_CONTAINER_NAME]: c.name,
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(opts.attempt),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
      [ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
      ...(opts.terminationMessageHostPath ? { [ANNOTATION_TERMINATION_MESSAGE_HOST_PATH]: opts.terminationMessageHostPath } : {}),
      [ANNOTATION_GRACE_PERIOD]: String(spec.terminationGracePeriodSeconds ?? 30),
      [ANNOTATION_CONTAINER_KIND]: opts.kind,
    },
    logPath: `${c.name}/${opts.attempt}.log`,
    stdin: c.stdin === true,
    stdinOnce: c.stdinOnce === true,
    tty: c.tty === true,
    linux: { resources: linuxResources(c), securityContext: security },
  };
}

/** requests.cpu → shares, limits.cpu → CFS quota, limits.memory → memory limit (as the kubelet maps them). */
export function linuxResources(c: Container): LinuxContainerResources {
  const r: LinuxContainerResources = {};
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  // Without a request, a limit is the request (the API defaults it so, but be safe).
  const cpuReq = parseQuantity(req.cpu ?? lim.cpu);
  r.cpuShares = cpuReq ? Math.max(MIN_CPU_SHARES, Math.floor(Number(milliValue(cpuReq)) * 1024 / 1000)) : MIN_CPU_SHARES;
  const cpuLim = parseQuantity(lim.cpu);
  if (cpuLim) {
    r.cpuPeriod = CPU_PERIOD_US;
    r.cpuQuota = Math.max(1000, Math.floor(Number(milliValue(cpuLim)) * CPU_PERIOD_US / 1000));
  }
  const memLim = parseQuantity(lim.memory);
  if (memLim) r.memoryLimitInBytes = Number(wholeValue(memLim));
  return r;
}

/**
 * Kubernetes' $(VAR) expansion in command, args and env values: $(NAME) becomes
 * the variable's value when defined, $$ escapes a dollar, anything else stays.
 */
export function expandVars(s: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '$' || i + 1 >= s.length) { out += ch; continue; }
    const next = s[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const end = s.indexOf(')', i + 2);
      if (end !== -1) {
        const name = s.slice(i + 2, end);
        const v = vars.get(name);
        out += v !== undefined ? v : s.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    out += ch;
  }
  return out;
}
