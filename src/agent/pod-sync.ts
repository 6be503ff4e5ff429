// What a pod worker does to make the runtime match one pod: start the sandbox,
// run init containers in order, start and restart app containers (with
// CrashLoopBackOff), kill the pod with its grace period, and clean up. Every
// step re-reads the runtime first, so a sync is idempotent and picks up after
// an agent restart (running containers are adopted, not restarted).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../base/clock.ts';
import type { EventRecorder } from '../client/index.ts';
import { removeCgroupTree } from './cgroups.ts';
import { isCriNotFound, type CriRuntime } from './cri/client.ts';
import type { Container as CriContainer, PodSandbox, PodSandboxConfig } from './cri/types.ts';
import { EnvConfigError, resolveEnv, type EnvLookups } from './env.ts';
import { pullAuths, pullPolicy } from './image-pull.ts';
import { runHook } from './lifecycle.ts';
import { recordsByName, type ContainerRecord, type RuntimePod } from './pod-status.ts';
import type { RestartBackoff } from './restart-backoff.ts';
import {
  ANNOTATION_CONTAINER_KIND, ANNOTATION_TERMINATION_MESSAGE_HOST_PATH, ANNOTATION_TERMINATION_MESSAGE_POLICY, LABEL_CONTAINER_NAME, LABEL_POD_UID,
  containerConfig, podSandboxConfig, type SandboxOptions,
} from './runtime-config.ts';

/** Exited containers kept per container name, as upstream's container GC (MaxPerPodContainer 1): enough for lastState. */
const KEEP_EXITED_PER_NAME = 1;
/** Upstream's floor for a kill's grace period. */
const MIN_GRACE_SECONDS = 2;
/** A postStart exec hook that runs longer than this counts as failed. */
const POST_START_TIMEOUT_SECONDS = 300;

export interface PodSyncDeps {
  cri: CriRuntime;
  clock: Clock;
  logger: Logger;
  events: EventRecorder;
  lookups: EnvLookups & { secrets(namespace: string, names: string[]): Promise<Secret[]> };
  hostIP: () => string | undefined;
  nodeAllocatable: () => Record<string, string> | undefined;
  sandboxOptions: (pod: Pod) => SandboxOptions;
  backoff: RestartBackoff;
}

/** The runtime's view of one pod, as found by its UID label. */
export interface RuntimeView extends RuntimePod {
  sandboxes: PodSandbox[];
  all: CriContainer[];
}

export interface SyncResult {
  /** Why containers wait, keyed by name (init containers as init/<name>). */
  waiting: Map<string, { reason: string; message?: string }>;
  /** Sync again after this long (back-off expiry, retry). */
  requeueAfterMs?: number;
}

function ms(ns: number): number { return Math.floor(ns / 1e6); }

export class PodSync {
  constructor(private readonly d: PodSyncDeps) {}

