import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStore } from '../../../storage/drivers/memory.ts';
import { ServiceAllocators, type Taken } from './service-allocators.ts';

const svc = (name: string, spec: Record<string, unknown> = {}): Record<string, any> => ({ metadata: { name, namespace: 'd' }, spec: { ports: [{ port: 80 }], ...spec } });  

test('two allocators on one store (two apiservers) never hand out the same IP or port', async () => {
  const store = await openMemoryStore();
  const a = new ServiceAllocators(store, '10.43.0.0/29', [30000, 30003]);
  const b = new ServiceAllocators(store, '10.43.0.0/29', [30000, 30003]);
  const ips = new Set<string>();
  const ports = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const s = svc(`s${i}`, { type: 'NodePort' });
    const alloc = i % 2 ? a : b;
    const taken: Taken = [];
    const ipErrs = await alloc.allocateIP(s, `d/s${i}`, false, taken);
    assert.deepEqual(ipErrs, [], `IP ${i}`);
    ips.add(s.spec.clusterIP);
    if (i < 4) {
      assert.deepEqual(await alloc.allocatePorts(s, new Set(), `d/s${i}`, false, taken), []);
      ports.add(s.spec.ports[0].nodePort);
    }
  }
  assert.equal(ips.size, 6, 'a /29 has six usable addresses, each given once');
  assert.equal(ports.size, 4);
  const full = svc('x');
  const errs = await a.allocateIP(full, 'd/x', false, []);
  assert.match(errs[0].message, /range is full/);
  await store.close();
});

test('a refused request gives back only what it took, never what another Service holds', async () => {
  const store = await openMemoryStore();
  const a = new ServiceAllocators(store, '10.43.0.0/24', [30000, 30100]);
  const first = svc('first', { clusterIP: '10.43.0.10' });
  assert.deepEqual(await a.allocateIP(first, 'd/first', false, []), []);
  const taken: Taken = [];
  const second = svc('second', { clusterIP: '10.43.0.10' });
  const errs = await a.allocateIP(second, 'd/second', false, taken);
  assert.match(errs[0].message, /provided IP is already allocated/);
  await a.giveBack(taken);
  const third = svc('third', { clusterIP: '10.43.0.10' });
  assert.equal((await a.allocateIP(third, 'd/third', false, [])).length, 1, 'still held by the first Service');

  const dry = svc('dry', { clusterIP: '10.43.0.11' });
  assert.deepEqual(await a.allocateIP(dry, 'd/dry', true, []), []);
  assert.deepEqual(await a.allocateIP(svc('real', { clusterIP: '10.43.0.11' }), 'd/real', false, []), [], 'a dry run takes nothing');

  await a.release(['10.43.0.10'], []);
  assert.deepEqual(await a.allocateIP(svc('again', { clusterIP: '10.43.0.10' }), 'd/again', false, []), []);
  await store.close();
});
