// The scheduler inside a real `pilot server`, driven by the real kubectl.
// Nodes are plain Node objects (no kubelet), so bound pods stay Pending — what
// matters is spec.nodeName, the PodScheduled condition, and the events.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function node(name: string, o: { cpu: string; memory?: string; labels?: Record<string, string>; taints?: unknown[]; extra?: Record<string, string> }): unknown {
  const res = { cpu: o.cpu, memory: o.memory ?? '8Gi', pods: '110', ...(o.extra ?? {}) };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: o.taints ? { taints: o.taints } : {},
    status: { capacity: res, allocatable: res },
  };
}

function pod(name: string, spec: Record<string, any> = {}, labels: Record<string, string> = {}, cpu = '100m'): unknown {
  const { resources, ...rest } = spec;
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: resources ?? { requests: { cpu } } }], ...rest },
  };
}

async function apply(...objs: unknown[]): Promise<void> {
  await pilot.k(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }) });
}

async function nodeOf(name: string): Promise<string | undefined> {
  const p = await pilot.json(['get', 'pod', name]);
  return p.spec.nodeName as string | undefined;
}

const waitBound = (name: string): Promise<string> => waitFor(`pod ${name} bound`, () => nodeOf(name));

before(async () => {
  // Only the ServiceAccount controller: pods need their `default` account; nothing else may touch the nodes.
  pilot = await new Pilot({ extraArgs: ['--controllers', 'serviceaccount'] }).start();
  await waitFor('the default ServiceAccount', async () => (await pilot.kubectl(['get', 'serviceaccount', 'default'])).code === 0);
  await apply(
    node('small', { cpu: '2', labels: { 'topology.kubernetes.io/zone': 'a', disk: 'ssd' } }),
    node('big', { cpu: '4', labels: { 'topology.kubernetes.io/zone': 'b' } }),
    node('gpu', { cpu: '4', labels: { 'topology.kubernetes.io/zone': 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], extra: { 'nvidia.com/gpu': '2' } }),
    node('cp', { cpu: '4', labels: { 'topology.kubernetes.io/zone': 'b' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
  );
});

after(async () => { await pilot?.dispose(); });

test('nodeSelector, tolerations and extended resources pick the node', async () => {
  await apply(
    pod('ssd', { nodeSelector: { disk: 'ssd' } }),
    pod('needs-gpu', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      resources: { requests: { cpu: '100m' }, limits: { 'nvidia.com/gpu': '1' } },
    }),
    pod('affine', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['b'] }] }] } } } }),
  );
  assert.equal(await waitBound('ssd'), 'small');
  assert.equal(await waitBound('needs-gpu'), 'gpu');
  // zone b: big (cp is tainted)
  assert.equal(await waitBound('affine'), 'big');
  const p = await pilot.json(['get', 'pod', 'ssd']);
  const cond = p.status.conditions.find((c: any) => c.type === 'PodScheduled');
  assert.equal(cond.status, 'True');
  const events = await pilot.k(['get', 'events', '--field-selector', 'involvedObject.name=ssd', '-o', 'jsonpath={range .items[*]}{.reason}|{.source.component}|{.message}{"\\n"}{end}']);
  assert.match(events, /Scheduled\|default-scheduler\|Successfully assigned default\/ssd to small/);
});

test('required pod anti-affinity and hard topology spread place pods apart', async () => {
  const anti = (n: string): unknown => pod(n, {
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'topology.kubernetes.io/zone' }] } },
  }, { app: 'db' });
  await apply(anti('db-1'));
  const first = await waitBound('db-1');
  await apply(anti('db-2'));
  const second = await waitBound('db-2');
  const zone = (n: string): string => (n === 'small' || n === 'gpu' ? 'a' : 'b');
  assert.notEqual(zone(first), zone(second));
  // A third cannot go anywhere: both zones hold a db pod.
  await apply(anti('db-3'));
  const msg = await waitFor('db-3 unschedulable', async () => {
    const p = await pilot.json(['get', 'pod', 'db-3']);
    return p.status.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False')?.message as string | undefined;
  });
  // The db pods' own (symmetric) anti-affinity is checked first, as upstream.
  assert.equal(msg, '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint '
    + "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/4 nodes are available: "
    + '2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..');

  // Spread web pods over zones a/b with maxSkew 1 (only small and big are usable).
  const spread = (n: string): unknown => pod(n, {
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
  }, { app: 'web' });
  const zones: string[] = [];
  for (let i = 0; i < 4; i++) {
    await apply(spread(`web-${i}`));
    zones.push(zone(await waitBound(`web-${i}`)));
  }
  assert.equal(zones.filter((z) => z === 'a').length, 2, `zones: ${zones.join(',')}`);
  assert.equal(zones.filter((z) => z === 'b').length, 2, `zones: ${zones.join(',')}`);
});