  /** Sandboxes and containers of the pod; details (ContainerStatus) for those of the newest sandbox. */
  async view(uid: string): Promise<RuntimeView> {
    // Newest first: each re-creation has the next attempt number.
    const sandboxes = (await this.d.cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } }))
      .sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
    const all = await this.d.cri.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
    const current = sandboxes[0];
    let sandbox: RuntimePod['sandbox'];
    if (current) {
      let ip: string | undefined;
      let additional: string[] = [];
      try {
        const st = await this.d.cri.podSandboxStatus(current.id);
        ip = st.network?.ip || undefined;
        additional = (st.network?.additionalIps ?? []).map((x) => x.ip);
      } catch (e) { if (!isCriNotFound(e)) throw e; }
      sandbox = { id: current.id, ready: current.state === 'SANDBOX_READY', ip, additionalIPs: additional };
    }
    const containers: ContainerRecord[] = [];
    for (const c of all) {
      try {
        const s = await this.d.cri.containerStatus(c.id);
        containers.push({
          id: c.id, name: c.metadata.name, attempt: c.metadata.attempt,
          kind: c.annotations[ANNOTATION_CONTAINER_KIND] === 'init' ? 'init' : 'app',
          state: s.state, createdAt: ms(s.createdAt), startedAt: ms(s.startedAt), finishedAt: ms(s.finishedAt),
          exitCode: s.exitCode, reason: s.reason, image: s.image?.image ?? '', imageRef: s.imageRef,
          message: s.state === 'CONTAINER_EXITED' ? terminationMessage(c.annotations, s.exitCode, s.logPath) || s.message : s.message,
        });
      } catch (e) { if (!isCriNotFound(e)) throw e; }
    }
    return { sandboxes, all, sandbox, containers };
  }

  /** One pass towards the pod's desired state. */
  async sync(pod: Pod): Promise<SyncResult> {
    const uid = pod.metadata!.uid!;
    const policy = pod.spec!.restartPolicy ?? 'Always';
    const result: SyncResult = { waiting: new Map() };
    let view = await this.view(uid);
    const newest = view.sandboxes[0];

    if (!newest || newest.state !== 'SANDBOX_READY') {
      // A Never/OnFailure pod whose containers are done does not get a new sandbox.
      const apps = recordsByName(view.containers, 'app');
      const finished = newest && pod.spec!.containers.every((c) => {
        const r = apps.get(c.name)?.[0];
        return r?.state === 'CONTAINER_EXITED' && (policy === 'Never' || (policy === 'OnFailure' && r.exitCode === 0));
      });
      if (finished) return result;
      if (newest) {
        this.d.events.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await this.killPod(uid, 0, pod);
      }
      const attempt = newest ? newest.metadata.attempt + 1 : 0;
      const config = this.sandboxConfig(pod, attempt);
      try {
        fs.mkdirSync(config.logDirectory!, { recursive: true });
        await this.d.cri.runPodSandbox(config);
      } catch (e) {
        this.d.events.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        result.requeueAfterMs = 5_000;
        return result;
      }
      view = await this.view(uid);
      if (!view.sandbox) return { ...result, requeueAfterMs: 1_000 };
    }
    const sandboxId = view.sandbox!.id;
    const sandboxConfig = this.sandboxConfig(pod, view.sandboxes[0].metadata.attempt);
    await this.pruneExited(view);

    // Init containers, one at a time, each to a successful exit.
    const inits = recordsByName(view.containers, 'init');
    for (const c of pod.spec!.initContainers ?? []) {
      const latest = inits.get(c.name)?.[0];
      if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
      if (latest && latest.state !== 'CONTAINER_EXITED') {
        if (latest.state === 'CONTAINER_CREATED') await this.startExisting(pod, c, latest.id, `init/${c.name}`, result);
        return result;
      }
      if (latest && policy === 'Never') return result;
      await this.startOrBackoff(pod, c, 'init', latest, sandboxId, sandboxConfig, view, result);
      return result;
    }

    const apps = recordsByName(view.containers, 'app');
    for (const c of pod.spec!.containers) {
      const latest = apps.get(c.name)?.[0];
      if (!latest) {
        await this.startContainer(pod, c, 'app', 0, sandboxId, sandboxConfig, view, result);
      } else if (latest.state === 'CONTAINER_CREATED') {
        await this.startExisting(pod, c, latest.id, c.name, result);
      } else if (latest.state === 'CONTAINER_EXITED') {
        const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
        if (restart) await this.startOrBackoff(pod, c, 'app', latest, sandboxId, sandboxConfig, view, result);
      }
    }
    return result;
  }

  private sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    return podSandboxConfig(pod, attempt, this.d.sandboxOptions(pod));
  }

  /** Restarts an exited container unless its back-off has not expired (then: CrashLoopBackOff). */
  private async startOrBackoff(pod: Pod, c: Container, kind: 'init' | 'app', latest: ContainerRecord | undefined,
    sandboxId: string, sandboxConfig: PodSandboxConfig, view: RuntimeView, result: SyncResult): Promise<void> {
    const key = `${pod.metadata!.uid}/${kind}/${c.name}`;
    const waitKey = kind === 'init' ? `init/${c.name}` : c.name;
    if (latest) {
      const remaining = this.d.backoff.remaining(key, latest.finishedAt || this.d.clock.now());
      if (remaining > 0) {
        const md = pod.metadata!;
        const delay = Math.round(this.d.backoff.delay(key) / 1000);
        result.waiting.set(waitKey, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay}s restarting failed container=${c.name} pod=${md.name}_${md.namespace}(${md.uid})`,
        });
        this.d.events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${md.name}_${md.namespace}(${md.uid})`);
        result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, remaining + 100);
        return;
      }
      this.d.backoff.next(key);
    }
    const attempt = Math.max(-1, ...view.all.filter((x) => x.metadata.name === c.name).map((x) => x.metadata.attempt)) + 1;
    await this.startContainer(pod, c, kind, attempt, sandboxId, sandboxConfig, view, result);
  }

  private async startExisting(pod: Pod, c: Container, id: string, waitKey: string, result: SyncResult): Promise<void> {
    try {
      await this.d.cri.startContainer(id);
      this.d.events.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    } catch (e) {
      result.waiting.set(waitKey, { reason: 'RunContainerError', message: (e as Error).message });
      this.d.events.event(pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, 5_000);
    }
  }

  private async startContainer(pod: Pod, c: Container, kind: 'init' | 'app', attempt: number,
    sandboxId: string, sandboxConfig: PodSandboxConfig, view: RuntimeView, result: SyncResult): Promise<void> {
    const waitKey = kind === 'init' ? `init/${c.name}` : c.name;
    const fail = (reason: string, message: string, eventMessage = `Error: ${message}`, retryMs = 5_000): void => {
      result.waiting.set(waitKey, { reason, message });
      this.d.events.event(pod, 'Warning', 'Failed', eventMessage);
      result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, retryMs);
    };
    const imageRef = await this.ensureImage(pod, c, sandboxConfig, waitKey, result);
    if (!imageRef) return;
    let env;
    try {
      env = await resolveEnv(pod, c, this.d.lookups, {
        podIP: view.sandbox?.ip, podIPs: view.sandbox?.ip ? [view.sandbox.ip, ...view.sandbox.additionalIPs] : [],
        hostIP: this.d.hostIP(), nodeAllocatable: this.d.nodeAllocatable(),
      });
    } catch (e) {
      if (e instanceof EnvConfigError) { fail('CreateContainerConfigError', e.message); return; }
      throw e;
    }
    // The file the container may write its termination message to (world-writable: it may run as any user).
    const terminationMessageHostPath = path.join(sandboxConfig.logDirectory!, '.termination', `${kind}-${c.name}-${attempt}`);
    fs.mkdirSync(path.dirname(terminationMessageHostPath), { recursive: true });
    fs.writeFileSync(terminationMessageHostPath, '');
    fs.chmodSync(terminationMessageHostPath, 0o666);
    let id: string;
    try {
      id = await this.d.cri.createContainer(sandboxId, containerConfig(pod, c, { attempt, kind, env, imageRef, terminationMessageHostPath }), sandboxConfig);
    } catch (e) {
      fail('CreateContainerError', (e as Error).message);
      return;
    }
    this.d.events.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await this.d.cri.startContainer(id);
    } catch (e) {
      fail('RunContainerError', (e as Error).message);
      return;
    }
    this.d.events.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const r = await runHook(postStart, { exec: (i, cmd, t) => this.d.cri.execSync(i, cmd, t), containerId: id, container: c, podIP: view.sandbox?.ip }, POST_START_TIMEOUT_SECONDS, this.d.clock);
      if (!r.ok) {
        // Upstream kills a container whose postStart hook failed; the restart policy decides what follows.
        this.d.events.event(pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.output}`);
        result.waiting.set(waitKey, { reason: 'PostStartHookError', message: r.output });
        try { await this.d.cri.stopContainer(id, pod.spec?.terminationGracePeriodSeconds ?? 30); } catch { /* gone */ }
      }
    }
  }

  /** The image reference to create the container from, pulling as the policy says; undefined (waiting set) when unavailable. */
  private async ensureImage(pod: Pod, c: Container, sandboxConfig: PodSandboxConfig, waitKey: string, result: SyncResult): Promise<string | undefined> {
    const image = c.image ?? '';
    const policy = pullPolicy(c);
    if (policy !== 'Always') {
      const have = await this.d.cri.imageStatus({ image });
      if (have) {
        this.d.events.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return have.id;
      }
      if (policy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        result.waiting.set(waitKey, { reason: 'ErrImageNeverPull', message });
        this.d.events.event(pod, 'Warning', 'ErrImageNeverPull', message);
        result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, 10_000);
        return undefined;
      }
    }
    const key = `pull/${pod.metadata!.uid}/${image}`;
    const remaining = this.d.backoff.remainingSinceLast(key);
    if (remaining > 0) {
      result.waiting.set(waitKey, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
      this.d.events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, remaining + 100);
      return undefined;
    }
    this.d.events.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.d.clock.now();
    const secrets = await this.d.lookups.secrets(pod.metadata!.namespace ?? 'default', (pod.spec!.imagePullSecrets ?? []).map((s) => s.name ?? ''));
    const auths = pullAuths(image, secrets);
    let lastError: Error | undefined;
    for (const auth of auths.length ? auths : [undefined]) {
      try {
        const ref = await this.d.cri.pullImage({ image }, auth, sandboxConfig);
        const secs = ((this.d.clock.now() - started) / 1000).toFixed(3);
        this.d.events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting)`);
        this.d.backoff.reset(key);
        return ref;
      } catch (e) { lastError = e as Error; }
    }
    this.d.backoff.next(key);
    const message = `Failed to pull image "${image}": ${lastError?.message ?? 'unknown error'}`;
    result.waiting.set(waitKey, { reason: 'ErrImagePull', message });
    this.d.events.event(pod, 'Warning', 'Failed', message);
    this.d.events.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, this.d.backoff.delay(key) + 100);
    return undefined;
  }

  /** Removes exited containers beyond the newest of each name. */
  private async pruneExited(view: RuntimeView): Promise<void> {
    const byName = new Map<string, CriContainer[]>();
    for (const c of view.all) {
      if (c.state !== 'CONTAINER_EXITED') continue;
      const k = `${c.annotations[ANNOTATION_CONTAINER_KIND] ?? 'app'}/${c.metadata.name}`;
      byName.set(k, [...(byName.get(k) ?? []), c]);
    }
    for (const list of byName.values()) {
      list.sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      for (const c of list.slice(KEEP_EXITED_PER_NAME)) await this.removeContainer(c.id);
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try { await this.d.cri.removeContainer(id); } catch (e) { if (!isCriNotFound(e)) throw e; }
  }

  /**
   * Stops every running container of the pod (SIGTERM, SIGKILL after
   * `graceSeconds`), in parallel, then its sandboxes (which frees the pod IP).
   * Containers and sandboxes stay for status and logs until removePod().
   */
  async killPod(uid: string, graceSeconds: number, pod?: Pod): Promise<void> {
    const running = (await this.d.cri.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } }))
      .filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
    let podIP: string | undefined;
    await Promise.all(running.map(async (c) => {
      const name = c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name;
      if (pod) this.d.events.event(pod, 'Normal', 'Killing', `Stopping container ${name}`);
      let grace = graceSeconds;
      const spec = pod?.spec?.containers.find((x) => x.name === name);
      const preStop = spec?.lifecycle?.preStop;
      if (pod && spec && preStop && c.state === 'CONTAINER_RUNNING' && graceSeconds > 0) {
        // The hook runs within the grace period; what is left of it goes to SIGTERM → SIGKILL.
        const started = this.d.clock.now();
        if (preStop.httpGet || preStop.tcpSocket) podIP ??= await this.readyPodIP(uid);
        const r = await runHook(preStop, { exec: (i, cmd, t) => this.d.cri.execSync(i, cmd, t), containerId: c.id, container: spec, podIP }, graceSeconds, this.d.clock);
        if (!r.ok) this.d.events.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
        grace = Math.max(MIN_GRACE_SECONDS, graceSeconds - Math.floor((this.d.clock.now() - started) / 1000));
      }
      try { await this.d.cri.stopContainer(c.id, grace); } catch (e) { if (!isCriNotFound(e)) throw e; }
    }));
    for (const sb of await this.d.cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } })) {
      if (sb.state !== 'SANDBOX_READY') continue;
      try { await this.d.cri.stopPodSandbox(sb.id); } catch (e) { if (!isCriNotFound(e)) throw e; }
    }
  }

  private async readyPodIP(uid: string): Promise<string | undefined> {
    const sb = (await this.d.cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid }, state: 'SANDBOX_READY' }))[0];
    if (!sb) return undefined;
    try { return (await this.d.cri.podSandboxStatus(sb.id)).network?.ip || undefined; } catch { return undefined; }
  }

  /** Removes all of the pod's containers and sandboxes (after killPod), its logs and its pod cgroup. */
  async removePod(uid: string, opts: Partial<SandboxOptions> = {}): Promise<void> {
    for (const c of await this.d.cri.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } })) await this.removeContainer(c.id);
    for (const sb of await this.d.cri.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } })) {
      // RemovePodSandbox also stops it (and runs CNI DEL) if it still runs.
      try { await this.d.cri.removePodSandbox(sb.id); } catch (e) { if (!isCriNotFound(e)) throw e; }
    }
    if (opts.logDirectory) fs.rmSync(opts.logDirectory, { recursive: true, force: true });
    if (opts.cgroupParent) removeCgroupTree(opts.cgroupParent);
    this.d.backoff.resetPrefix(`${uid}/`);
    this.d.backoff.resetPrefix(`pull/${uid}/`);
  }
}

