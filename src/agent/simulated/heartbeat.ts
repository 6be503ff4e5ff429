// Keeps every simulated node alive the way kubelets do: the node's Lease is
// renewed every 10 s (jittered by up to 4 %, as the kubelet's lease controller),
// and its status is re-reported every 5 minutes when nothing changed (the
// kubelet's node-status-report-frequency). Nodes are spread over the interval
// so 5,000 of them renew ~500 times a second, not 5,000 at once every 10 s.
// Time and randomness are injected; the writes are the caller's.

import type { Clock, Disposable } from '../../base/clock.ts';

export interface HeartbeatWriter {
  renewLease(node: string): Promise<void>;
  reportStatus(node: string): Promise<void>;
}

export interface HeartbeatOptions {
  clock: Clock;
  /** [0, 1); injected so tests are deterministic. */
  random: () => number;
  leaseRenewIntervalMs: number;
  nodeStatusReportIntervalMs: number;
  onError?: (node: string, what: 'lease' | 'status', err: unknown) => void;
}

/** Kubelet's lease controller: retry a failed renewal after 200 ms, doubling up to 7 s. */
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 7_000;
const LEASE_JITTER = 0.04;
const STATUS_JITTER = 0.1;

interface NodeTimers { lease?: Disposable; status?: Disposable; leaseFailures: number }

export class Heartbeats {
  private readonly nodes = new Map<string, NodeTimers>();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  readonly stats = { leaseRenewals: 0, statusReports: 0, errors: 0 };

  constructor(private readonly writer: HeartbeatWriter, private readonly opts: HeartbeatOptions) {}

  /**
   * Starts heartbeats of a node that was just registered (with a fresh status
   * and Lease): its next renewal comes at a random point of the first interval.
   */
  add(node: string): void {
    if (this.stopped || this.nodes.has(node)) return;
    const t: NodeTimers = { leaseFailures: 0 };
    this.nodes.set(node, t);
    this.scheduleLease(node, t, this.opts.random() * this.opts.leaseRenewIntervalMs);
    this.scheduleStatus(node, t);
  }

  get size(): number { return this.nodes.size; }

  /** No more renewals: the nodes' Leases expire and the node lifecycle controller marks them NotReady. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.nodes.values()) { t.lease?.dispose(); t.status?.dispose(); }
    this.nodes.clear();
    await Promise.allSettled([...this.inflight]);
  }

  private scheduleLease(node: string, t: NodeTimers, ms: number): void {
    t.lease = this.opts.clock.setTimeout(() => this.run(node, 'lease', t), ms);
  }

  private scheduleStatus(node: string, t: NodeTimers): void {
    const ms = this.opts.nodeStatusReportIntervalMs * (1 - STATUS_JITTER + 2 * STATUS_JITTER * this.opts.random());
    t.status = this.opts.clock.setTimeout(() => this.run(node, 'status', t), ms);
  }

  private run(node: string, what: 'lease' | 'status', t: NodeTimers): void {
    if (this.stopped || this.nodes.get(node) !== t) return;
    const p = (what === 'lease' ? this.writer.renewLease(node) : this.writer.reportStatus(node)).then(
      () => {
        if (what === 'lease') { this.stats.leaseRenewals++; t.leaseFailures = 0; } else this.stats.statusReports++;
        return true;
      },
      (err: unknown) => {
        this.stats.errors++;
        if (!this.stopped) this.opts.onError?.(node, what, err);
        return false;
      },
    ).then((ok) => {
      if (this.stopped || this.nodes.get(node) !== t) return;
      if (what === 'status') { this.scheduleStatus(node, t); return; }
      if (ok) this.scheduleLease(node, t, this.opts.leaseRenewIntervalMs * (1 + LEASE_JITTER * this.opts.random()));
      else this.scheduleLease(node, t, Math.min(RETRY_BASE_MS * 2 ** t.leaseFailures++, RETRY_MAX_MS, this.opts.leaseRenewIntervalMs));
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
