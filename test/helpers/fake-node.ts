// A Node object and its heartbeat, for tests of the node controllers without a
// kubelet: registers the Node (Ready, with status heartbeats) and keeps its
// Lease in kube-node-lease renewed until stopHeartbeat() — after which the
// node lifecycle controller should notice the silence.

import type { Node } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { RestClient } from '../../src/client/index.ts';

export interface FakeNodeOptions {
  /** Lease renewal period. Default 1 s. */
  renewMs?: number;
  labels?: Record<string, string>;
}

function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function time(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class FakeNode {
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;

  constructor(private readonly client: RestClient, readonly name: string, private readonly opts: FakeNodeOptions = {}) {}

  /** Creates the Node (Ready) and its Lease, and starts renewing the Lease. */
  async start(): Promise<this> {
    const now = time();
    await this.client.resource<Node>('v1', 'Node').create({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name, 'kubernetes.io/os': 'linux', ...(this.opts.labels ?? {}) } },
      spec: {},
    });
    await this.client.resource<Node>('v1', 'Node').patch(this.name, 'merge', {
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
          { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: now, lastTransitionTime: now },
          { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: now, lastTransitionTime: now },
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: this.name }],
      },
    }, { subresource: 'status' });
    await this.client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-node-lease').create({
      metadata: { name: this.name },
      spec: { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: microTime() },
    });
    this.startRenewing();
    return this;
  }

  private startRenewing(): void {
    const period = this.opts.renewMs ?? 1000;
    const renew = (): void => {
      this.renewing = this.renew().catch(() => undefined).finally(() => {
        if (this.timer) this.timer = setTimeout(renew, period);
      });
    };
    this.timer = setTimeout(renew, period);
  }

  private async renew(): Promise<void> {
    await this.client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-node-lease')
      .patch(this.name, 'merge', { spec: { renewTime: microTime() } });
  }

  /** The kubelet "dies": no more Lease renewals. */
  async stopHeartbeat(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.renewing;
  }

  /** The kubelet is back: Ready with a fresh heartbeat, Lease renewed again. */
  async resume(): Promise<void> {
    const now = time();
    const node = await this.client.resource<Node>('v1', 'Node').get(this.name);
    const conditions = (node.status?.conditions ?? []).map((c) => ({
      ...c, status: c.type === 'Ready' ? 'True' : 'False', lastHeartbeatTime: now,
      lastTransitionTime: c.status === (c.type === 'Ready' ? 'True' : 'False') ? c.lastTransitionTime : now,
      reason: c.type === 'Ready' ? 'KubeletReady' : c.reason,
    }));
    await this.client.resource<Node>('v1', 'Node').patch(this.name, 'merge', { status: { conditions } }, { subresource: 'status' });
    await this.renew();
    if (!this.timer) this.startRenewing();
  }
}
