// One worker per pod bound to this node: syncs are serialised per pod and
// never overlap, any number of pods proceed in parallel. Work comes from pod
// informer events, from the relister (a container changed state in the
// runtime, as upstream's PLEG notices), from back-off timers, and from a
// periodic resync. Pods the API no longer has are killed and removed, and so
// are sandboxes of pods this agent does not know (orphans of an earlier run).

import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock, Disposable } from '../base/clock.ts';
import { isNotFound, type Informer, type RestClient } from '../client/index.ts';
import type { CriRuntime } from './cri/client.ts';
import { computePodStatus } from './pod-status.ts';
import { killGraceSeconds, PodSync } from './pod-sync.ts';
import type { ProbeManager } from './probes/manager.ts';
import { LABEL_POD_UID, type SandboxOptions } from './runtime-config.ts';

/** How often the runtime is relisted for state changes (upstream's PLEG: 1 s). */
export const RELIST_INTERVAL_MS = 1_000;
/** Every pod is synced at least this often. */
export const RESYNC_INTERVAL_MS = 10_000;

interface Worker {
  uid: string;
  /** The latest pod from the API; undefined once it is gone. */
  pod?: Pod;
  /** The last pod seen, for cleanup after it is gone. */
  lastPod: Pod;
  dirty: boolean;
  running?: Promise<void>;
  timer?: Disposable;
  /** The status last written, to skip writes that change nothing. */
  lastStatus?: string;
  /** The pod's containers are stopped and it is done (deleted or finished). */
  finished?: boolean;
}

export interface PodWorkersOptions {
  client: RestClient;
  cri: CriRuntime;
  sync: PodSync;
  informer: Informer<Pod>;
  clock: Clock;
  logger: Logger;
  sandboxOptions: (pod: Pod) => SandboxOptions;
  hostIP: () => string | undefined;
  probes?: ProbeManager;
}