/** Upstream's limits: 4 KiB from the file; the last 80 lines (at most 2 KiB) of the log as fallback. */
const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

/**
 * An exited container's termination message: its terminationMessagePath file,
 * or with FallbackToLogsOnError and a failure and no file content, the end of its log.
 */
export function terminationMessage(annotations: Record<string, string>, exitCode: number, logPath: string): string {
  const file = annotations[ANNOTATION_TERMINATION_MESSAGE_HOST_PATH];
  let msg = '';
  if (file) {
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(MAX_MESSAGE_BYTES);
        msg = buf.subarray(0, fs.readSync(fd, buf, 0, MAX_MESSAGE_BYTES, 0)).toString('utf8');
      } finally { fs.closeSync(fd); }
    } catch { /* removed with the pod */ }
  }
  if (!msg && exitCode !== 0 && annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] === 'FallbackToLogsOnError' && logPath) {
    try {
      // CRI log lines: <time> <stream> <P|F> <content>
      const lines = fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean).slice(-FALLBACK_LINES)
        .map((l) => l.split(' ').slice(3).join(' '));
      msg = Buffer.from(lines.join('\n')).subarray(-FALLBACK_BYTES).toString('utf8');
    } catch { /* no log */ }
  }
  return msg;
}

/** The grace period a deletion asks for, with upstream's 2 s floor. */
export function killGraceSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(MIN_GRACE_SECONDS, g);
}
