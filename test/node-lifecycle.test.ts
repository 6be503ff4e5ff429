// Node lifecycle through a real `pilot server` and kubectl: Nodes with a
// Lease get pod CIDRs (node IPAM); when one's Lease stops being renewed it
// turns Unknown (NotReady) after --node-monitor-grace-period, gets the
// unreachable taints, its pods go not Ready, and a pod tolerating the taint
// for 2 s is evicted while one with the default 300 s stays; it recovers when
// the heartbeat resumes; a hand-made NoExecute taint evicts pods at once.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig } from '../src/client/kubeconfig.ts';
import { RestClient } from '../src/client/rest.ts';
import { Pilot } from './helpers/pilot.ts';
import { FakeNode } from './helpers/fake-node.ts';

const GRACE = '3s';
let pilot: Pilot;
let client: RestClient;
let node: FakeNode;
// A healthy neighbour: were every node silent, the controller would blame itself and evict nothing.
let neighbour: FakeNode;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) { last = e; }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pods = () => client.resource<Pod>('v1', 'Pod').namespace('default');

async function runningPod(name: string, tolerations: object[] = []): Promise<void> {
  await pods().create({ metadata: { name }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], tolerations } });
  await pods().patch(name, 'merge', {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] },
  }, { subresource: 'status' });
}

async function jsonpath(args: string[], path: string): Promise<string> {
  return pilot.k([...args, '-o', `jsonpath=${path}`]);
}

before(async () => {
  pilot = await new Pilot({
    extraArgs: [`--node-monitor-grace-period=${GRACE}`, '--node-monitor-period=500ms', '--cluster-cidr=10.42.0.0/16', '--node-cidr-mask-size=24'],
  }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  node = await new FakeNode(client, 'n1', { renewMs: 500 }).start();
  neighbour = await new FakeNode(client, 'n2', { renewMs: 500 }).start();
});

after(async () => {
  await node?.stopHeartbeat();
  await neighbour?.stopHeartbeat();
  client?.close();
  await pilot?.dispose();
});

describe('node lifecycle', () => {
  test('node IPAM gives each node its own /24 of the cluster CIDR', async () => {
    const cidr = async (n: string): Promise<string> => waitFor(`podCIDR of ${n}`, async () => (await jsonpath(['get', 'node', n], '{.spec.podCIDR}')) || undefined);
    const [c1, c2] = [await cidr('n1'), await cidr('n2')];
    assert.match(c1, /^10\.42\.\d+\.0\/24$/);
    assert.match(c2, /^10\.42\.\d+\.0\/24$/);
    assert.notEqual(c1, c2);
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.spec.podCIDRs[0]}'), c1);
  });

  test('a silent node goes Unknown, is tainted, its pods turn unready and short tolerations expire', async () => {
    await runningPod('short', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await runningPod('patient');
    // Admission gave the plain pod upstream's default tolerations (300 s).
    const tol = (await pods().get('patient')).spec?.tolerations ?? [];
    assert.ok(tol.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.tolerationSeconds === 300));

    // Healthy for a while: still Ready, no taints, well past the grace period.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].status}'), 'True');
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.spec.taints}'), '');

    await node.stopHeartbeat();
    await waitFor('node Unknown', async () => (await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].status}')) === 'Unknown');
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].reason}'), 'NodeStatusUnknown');
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].message}'), 'Kubelet stopped posting node status.');
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="MemoryPressure")].status}'), 'Unknown');
    assert.match(await pilot.k(['get', 'node', 'n1']), /n1\s+NotReady/);

    const taints = await waitFor('unreachable taints', async () => {
      const t = await jsonpath(['get', 'node', 'n1'], '{range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}');
      return t.includes('unreachable:NoExecute') && t.includes('unreachable:NoSchedule') ? t : undefined;
    });
    assert.deepEqual(taints.trim().split('\n').sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);

    await waitFor('pods not Ready', async () => (await jsonpath(['get', 'pod', 'patient'], '{.status.conditions[?(@.type=="Ready")].status}')) === 'False');
    // Tolerated for 2 s: evicted (the pod is bound to a node, so it is deleted gracefully).
    const evicted = await waitFor('short evicted', async () => (await pods().get('short')).metadata?.deletionTimestamp);
    assert.ok(evicted);
    const cond = (await pods().get('short')).status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.reason, 'DeletionByTaintManager');
    assert.equal((await pods().get('patient')).metadata?.deletionTimestamp, undefined);
    const events = await waitFor('eviction event', async () => {
      const out = await pilot.k(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'jsonpath={.items[*].message}']);
      return out.includes('Marking for deletion Pod default/short') ? out : undefined;
    });
    assert.match(events, /Marking for deletion Pod default\/short/);
  });

  test('the heartbeat resumes: Ready again, the controller taints gone', async () => {
    await node.resume();
    await waitFor('node Ready', async () => (await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].status}')) === 'True');
    await waitFor('taints removed', async () => (await jsonpath(['get', 'node', 'n1'], '{.spec.taints}')) === '');
    // Past the grace period again and still fine: the Lease keeps it alive.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await jsonpath(['get', 'node', 'n1'], '{.status.conditions[?(@.type=="Ready")].status}'), 'True');
    assert.equal((await pods().get('patient')).metadata?.deletionTimestamp, undefined);
  });

  test('kubectl taint NoExecute evicts pods that do not tolerate it, at once', async () => {
    await runningPod('tolerant', [{ key: 'maintenance', operator: 'Equal', value: 'yes', effect: 'NoExecute' }]);
    await pilot.k(['taint', 'node', 'n1', 'maintenance=yes:NoExecute']);
    await waitFor('patient evicted', async () => (await pods().get('patient')).metadata?.deletionTimestamp, 15_000);
    assert.equal((await pods().get('tolerant')).metadata?.deletionTimestamp, undefined);
    await pilot.k(['taint', 'node', 'n1', 'maintenance=yes:NoExecute-']);
  });
});