function isTerminal(phase: string | undefined): boolean { return phase === 'Succeeded' || phase === 'Failed'; }

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private stopped = false;
  private relistTimer?: Disposable;
  private resyncTimer?: Disposable;
  private lastSeen = new Map<string, string>();
  private relisting?: Promise<void>;

  constructor(private readonly o: PodWorkersOptions) {}

  start(): void {
    this.o.informer.on({
      add: (p) => this.update(p),
      update: (_, p) => this.update(p),
      delete: (p) => this.gone(p),
    });
    this.scheduleRelist();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.relistTimer?.dispose();
    this.resyncTimer?.dispose();
    for (const w of this.workers.values()) w.timer?.dispose();
    await this.relisting;
    await this.o.probes?.stop();
    await Promise.all([...this.workers.values()].map((w) => w.running ?? Promise.resolve()));
  }

  /** Syncs the pod soon (a probe result changed). */
  resync(uid: string): void {
    const w = this.workers.get(uid);
    if (w && !w.finished) this.schedule(w);
  }

  /** UIDs of pods with a worker (for tests and status). */
  active(): string[] { return [...this.workers.keys()]; }

  private update(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod, lastPod: pod, dirty: false };
      this.workers.set(uid, w);
    }
    w.pod = pod;
    w.lastPod = pod;
    this.schedule(w);
  }

  private gone(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const w = this.workers.get(uid) ?? { uid, lastPod: pod, dirty: false };
    this.workers.set(uid, w);
    w.pod = undefined;
    this.schedule(w);
  }

  private schedule(w: Worker, afterMs = 0): void {
    if (this.stopped) return;
    if (afterMs > 0) {
      w.timer?.dispose();
      w.timer = this.o.clock.setTimeout(() => { w.timer = undefined; this.schedule(w); }, afterMs);
      return;
    }
    w.dirty = true;
    if (!w.running) w.running = this.run(w).finally(() => { w.running = undefined; });
  }

  private async run(w: Worker): Promise<void> {
    while (w.dirty && !this.stopped) {
      w.dirty = false;
      try {
        const again = await this.syncWorker(w);
        if (again !== undefined) this.schedule(w, again);
      } catch (err) {
        this.o.logger.warn({ err, pod: this.name(w.lastPod) }, 'pod sync failed; retrying');
        this.schedule(w, 2_000);
      }
    }
  }

  private name(p: Pod): string { return `${p.metadata?.namespace}/${p.metadata?.name}`; }

  /** One sync of one pod. Returns when to sync again (undefined: only on the next event). */
  private async syncWorker(w: Worker): Promise<number | undefined> {
    const pod = w.pod;
    const podDirs = this.o.sandboxOptions(w.lastPod);
    if (!pod || pod.metadata?.deletionTimestamp || isTerminal(pod.status?.phase)) this.o.probes?.removePod(w.uid);
    if (!pod) {
      // Gone from the API (deleted at once, or after we finished it): nothing of it may stay.
      await this.o.sync.killPod(w.uid, killGraceSeconds(w.lastPod));
      await this.o.sync.removePod(w.uid, podDirs);
      this.workers.delete(w.uid);
      w.timer?.dispose();
      return undefined;
    }
    if (pod.metadata?.deletionTimestamp) {
      await this.o.sync.killPod(w.uid, killGraceSeconds(pod), pod);
      await this.writeStatus(w, pod, true);
      try {
        await this.o.client.resource<Pod>('v1', 'Pod').namespace(pod.metadata.namespace ?? 'default')
          .delete(pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: w.uid } });
      } catch (e) { if (!isNotFound(e)) throw e; }
      await this.o.sync.removePod(w.uid, podDirs);
      w.finished = true;
      return undefined;
    }
    if (isTerminal(pod.status?.phase)) {
      // Finished: its containers have exited; free the sandbox (and the IP) once.
      if (!w.finished) {
        await this.o.sync.killPod(w.uid, 0);
        w.finished = true;
      }
      return undefined;
    }
    const res = await this.o.sync.sync(pod);
    const status = await this.writeStatus(w, pod, false, res.waiting);
    if (isTerminal(status.phase)) {
      await this.o.sync.killPod(w.uid, 0);
      w.finished = true;
      return undefined;
    }
    return Math.min(res.requeueAfterMs ?? RESYNC_INTERVAL_MS, RESYNC_INTERVAL_MS);
  }

  private async writeStatus(w: Worker, pod: Pod, terminating: boolean, waiting = new Map<string, { reason: string; message?: string }>()): Promise<PodStatus> {
    const view = await this.o.sync.view(w.uid);
    const now = new Date(Math.floor(this.o.clock.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // A pod being deleted reaches a terminal phase as if it could not restart (upstream since 1.27).
    const basis: Pod = terminating ? { ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } } : pod;
    const probes = this.o.probes;
    if (probes && !terminating) {
      const running = view.containers.filter((c) => c.kind === 'app' && c.state === 'CONTAINER_RUNNING')
        .map((c) => ({ name: c.name, id: c.id, startedAt: c.startedAt }));
      probes.sync(pod, running, view.sandbox?.ip);
    }
    const status = computePodStatus(basis, view, waiting, {
      now, hostIP: this.o.hostIP(), terminating,
      probes: probes ? (name, id) => ({ ready: probes.ready(w.uid, name, id), started: probes.started(w.uid, name, id) }) : undefined,
    });
    const text = JSON.stringify(status);
    if (text === w.lastStatus) return status;
    try {
      await this.o.client.resource<Pod>('v1', 'Pod').namespace(pod.metadata!.namespace ?? 'default')
        .patch(pod.metadata!.name!, 'merge', { status }, { subresource: 'status' });
    } catch (e) {
      // Deleted meanwhile: the informer's delete event brings the cleanup.
      if (isNotFound(e)) return status;
      throw e;
    }
    w.lastStatus = text;
    return status;
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.relistTimer = this.o.clock.setTimeout(() => {
      this.relisting = this.relist()
        .catch((err: unknown) => this.o.logger.debug({ err }, 'runtime relist failed'))
        .finally(() => { this.relisting = undefined; this.scheduleRelist(); });
    }, RELIST_INTERVAL_MS);
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.o.clock.setTimeout(() => {
      for (const w of this.workers.values()) if (!w.finished) this.schedule(w);
      this.scheduleResync();
    }, RESYNC_INTERVAL_MS);
  }

  /**
   * Wakes the worker of every pod whose containers changed state since the
   * last relist, and cleans up sandboxes of pods unknown to the API.
   */
  private async relist(): Promise<void> {
    const [containers, sandboxes] = await Promise.all([this.o.cri.listContainers(), this.o.cri.listPodSandbox()]);
    const seen = new Map<string, string[]>();
    for (const c of containers) {
      const uid = c.labels[LABEL_POD_UID];
      if (uid) seen.set(uid, [...(seen.get(uid) ?? []), `${c.id}:${c.state}`]);
    }
    for (const s of sandboxes) {
      const uid = s.labels[LABEL_POD_UID];
      if (uid) seen.set(uid, [...(seen.get(uid) ?? []), `${s.id}:${s.state}`]);
    }
    const next = new Map<string, string>();
    for (const [uid, parts] of seen) next.set(uid, parts.sort().join(','));
    for (const [uid, sig] of next) {
      if (this.lastSeen.get(uid) === sig) continue;
      const w = this.workers.get(uid);
      if (w) this.schedule(w);
    }
    this.lastSeen = next;
    if (!this.o.informer.hasSynced()) return;
    const known = new Set(this.o.informer.lister().list().map((p) => p.metadata?.uid));
    for (const uid of next.keys()) {
      if (known.has(uid) || this.workers.has(uid)) continue;
      // An orphan (its pod was deleted while the agent was down): remove it like a deleted pod.
      const sb = sandboxes.find((s) => s.labels[LABEL_POD_UID] === uid);
      const orphan: Pod = {
        metadata: { uid, name: sb?.metadata.name ?? uid, namespace: sb?.metadata.namespace ?? 'default' },
        spec: { containers: [], terminationGracePeriodSeconds: 0 },
      };
      this.o.logger.info({ uid, pod: this.name(orphan) }, 'removing containers of a pod that no longer exists');
      this.gone(orphan);
    }
  }
}