test('an unschedulable pod gets the condition and the upstream FailedScheduling message; a new node fixes it', async () => {
  await apply(pod('huge', { resources: { requests: { cpu: '6' } } }));
  const expected = '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint '
    + '{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/4 nodes are available: '
    + '2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..';
  const cond = await waitFor('PodScheduled=False', async () => {
    const p = await pilot.json(['get', 'pod', 'huge']);
    return p.status.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False');
  });
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, expected);
  const describe = await pilot.k(['describe', 'pod', 'huge']);
  assert.match(describe, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/4 nodes are available/);
  const events = await pilot.json(['get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling']);
  assert.equal(events.items[0].message, expected);
  assert.equal(events.items[0].type, 'Warning');
  // No polling: the pod waits in the unschedulable set until a node is added.
  await apply(node('huge-node', { cpu: '8', labels: { 'topology.kubernetes.io/zone': 'c' } }));
  assert.equal(await waitBound('huge'), 'huge-node');
});

test('pods for another scheduler are left alone', async () => {
  await apply(pod('other', { schedulerName: 'my-scheduler' }), pod('mine-after-other'));
  await waitBound('mine-after-other');
  const p = await pilot.json(['get', 'pod', 'other']);
  assert.equal(p.spec.nodeName, undefined);
  assert.equal(p.status.conditions, undefined);
});

test('a high-priority pod preempts a lower-priority one and is nominated', async () => {
  await apply(
    node('pre', { cpu: '1', labels: { pool: 'pre' } }),
    { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 },
  );
  await apply(pod('low', { nodeSelector: { pool: 'pre' }, resources: { requests: { cpu: '800m' } } }, { role: 'victim' }));
  assert.equal(await waitBound('low'), 'pre');
  await apply(pod('high', { nodeSelector: { pool: 'pre' }, priorityClassName: 'high', resources: { requests: { cpu: '800m' } } }));
  const high = await pilot.json(['get', 'pod', 'high']);
  assert.equal(high.spec.priority, 1000, 'Priority admission resolved the class');
  await waitFor('high nominated to pre', async () => (await pilot.json(['get', 'pod', 'high'])).status.nominatedNodeName === 'pre');
  // No kubelet finishes the graceful deletion: the victim is terminating, marked as a disruption target.
  const victim = await waitFor('victim terminating', async () => {
    const v = await pilot.json(['get', 'pod', 'low']);
    return v.metadata.deletionTimestamp ? v : undefined;
  });
  const dt = victim.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
  assert.equal(dt?.reason, 'PreemptionByScheduler');
  const ev = await pilot.k(['get', 'events', '--field-selector', 'involvedObject.name=low,reason=Preempted', '-o', 'jsonpath={.items[*].message}']);
  assert.match(ev, /Preempted by pod .* on node pre/);
  // Once the victim is gone the preemptor lands on the nominated node.
  await pilot.k(['delete', 'pod', 'low', '--force', '--grace-period=0']);
  assert.equal(await waitBound('high'), 'pre');
});

test('system PriorityClasses exist and unknown classes are refused', async () => {
  const out = await pilot.k(['get', 'priorityclass', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.value} {end}']);
  assert.match(out, /system-cluster-critical=2000000000/);
  assert.match(out, /system-node-critical=2000001000/);
  const r = await pilot.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod('nopc', { priorityClassName: 'missing' })) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no PriorityClass with name missing was found/);
});

test('a server killed while scheduling binds every pod exactly once after restart', async () => {
  await apply(node('bulk', { cpu: '64', labels: { pool: 'bulk' } }));
  const names = Array.from({ length: 100 }, (_, i) => `bulk-${i}`); // the node takes 110 pods
  const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map((n) => pod(n, { nodeSelector: { pool: 'bulk' } })) });
  // Kill -9 while pods are still being created and bound.
  const creating = pilot.kubectl(['apply', '-f', '-'], { input: manifest });
  await waitFor('some bulk pods bound', async () => {
    const all = await pilot.json(['get', 'pods']);
    return all.items.some((p: any) => p.metadata.name.startsWith('bulk-') && p.spec.nodeName);
  });
  await pilot.stop(true);
  await creating;
  await pilot.start();
  await pilot.k(['apply', '-f', '-'], { input: manifest }); // whatever the killed apply did not create
  await waitFor('all bulk pods bound', async () => {
    const all = await pilot.json(['get', 'pods']);
    const bulk = all.items.filter((p: any) => names.includes(p.metadata.name));
    return bulk.length === names.length && bulk.every((p: any) => p.spec.nodeName === 'bulk');
  }, 60_000);
  const events = await pilot.json(['get', 'events', '--field-selector', 'reason=Scheduled']);
  const counts = new Map<string, number>();
  for (const e of events.items) if (names.includes(e.involvedObject.name)) counts.set(e.involvedObject.name, (counts.get(e.involvedObject.name) ?? 0) + (e.count ?? 1));
  for (const [n, c] of counts) assert.ok(c <= 1, `${n} scheduled ${c} times`);
  assert.ok(counts.size > names.length / 2, 'most bindings were reported');
});
