import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENDPOINT_ANNOTATION, kubernetesSlices, kubernetesSubsets, leaseNameFor, liveEndpoints } from './apiserver-endpoints.ts';

const NOW = Date.parse('2026-01-01T00:00:30Z');

function lease(endpoint: string | undefined, renew: string, durationS = 15, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name: `l-${endpoint}`, annotations: endpoint ? { [ENDPOINT_ANNOTATION]: endpoint } : {}, ...extra },
    spec: { renewTime: renew, leaseDurationSeconds: durationS },
  };
}

test('liveEndpoints: unexpired, well-formed, not deleting; sorted and de-duplicated', () => {
  const eps = liveEndpoints([
    lease('10.0.0.2:6443', '2026-01-01T00:00:20.000000Z'),
    lease('10.0.0.1:6443', '2026-01-01T00:00:29Z'),
    lease('10.0.0.1:6443', '2026-01-01T00:00:25Z'),
    lease('10.0.0.3:6443', '2026-01-01T00:00:10Z'), // expired at :25
    lease('10.0.0.4:6443', '2026-01-01T00:00:15Z'), // expires exactly now: gone
    lease('10.0.0.5:6443', '2026-01-01T00:00:29Z', 15, { deletionTimestamp: '2026-01-01T00:00:29Z' }),
    lease('nonsense', '2026-01-01T00:00:29Z'),
    lease(undefined, '2026-01-01T00:00:29Z'),
    lease('[fd00::1]:6443', '2026-01-01T00:00:29Z'),
    lease('10.0.0.6:0', '2026-01-01T00:00:29Z'),
  ], NOW);
  assert.deepEqual(eps, [{ ip: '10.0.0.1', port: 6443 }, { ip: '10.0.0.2', port: 6443 }, { ip: 'fd00::1', port: 6443 }]);
});

test('kubernetesSubsets groups servers by port; kubernetesSlices names the first slice "kubernetes"', () => {
  const eps = [{ ip: '10.0.0.1', port: 6443 }, { ip: '10.0.0.2', port: 6443 }, { ip: '10.0.0.1', port: 7443 }];
  assert.deepEqual(kubernetesSubsets(eps), [
    { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    { addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] },
  ]);
  const slices = kubernetesSlices(eps);
  assert.deepEqual(slices.map((s) => s.metadata.name), ['kubernetes', 'kubernetes-7443']);
  assert.equal(slices[0].addressType, 'IPv4');
  assert.deepEqual(slices[0].endpoints, [{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready: true } }]);
  assert.equal(slices[0].metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  assert.deepEqual(kubernetesSubsets([]), []);
});

test('leaseNameFor: stable, distinct, a valid object name', () => {
  assert.equal(leaseNameFor('a'), leaseNameFor('a'));
  assert.notEqual(leaseNameFor('a'), leaseNameFor('b'));
  assert.match(leaseNameFor('x'), /^apiserver-[0-9a-f]{26}$/);
});
