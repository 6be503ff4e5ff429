// `pilot token list`'s table, as kubeadm prints it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { tokenSecret } from '../apiserver/auth/bootstrap/token.ts';
import { formatTokenTable } from './token.ts';

const T0 = Date.UTC(2025, 0, 1);

test('token list: TTL left, expiry, usages, description and groups; expired and endless tokens', () => {
  const live = tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { expiresAtMs: T0 + 23 * 3600_000, description: 'worker', extraGroups: ['system:bootstrappers:pilot:default-node-token'] }) as Secret;
  const forever = tokenSecret({ id: 'zzzzzz', secret: 'zzzzzzzzzzzzzzzz' }, { usages: ['signing'] }) as Secret;
  const expired = tokenSecret({ id: 'oooooo', secret: 'oooooooooooooooo' }, { expiresAtMs: T0 - 1 }) as Secret;
  const other = { metadata: { name: 'x' }, type: 'Opaque', data: {} } as Secret;
  const lines = formatTokenTable([live, forever, expired, other], T0).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
  assert.match(lines[1]!, /^abcdef\.0123456789abcdef\s+23h\s+2025-01-01T23:00:00Z\s+authentication,signing\s+worker\s+system:bootstrappers:pilot:default-node-token$/);
  assert.match(lines[2]!, /^zzzzzz\.zzzzzzzzzzzzzzzz\s+<forever>\s+<never>\s+signing\s+<none>\s+<none>$/);
  assert.match(lines[3]!, /^oooooo\.oooooooooooooooo\s+<invalid>\s+2024-12-31T23:59:59Z\s+authentication,signing/);
  // Columns line up.
  assert.equal(lines[0]!.indexOf('TTL'), lines[1]!.indexOf('23h'));
});
