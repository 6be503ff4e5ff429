import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cniConfList, networkNamesFor, writeCniConfig } from './config.ts';

test('network names: stable per data dir, distinct between dirs, bridge fits IFNAMSIZ', () => {
  const a = networkNamesFor('/var/lib/pilot/agent');
  assert.deepEqual(networkNamesFor('/var/lib/pilot/agent'), a);
  assert.notEqual(networkNamesFor('/tmp/other/agent').bridge, a.bridge);
  assert.ok(a.bridge.length <= 15);
});

test('conflist: bridge with host-local IPAM on the pod CIDR, then portmap; rewritten only on change', () => {
  const cfg = { name: 'pilot-x', bridge: 'pilotx', podCIDR: '10.42.3.0/24', ipamDataDir: '/d/ipam' };
  const list = cniConfList(cfg) as { plugins: Record<string, unknown>[] };
  assert.equal(list.plugins[0].type, 'bridge');
  assert.equal(list.plugins[0].bridge, 'pilotx');
  assert.deepEqual((list.plugins[0].ipam as { ranges: unknown }).ranges, [[{ subnet: '10.42.3.0/24' }]]);
  assert.equal(list.plugins[1].type, 'portmap');
  assert.throws(() => cniConfList({ ...cfg, bridge: 'a-very-long-bridge-name' }), /longer than 15/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cni-'));
  try {
    const c = { ...cfg, ipamDataDir: path.join(dir, 'ipam') };
    assert.equal(writeCniConfig(path.join(dir, 'net.d'), c), true);
    assert.equal(writeCniConfig(path.join(dir, 'net.d'), c), false);
    assert.equal(writeCniConfig(path.join(dir, 'net.d'), { ...c, podCIDR: '10.42.4.0/24' }), true);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'net.d')), ['10-pilot.conflist']);
    assert.match(fs.readFileSync(path.join(dir, 'net.d', '10-pilot.conflist'), 'utf8'), /10\.42\.4\.0\/24/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
