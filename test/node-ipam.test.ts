// Node IPAM through a real `pilot server`: with --cluster-cidr 10.42.0.0/23
// there are two /24s. Two nodes take them; after a restart the allocator
// rebuilds what is used from the nodes, so a third node gets none (event
// CIDRNotAvailable) instead of a duplicate, until a node is deleted and its
// CIDR freed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;

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

const podCidr = (n: string): Promise<string> => pilot.k(['get', 'node', n, '-o', 'jsonpath={.spec.podCIDR}']);
const createNode = (n: string): Promise<string> => pilot.k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } }) });

before(async () => {
  pilot = await new Pilot({ extraArgs: ['--cluster-cidr=10.42.0.0/23', '--node-cidr-mask-size=24'] }).start();
});
after(async () => { await pilot?.dispose(); });

describe('node IPAM', () => {
  test('CIDRs survive a restart; exhaustion is reported; a deleted node frees its CIDR', async () => {
    await createNode('a');
    await createNode('b');
    const a = await waitFor('a CIDR', async () => (await podCidr('a')) || undefined);
    const b = await waitFor('b CIDR', async () => (await podCidr('b')) || undefined);
    assert.deepEqual([a, b].sort(), ['10.42.0.0/24', '10.42.1.0/24']);

    await pilot.restart();
    await createNode('c');
    await waitFor('CIDRNotAvailable event', async () =>
      (await pilot.k(['get', 'events', '--field-selector', 'involvedObject.name=c,reason=CIDRNotAvailable', '-o', 'jsonpath={.items[*].message}']))
        .includes('Node c status is now: CIDRNotAvailable'));
    assert.equal(await podCidr('c'), '');

    await pilot.k(['delete', 'node', 'a']);
    const c = await waitFor('c CIDR', async () => (await podCidr('c')) || undefined);
    assert.equal(c, a);
    assert.equal(await pilot.k(['get', 'node', 'c', '-o', 'jsonpath={.spec.podCIDRs[0]}']), a);
  });
});
