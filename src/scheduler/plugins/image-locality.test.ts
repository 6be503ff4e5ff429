import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from '../testing.ts';
import { CycleState } from '../types.ts';
import { imageLocality } from './image-locality.ts';

const MB = 1024 * 1024;

test('ImageLocality: nodes with the (big, widespread) image score higher; small images count as nothing', () => {
  const big = { names: ['registry.local/app:1'], sizeBytes: 500 * MB };
  const tiny = { names: ['busybox:latest'], sizeBytes: 1 * MB };
  const nodes = [
    mkNodeInfo(mkNode('has', { images: [big] })),
    mkNodeInfo(mkNode('also', { images: [big] })),
    mkNodeInfo(mkNode('tiny', { images: [tiny] })),
    mkNodeInfo(mkNode('none')),
  ];
  const snap = mkSnapshot(...nodes);
  const cases: { image: string; want: number[] }[] = [
    // 500 MB × 2/4 nodes = 250 MB → (250 − 23) / (1000 − 23) × 100 = 23
    { image: 'registry.local/app:1', want: [23, 23, 0, 0] },
    // "busybox" means busybox:latest
    { image: 'busybox', want: [0, 0, 0, 0] },
  ];
  for (const c of cases) {
    const pod = buildPodInfo(mkPod('p', { containers: [{ name: 'c', image: c.image }] }));
    const st = new CycleState();
    imageLocality.preScore!(st, pod, nodes, snap);
    assert.deepEqual(nodes.map((n) => imageLocality.score!(st, pod, n)), c.want, c.image);
  }
});
