// Node health as the node lifecycle controller sees it (upstream's
// tryUpdateNodeHealth): a node is alive while its kubelet renews its Lease in
// kube-node-lease or posts new status (the Ready condition's
// lastHeartbeatTime). Both are judged by when *this controller* saw them
// change, on its own clock, never by the timestamps' values: a node's clock
// may be off.

import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { parseTime, rfc3339 } from '../replicaset/util.ts';
import { condition } from './taints.ts';

/** The conditions set to Unknown when a node stops reporting. */
export const UNKNOWN_CONDITION_TYPES = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface NodeHealthData {
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition last seen in the node's status. */
  ready?: NodeCondition;
  leaseRenewTime?: string;
}

export interface HealthVerdict {
  gracePeriodMs: number;
  /** The Ready condition as reported (or, for a node that never reported, an Unknown one). */
  observed: NodeCondition;
  /** The Ready condition after this pass: Unknown when the grace period passed. Undefined if none. */
  current?: NodeCondition;
  /** The status to write (conditions made Unknown), when something changed. */
  statusUpdate?: Node;
}

/** MicroTime/Time comparison: a before b. */
function before(a: string | undefined, b: string | undefined): boolean {
  const ta = parseTime(a) ?? 0;
  const tb = parseTime(b) ?? 0;
  if (ta !== tb) return ta < tb;
  return (a ?? '') < (b ?? '');
}

export class NodeHealthTracker {
  private readonly data = new Map<string, NodeHealthData>();

  constructor(private readonly opts: { gracePeriodMs: number; startupGracePeriodMs: number }) {}

  forget(name: string): void { this.data.delete(name); }

  /** Counts the grace period from `now` (leaving master disruption mode: nobody is blamed for our outage). */
  resetProbe(name: string, now: number): void {
    const h = this.data.get(name);
    if (h) this.data.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
  }

  /** When the controller last saw a sign of life from the node. */
  probeTimestamp(name: string): number | undefined { return this.data.get(name)?.probeTimestamp; }

  /**
   * Records what the node and its Lease show at `now`, and decides whether the
   * node has been silent beyond its grace period. Pure apart from the tracker's
   * own memory: the caller writes `statusUpdate` and then calls `written`.
   */
  assess(node: Node, lease: Lease | undefined, now: number): HealthVerdict {
    const name = node.metadata?.name ?? '';
    const created = parseTime(node.metadata?.creationTimestamp) ?? now;
    const reported = condition(node, 'Ready');
    let gracePeriodMs: number;
    let observed: NodeCondition;
    let health = this.data.get(name);
    if (!reported) {
      // Never posted status: judge from its creation, with the (longer) startup grace period.
      const at = node.metadata?.creationTimestamp;
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: at, lastTransitionTime: at };
      gracePeriodMs = this.opts.startupGracePeriodMs;
      health = health ? { ...health, ready: undefined } : { probeTimestamp: created, readyTransitionTimestamp: created };
    } else {
      observed = reported;
      gracePeriodMs = this.opts.gracePeriodMs;
      if (!health) {
        health = { probeTimestamp: now, readyTransitionTimestamp: now, ready: reported };
      } else if (!health.ready) {
        // First Ready condition seen (or the controller restarted): start counting now.
        health = { ...health, probeTimestamp: now, readyTransitionTimestamp: now, ready: reported };
      } else if (health.ready.lastHeartbeatTime !== reported.lastHeartbeatTime) {
        const transitioned = health.ready.lastTransitionTime !== reported.lastTransitionTime;
        health = { ...health, probeTimestamp: now, readyTransitionTimestamp: transitioned ? now : health.readyTransitionTimestamp, ready: reported };
      }
    }
    // A renewed Lease is a heartbeat too.
    const renew = lease?.spec?.renewTime;
    if (renew && (health.leaseRenewTime === undefined || before(health.leaseRenewTime, renew))) {
      health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
    }
    this.data.set(name, health);

    if (now <= health.probeTimestamp + gracePeriodMs) return { gracePeriodMs, observed, current: reported };

    // Silent too long: every condition the kubelet owns becomes Unknown.
    const conditions: NodeCondition[] = structuredClone(node.status?.conditions ?? []);
    const nowIso = rfc3339(now);
    for (const type of UNKNOWN_CONDITION_TYPES) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({
          type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.',
          lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: nowIso,
        });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = nowIso;
      }
    }
    const next: Node = { ...structuredClone(node), status: { ...structuredClone(node.status ?? {}), conditions } };
    const current = conditions.find((c) => c.type === 'Ready');
    if (JSON.stringify(current) === JSON.stringify(observed)) return { gracePeriodMs, observed, current };
    return { gracePeriodMs, observed, current, statusUpdate: next };
  }

  /** After the Unknown status was written: remember it, so the next pass does not count it as a heartbeat. */
  written(node: Node, now: number): void {
    const name = node.metadata?.name ?? '';
    const health = this.data.get(name);
    if (!health) return;
    this.data.set(name, { ...health, ready: condition(node, 'Ready'), readyTransitionTimestamp: now });
  }
}
