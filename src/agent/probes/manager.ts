// Probe workers, one per (container instance, probe kind), as upstream's
// prober manager: each waits initialDelaySeconds after the container started,
// then probes every periodSeconds and flips its result only after
// successThreshold/failureThreshold consecutive outcomes. Readiness starts as
// failure, liveness as success, startup as failure (and holds the other two
// back until it succeeds). A liveness (or startup) failure kills the container,
// and the pod worker's usual restart (with back-off) follows.

import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { sleep, type Clock } from '../../base/clock.ts';
import type { EventRecorder } from '../../client/index.ts';
import { runProbe, type ProbeResult, type ProbeTarget } from './probe.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface RunningContainer { name: string; id: string; startedAt: number }

export interface ProbeManagerOptions {
  clock: Clock;
  events: Pick<EventRecorder, 'event'>;
  exec: ProbeTarget['exec'];
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** A result changed (or a container was killed): sync the pod. */
  onChange(uid: string): void;
  /** Runs one probe (tests replace it). */
  probe?: (probe: Probe, target: ProbeTarget) => Promise<ProbeResult>;
}

interface Worker {
  key: string;
  uid: string;
  kind: ProbeKind;
  containerId: string;
  result: boolean;
  abort: AbortController;
  done: Promise<void>;
}

const KIND_TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class ProbeManager {
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly o: ProbeManagerOptions) {}

  /** Starts workers for running containers that have probes and stops those of containers gone. */
  sync(pod: Pod, running: readonly RunningContainer[], podIP: string | undefined): void {
    const uid = pod.metadata!.uid!;
    const want = new Set<string>();
    for (const rc of running) {
      const c = pod.spec!.containers.find((x) => x.name === rc.name);
      if (!c) continue;
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const probe = c[`${kind}Probe`];
        if (!probe) continue;
        const key = `${uid}/${rc.name}/${kind}/${rc.id}`;
        want.add(key);
        if (!this.workers.has(key)) this.start(key, uid, kind, probe, pod, c, rc, podIP);
      }
    }
    for (const w of this.workers.values()) if (w.uid === uid && !want.has(w.key)) this.stopWorker(w);
  }

  /** The container's readiness from its probe; undefined when it has none. */
  ready(uid: string, name: string, containerId: string): boolean | undefined {
    if (this.startupPending(uid, name, containerId)) return false;
    return this.workers.get(`${uid}/${name}/readiness/${containerId}`)?.result;
  }

  /** False while a startup probe has not succeeded; undefined without one. */
  started(uid: string, name: string, containerId: string): boolean | undefined {
    return this.workers.get(`${uid}/${name}/startup/${containerId}`)?.result;
  }

  private startupPending(uid: string, name: string, id: string): boolean {
    return this.started(uid, name, id) === false;
  }

  removePod(uid: string): void {
    for (const w of this.workers.values()) if (w.uid === uid) this.stopWorker(w);
  }

  async stop(): Promise<void> {
    const all = [...this.workers.values()];
    for (const w of all) this.stopWorker(w);
    await Promise.all(all.map((w) => w.done));
  }

  private stopWorker(w: Worker): void {
    w.abort.abort();
    this.workers.delete(w.key);
  }

  private start(key: string, uid: string, kind: ProbeKind, probe: Probe, pod: Pod, c: Container, rc: RunningContainer, podIP: string | undefined): void {
    const abort = new AbortController();
    const w: Worker = { key, uid, kind, containerId: rc.id, result: kind === 'liveness', abort, done: Promise.resolve() };
    this.workers.set(key, w);
    w.done = this.loop(w, probe, pod, c, rc, podIP).catch(() => undefined);
  }

  private async loop(w: Worker, probe: Probe, pod: Pod, c: Container, rc: RunningContainer, podIP: string | undefined): Promise<void> {
    const { clock } = this.o;
    const signal = w.abort.signal;
    const run = this.o.probe ?? runProbe;
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const successThreshold = Math.max(1, probe.successThreshold ?? 1);
    const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
    const delay = rc.startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - clock.now();
    if (delay > 0) await sleep(clock, delay, signal);
    let successes = 0;
    let failures = 0;
    while (!signal.aborted) {
      // Liveness and readiness wait for a startup probe to succeed.
      if (w.kind === 'startup' || !this.startupPending(w.uid, c.name, rc.id)) {
        const r = await run(probe, { exec: this.o.exec, containerId: rc.id, container: c, podIP });
        if (signal.aborted) return;
        if (r.ok) { successes++; failures = 0; } else { failures++; successes = 0; }
        if (!r.ok) this.o.events.event(pod, 'Warning', 'Unhealthy', `${KIND_TITLE[w.kind]} probe failed: ${r.output}`);
        if (!w.result && successes >= successThreshold) {
          w.result = true;
          this.o.onChange(w.uid);
          // A startup probe is done once it succeeded.
          if (w.kind === 'startup') return;
        } else if (w.result !== false && failures >= failureThreshold) {
          w.result = false;
          if (w.kind === 'readiness') {
            this.o.onChange(w.uid);
          } else {
            await this.kill(w, pod, c, rc, probe);
            return;
          }
        } else if (w.kind === 'startup' && failures >= failureThreshold) {
          await this.kill(w, pod, c, rc, probe);
          return;
        }
      }
      await sleep(clock, period, signal);
    }
  }

  private async kill(w: Worker, pod: Pod, c: Container, rc: RunningContainer, probe: Probe): Promise<void> {
    this.o.events.event(pod, 'Normal', 'Killing', `Container ${c.name} failed ${w.kind} probe, will be restarted`);
    const grace = probe.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    try { await this.o.stopContainer(rc.id, grace); } catch { /* gone already */ }
    this.stopWorker(w);
    this.o.onChange(w.uid);
  }
}
