// The token cleaner on a fake clock: expired bootstrap token Secrets are
// deleted (uid precondition), live ones are looked at again when they expire.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer } from '../../client/index.ts';
import { TokenCleaner } from './controller.ts';

const T0 = Date.UTC(2025, 0, 1);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function fixture() {
  const clock = new FakeClock(T0);
  const secrets = new Indexer<Secret>();
  const deleted: string[] = [];
  const after: [string, number][] = [];
  const added: string[] = [];
  let fail: Error | undefined;
  const c = new TokenCleaner({
    secrets, clock, logger: pino({ level: 'silent' }),
    queue: { add: (k) => added.push(k), addAfter: (k, ms) => after.push([k, ms]) },
    api: { deleteSecret: async (ns, name, uid) => { if (fail) throw fail; deleted.push(`${ns}/${name}/${uid}`); } },
  });
  const secret = (name: string, expiration: string | undefined, type = 'bootstrap.kubernetes.io/token', ns = 'kube-system'): Secret => {
    const s: Secret = { metadata: { name, namespace: ns, uid: `uid-${name}` }, type, data: { 'token-id': b64('abcdef'), ...(expiration !== undefined ? { expiration: b64(expiration) } : {}) } };
    secrets.set(s);
    c.handler().add!(s);
    return s;
  };
  return { clock, deleted, after, added, c, secret, setFail: (e: Error | undefined) => { fail = e; } };
}

test('an expired token secret is deleted; a live one is requeued for its expiry', async () => {
  const f = fixture();
  f.secret('bootstrap-token-old', '2024-12-31T23:59:00Z');
  f.secret('bootstrap-token-new', '2025-01-01T01:00:00Z');
  assert.deepEqual(f.added, ['bootstrap-token-old', 'bootstrap-token-new']);
  await f.c.sync('bootstrap-token-old');
  await f.c.sync('bootstrap-token-new');
  assert.deepEqual(f.deleted, ['kube-system/bootstrap-token-old/uid-bootstrap-token-old']);
  assert.deepEqual(f.after, [['bootstrap-token-new', 3600_000]]);
  await f.clock.advance(3600_000);
  await f.c.sync('bootstrap-token-new');
  assert.deepEqual(f.deleted.length, 2);
});

test('tokens without expiration, other types and other namespaces are kept; an unreadable expiration counts as expired', async () => {
  const f = fixture();
  f.secret('bootstrap-token-forever', undefined);
  f.secret('opaque', '2000-01-01T00:00:00Z', 'Opaque');
  f.secret('elsewhere', '2000-01-01T00:00:00Z', 'bootstrap.kubernetes.io/token', 'default');
  assert.deepEqual(f.added, ['bootstrap-token-forever']);
  for (const n of ['bootstrap-token-forever', 'opaque', 'elsewhere']) await f.c.sync(n);
  assert.deepEqual(f.deleted, []);
  f.secret('bootstrap-token-bad', 'next tuesday');
  await f.c.sync('bootstrap-token-bad');
  assert.deepEqual(f.deleted, ['kube-system/bootstrap-token-bad/uid-bootstrap-token-bad']);
});

test('a secret already gone is fine; other errors are retried', async () => {
  const f = fixture();
  f.secret('bootstrap-token-old', '2024-01-01T00:00:00Z');
  f.setFail(ApiError.notFound('secrets', 'bootstrap-token-old'));
  await f.c.sync('bootstrap-token-old');
  f.setFail(ApiError.internal('boom'));
  await assert.rejects(f.c.sync('bootstrap-token-old'), /boom/);
});
