// kubectl cordon / uncordon / drain through a real `pilot server`: drain
// evicts through pods/eviction, so a PodDisruptionBudget (minAvailable 2 over
// a 3-replica Deployment) holds it back while replacements are not Ready
// (kubectl retries its 429s until --timeout), and lets it finish once they
// are. Nodes are API objects with a renewed Lease; a stand-in kubelet marks
// the Deployment's pods Ready (and binds them, to the node a scheduler would
// pick, when no scheduler did).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig } from '../src/client/kubeconfig.ts';
import { RestClient } from '../src/client/rest.ts';
import { Pilot } from './helpers/pilot.ts';
import { FakeNode } from './helpers/fake-node.ts';
import { FakeKubelet } from './helpers/fake-kubelet.ts';

let pilot: Pilot;
let client: RestClient;
let kubelet: FakeKubelet;
const nodes: FakeNode[] = [];
// The stand-in kubelet reads nodeName when it binds: the test moves new pods to n2 once n1 drains.
const kubeletOpts = { selector: 'app=web', nodeName: 'n1' };

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) { last = e; }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const webPods = async (): Promise<Pod[]> => (await client.resource<Pod>('v1', 'Pod').namespace('default').list({ labelSelector: 'app=web' })).items;
const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

before(async () => {
  pilot = await new Pilot({ extraArgs: ['--node-monitor-period=1s'] }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  for (const n of ['n1', 'n2']) nodes.push(await new FakeNode(client, n, { renewMs: 1000 }).start());
  kubelet = await new FakeKubelet(client, kubeletOpts).start();
});

after(async () => {
  await kubelet?.stop();
  for (const n of nodes) await n.stopHeartbeat();
  client?.close();
  await pilot?.dispose();
});

describe('drain', () => {
  test('kubectl cordon / uncordon: unschedulable with its NoSchedule taint, and back', async () => {
    assert.match(await pilot.k(['cordon', 'n2']), /node\/n2 cordoned/);
    assert.equal(await pilot.k(['get', 'node', 'n2', '-o', 'jsonpath={.spec.unschedulable}']), 'true');
    await waitFor('unschedulable taint', async () =>
      (await pilot.k(['get', 'node', 'n2', '-o', 'jsonpath={.spec.taints[*].key}'])).includes('node.kubernetes.io/unschedulable'));
    assert.match(await pilot.k(['get', 'node', 'n2']), /n2\s+Ready,SchedulingDisabled/);
    assert.match(await pilot.k(['uncordon', 'n2']), /node\/n2 uncordoned/);
    await waitFor('taint removed', async () => (await pilot.k(['get', 'node', 'n2', '-o', 'jsonpath={.spec.taints}'])) === '');
    assert.match(await pilot.k(['get', 'node', 'n2']), /n2\s+Ready\s/);
  });

  test('drain is refused while it would violate the budget, and completes once replacements are Ready', async () => {
    // n2 cordoned: whoever binds the pods (a scheduler, or the stand-in kubelet) puts them on n1.
    await pilot.k(['cordon', 'n2']);
    await pilot.k(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
`,
    });
    const original = await waitFor('3 ready pods on n1', async () => {
      const ps = await webPods();
      return ps.length === 3 && ps.every((p) => p.spec?.nodeName === 'n1' && isReady(p)) ? ps.map((p) => p.metadata!.name!) : undefined;
    });
    await waitFor('budget allows 1', async () => (await pilot.k(['get', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1');
    assert.match(await pilot.k(['get', 'pdb', 'web']), /web\s+2\s+N\/A\s+1\s/);

    // Replacements go to n2 (the only schedulable node once n1 is cordoned) and stay unready:
    // the budget allows one eviction, then no more.
    await pilot.k(['uncordon', 'n2']);
    kubeletOpts.nodeName = 'n2';
    kubelet.ready = (p) => p.spec?.nodeName !== 'n2';
    const refused = await pilot.kubectl(['drain', 'n1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=12s'], { timeoutMs: 60_000 });
    assert.notEqual(refused.code, 0, refused.stdout);
    assert.match(refused.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(refused.stdout, /node\/n1 cordoned/);
    const afterRefusal = await webPods();
    const left = original.filter((n) => afterRefusal.some((p) => p.metadata?.name === n && !p.metadata?.deletionTimestamp));
    assert.equal(left.length, 2, `two of the original pods are still there: ${JSON.stringify(afterRefusal.map((p) => [p.metadata?.name, p.spec?.nodeName]))}`);
    assert.equal(await pilot.k(['get', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}']), '0');
    assert.equal(await pilot.k(['get', 'node', 'n1', '-o', 'jsonpath={.spec.unschedulable}']), 'true');

    // Replacements become Ready: each eviction now waits only for the previous replacement.
    kubelet.ready = () => true;
    kubelet.poke();
    const ok = await pilot.kubectl(['drain', 'n1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.equal(ok.code, 0, `${ok.stderr}\n${ok.stdout}`);
    assert.match(ok.stdout, /evicting pod default\/web-/);
    assert.match(ok.stdout, /node\/n1 drained/);
    await waitFor('3 ready pods on n2, none on n1', async () => {
      const ps = await webPods();
      const live = ps.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === 3 && live.every((p) => p.spec?.nodeName === 'n2' && isReady(p)) && !ps.some((p) => p.spec?.nodeName === 'n1');
    });
    assert.match(await pilot.k(['uncordon', 'n1']), /node\/n1 uncordoned/);
  });
});
