import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerCache } from './cache.ts';
import { buildPodInfo } from './podinfo.ts';
import { Snapshot } from './snapshot.ts';
import { mkNode, mkPod } from './testing.ts';

test('bound pods add up per node; deletes give resources back', () => {
  const c = new SchedulerCache();
  c.addNode(mkNode('n1', { cpu: '4' }));
  c.addPod(mkPod('a', { cpu: '1', nodeName: 'n1' }));
  c.addPod(mkPod('b', { cpu: '500m', nodeName: 'n1' }));
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 1500);
  c.removePod(mkPod('a', { nodeName: 'n1' }));
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 500);
});

test('assume counts a pod at once; the informer confirms it; forget undoes an unconfirmed one', () => {
  const c = new SchedulerCache();
  c.addNode(mkNode('n1'));
  const p = mkPod('p', { cpu: '1' });
  c.assumePod(buildPodInfo(p), 'n1');
  assert.equal(c.isAssumed('default/p'), true);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 1000);
  c.forgetPod('default/p');
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 0);
  assert.equal(c.podNode('default/p'), undefined);

  c.assumePod(buildPodInfo(p), 'n1');
  c.addPod({ ...p, spec: { ...p.spec!, nodeName: 'n1' } }); // the watch reports the binding
  assert.equal(c.isAssumed('default/p'), false);
  c.forgetPod('default/p'); // no effect on a confirmed pod
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 1000);
  assert.equal(c.nodeInfo('n1')!.pods.size, 1);
});

test('an assumed pod bound elsewhere (by someone else) moves to the real node', () => {
  const c = new SchedulerCache();
  c.addNode(mkNode('n1'));
  c.addNode(mkNode('n2'));
  const p = mkPod('p', { cpu: '1' });
  c.assumePod(buildPodInfo(p), 'n1');
  c.addPod({ ...p, spec: { ...p.spec!, nodeName: 'n2' } });
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 0);
  assert.equal(c.nodeInfo('n2')!.requested.milliCPU, 1000);
});

test('snapshot lists only nodes with a Node object, interleaved by zone, rebuilt when nodes change', () => {
  const c = new SchedulerCache();
  const z = (name: string, zone: string): ReturnType<typeof mkNode> => mkNode(name, { labels: { 'topology.kubernetes.io/zone': zone } });
  c.addNode(z('a1', 'a'));
  c.addNode(z('a2', 'a'));
  c.addNode(z('b1', 'b'));
  c.addPod(mkPod('ghost', { nodeName: 'gone' })); // pod on a node the cache has not seen
  const s = new Snapshot();
  c.updateSnapshot(s);
  assert.deepEqual(s.nodeInfoList.map((n) => n.name), ['a1', 'b1', 'a2']);
  c.removeNode(z('a1', 'a'));
  c.updateSnapshot(s);
  assert.deepEqual(s.nodeInfoList.map((n) => n.name), ['a2', 'b1']);
});

test('snapshot tracks nodes holding pods with affinity', () => {
  const c = new SchedulerCache();
  c.addNode(mkNode('n1'));
  c.addNode(mkNode('n2'));
  const s = new Snapshot();
  c.updateSnapshot(s);
  assert.equal(s.havePodsWithRequiredAntiAffinityList.length, 0);
  const anti = mkPod('a', {
    nodeName: 'n2',
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: {} }] } } },
  });
  c.addPod(anti);
  c.updateSnapshot(s);
  assert.deepEqual(s.havePodsWithRequiredAntiAffinityList.map((n) => n.name), ['n2']);
  c.removePod(anti);
  c.updateSnapshot(s);
  assert.equal(s.havePodsWithRequiredAntiAffinityList.length, 0);
});
