// Zones and their health (upstream's disruption handling in the node
// lifecycle controller): NoExecute tainting — and so eviction — runs at a
// per-zone rate that depends on how much of the zone is down. A zone entirely
// down is tainted at the normal rate, but when *every* zone is entirely down
// the controller assumes it is the one cut off ("master disruption mode"):
// it evicts nothing and takes its NoExecute taints off.

import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Clock, Disposable } from '../../base/clock.ts';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** Upstream's defaults: --secondary-node-eviction-rate, --large-cluster-size-threshold, --unhealthy-zone-threshold. */
export const SECONDARY_EVICTION_RATE = 0.01;
export const LARGE_CLUSTER_THRESHOLD = 50;
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;

/** GetZoneKey: region and zone labels joined ("" for a node without them). */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

/** ComputeZoneState: not-Ready count and the zone's state from its nodes' Ready conditions. */
export function computeZoneState(ready: (NodeCondition | undefined)[]): { notReady: number; state: ZoneState } {
  let readyNodes = 0;
  let notReady = 0;
  for (const c of ready) {
    if (c?.status === 'True') readyNodes++; else notReady++;
  }
  if (readyNodes === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + readyNodes) >= UNHEALTHY_ZONE_THRESHOLD) return { notReady, state: 'PartialDisruption' };
  return { notReady, state: 'Normal' };
}

/**
 * A zone's queue of nodes waiting for their NoExecute taint, drained at `qps`
 * nodes per second (burst 1); qps 0 stops it. Oldest first; a node is queued
 * once. `process` says whether the node is done (false: queue it again).
 */
export class RateLimitedNodeQueue {
  private readonly pending = new Map<string, number>();
  private nextAt = 0;
  private timer?: Disposable;
  private running = false;
  private stopped = false;

  constructor(private readonly clock: Clock, private qps: number, private readonly process: (node: string) => Promise<boolean>) {}

  /** Queues `node`; with `start` false it waits for the next start() (the rate may be about to change). */
  add(node: string, start = true): void {
    if (this.pending.has(node)) return;
    this.pending.set(node, this.clock.now());
    if (start) this.kick();
  }

  /** Processes what is queued, as the rate allows. */
  start(): void { this.kick(); }

  remove(node: string): void { this.pending.delete(node); }

  has(node: string): boolean { return this.pending.has(node); }

  nodes(): string[] { return [...this.pending.keys()]; }

  /** SwapLimiter: a new rate, effective for the next node. */
  setRate(qps: number): void {
    if (qps === this.qps) return;
    this.qps = qps;
    this.timer?.dispose();
    this.timer = undefined;
    // A new limiter starts with a full bucket, as upstream's SwapLimiter does.
    this.nextAt = 0;
    this.kick();
  }

  get rate(): number { return this.qps; }

  stop(): void {
    this.stopped = true;
    this.timer?.dispose();
    this.timer = undefined;
  }

  private kick(): void {
    if (this.running || this.timer || this.stopped || this.qps <= 0 || this.pending.size === 0) return;
    const wait = this.nextAt - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(() => { this.timer = undefined; this.kick(); }, wait);
      return;
    }
    void this.runOne();
  }

  private async runOne(): Promise<void> {
    const first = this.pending.keys().next();
    if (first.done) return;
    const node = first.value;
    this.running = true;
    this.pending.delete(node);
    this.nextAt = this.clock.now() + 1000 / this.qps;
    let done = true;
    try {
      done = await this.process(node);
    } catch {
      done = false;
    } finally {
      this.running = false;
    }
    if (!done && !this.stopped && !this.pending.has(node)) this.pending.set(node, this.clock.now());
    this.kick();
  }
}
