// Node CIDR allocation without a server: the CIDR set's arithmetic, and the
// controller over an indexer of nodes with a fake API that writes into it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, WorkQueue, type KubeObject } from '../../client/index.ts';
import { RetryLater } from '../worker.ts';
import { CidrSet, CidrSetFullError, formatCidr, parseCidr } from './cidrset.ts';
import { cidrSetsFor, NodeIpamController, type NodeIpamApi } from './ipam.ts';

const silent = pino({ level: 'silent' });

test('parseCidr / formatCidr: IPv4 and IPv6, host bits cleared, bad input refused', () => {
  assert.equal(formatCidr(parseCidr('10.42.3.7/16')), '10.42.0.0/16');
  assert.equal(formatCidr(parseCidr('fd00:0:0:1::/64')), 'fd00:0:0:1::/64');
  assert.equal(formatCidr(parseCidr('2001:db8::1:0:0:1/128')), '2001:db8::1:0:0:1/128');
  assert.equal(formatCidr(parseCidr('::/0')), '::/0');
  for (const bad of ['10.42.0.0', '10.42.0.0/33', '300.1.1.1/8', '10.042.0.0/16', 'fd00::1::/64', 'nonsense/8']) {
    assert.throws(() => parseCidr(bad), /invalid CIDR/, bad);
  }
});

test('CidrSet hands out /24s of 10.42.0.0/16 in order, round-robin after a release, and knows when it is full', () => {
  const s = new CidrSet('10.42.0.0/16', 24);
  assert.equal(s.max, 256);
  assert.equal(s.allocateNext(), '10.42.0.0/24');
  assert.equal(s.allocateNext(), '10.42.1.0/24');
  s.occupy('10.42.2.0/24');
  assert.equal(s.allocateNext(), '10.42.3.0/24');
  s.release('10.42.1.0/24');
  // Not reused at once: the next candidate moves on.
  assert.equal(s.allocateNext(), '10.42.4.0/24');
  assert.equal(s.isUsed('10.42.1.0/24'), false);
  assert.throws(() => s.occupy('10.43.0.0/24'), /out the range/);

  const small = new CidrSet('10.0.0.0/30', 31);
  assert.deepEqual([small.allocateNext(), small.allocateNext()], ['10.0.0.0/31', '10.0.0.2/31']);
  assert.throws(() => small.allocateNext(), CidrSetFullError);
  small.release('10.0.0.0/31');
  assert.equal(small.allocateNext(), '10.0.0.0/31');

  const v6 = new CidrSet('fd42::/56', 64);
  assert.equal(v6.allocateNext(), 'fd42::/64');
  assert.equal(v6.allocateNext(), 'fd42:0:0:1::/64');
  assert.throws(() => new CidrSet('10.0.0.0/24', 16), /does not fit/);
  assert.throws(() => new CidrSet('fd00::/32', 64), /too big/);
  assert.throws(() => cidrSetsFor('10.0.0.0/16,10.1.0.0/16', 24, 64), /one CIDR per IP family/);
  assert.equal(cidrSetsFor('10.0.0.0/16, fd00::/56', 24, 64).length, 2);
});

class Fixture {
  clock = new FakeClock();
  nodes = new Indexer<Node>();
  queue = new WorkQueue<string>({ clock: this.clock });
  events: { reason: string; message: string }[] = [];
  writes = 0;
  private rv = 1;
  api: NodeIpamApi = {
    setPodCidrs: async (name, rv, cidrs) => {
      const cur = this.nodes.get('', name);
      if (!cur) throw ApiError.notFound('nodes', name);
      if (cur.metadata?.resourceVersion !== rv) throw ApiError.conflict('nodes', name, 'stale');
      this.writes++;
      return this.put({ ...cur, spec: { ...cur.spec, podCIDR: cidrs[0], podCIDRs: cidrs } });
    },
  };
  c: NodeIpamController;
  sets: CidrSet[];

  constructor(clusterCidr = '10.42.0.0/16', mask = 24) {
    this.sets = cidrSetsFor(clusterCidr, mask, 64);
    this.c = new NodeIpamController({
      nodes: this.nodes, api: this.api, clock: this.clock, logger: silent, queue: this.queue, sets: this.sets,
      recorder: { event: (_o: KubeObject, _t: string, reason: string, message: string) => { this.events.push({ reason, message }); } } as never,
    });
  }

  put(node: Node): Node {
    const next = { ...node, metadata: { ...node.metadata, resourceVersion: String(++this.rv) } };
    this.nodes.set(next);
    return next;
  }

  node(name: string, podCIDR?: string): Node {
    return this.put({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
  }

  cidr(name: string): string | undefined { return this.nodes.get('', name)?.spec?.podCIDR; }
}

test('nodes get distinct /24s; CIDRs of existing nodes are never handed out again (restart)', async () => {
  const f = new Fixture();
  // State left by an earlier run: two nodes already hold CIDRs.
  f.node('old-a', '10.42.0.0/24');
  f.node('old-b', '10.42.1.0/24');
  f.node('new-1');
  f.node('new-2');
  f.c.occupyExisting();
  await f.c.sync('new-1');
  await f.c.sync('new-2');
  assert.equal(f.cidr('new-1'), '10.42.2.0/24');
  assert.equal(f.cidr('new-2'), '10.42.3.0/24');
  assert.deepEqual(f.nodes.get('', 'new-1')?.spec?.podCIDRs, ['10.42.2.0/24']);
  // Idempotent: a synced node is left alone.
  await f.c.sync('new-1');
  assert.equal(f.writes, 2);
});

test('a deleted node frees its CIDR; exhaustion records CIDRNotAvailable and retries', async () => {
  const f = new Fixture('10.0.0.0/23', 24);
  f.c.occupyExisting();
  f.node('a'); f.node('b'); f.node('c');
  await f.c.sync('a');
  await f.c.sync('b');
  await assert.rejects(f.c.sync('c'), RetryLater);
  assert.deepEqual(f.events, [{ reason: 'CIDRNotAvailable', message: 'Node c status is now: CIDRNotAvailable' }]);
  assert.equal(f.cidr('c'), undefined);
  const a = f.nodes.get('', 'a')!;
  f.nodes.delete('a');
  f.c.handler().delete!(a);
  await f.c.sync('c');
  assert.equal(f.cidr('c'), '10.0.0.0/24');
});

test('a write that loses a race releases what it took and tries again', async () => {
  const f = new Fixture();
  f.c.occupyExisting();
  f.node('n');
  const orig = f.api.setPodCidrs;
  let first = true;
  f.api.setPodCidrs = async (name, rv, cidrs) => {
    if (first) {
      first = false;
      // Someone else gave the node a CIDR meanwhile.
      f.put({ ...f.nodes.get('', name)!, spec: { podCIDR: '10.42.9.0/24', podCIDRs: ['10.42.9.0/24'] } });
    }
    return orig(name, rv, cidrs);
  };
  await assert.rejects(f.c.sync('n'), RetryLater);
  await f.c.sync('n');
  assert.equal(f.cidr('n'), '10.42.9.0/24');
  // 10.42.0.0/24, taken for the lost write, is free again; the node's .9 is marked used.
  assert.equal(f.sets[0].isUsed('10.42.0.0/24'), false);
  assert.equal(f.sets[0].isUsed('10.42.9.0/24'), true);
  assert.equal(f.sets[0].inUse, 1);
});
