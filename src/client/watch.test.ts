import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../base/errors.ts';
import { FakeClock, settle } from '../base/clock.ts';
import { TokenBucket } from './ratelimit.ts';
import { parseWatchStream, type WatchEvent } from './watch.ts';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> { for (const p of parts) yield p; }

async function collect(src: AsyncIterable<string | Buffer>): Promise<WatchEvent<{ n?: string }>[]> {
  const out: WatchEvent<{ n?: string }>[] = [];
  for await (const ev of parseWatchStream<{ n?: string }>(src)) out.push(ev);
  return out;
}

test('events split across chunks (even inside a UTF-8 character) are reassembled', async () => {
  const text = '{"type":"ADDED","object":{"n":"é"}}\n{"type":"DELETED","object":{"n":"b"}}\n';
  const bytes = Buffer.from(text);
  const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of é
  const evs = await collect(chunks(bytes.subarray(0, cut), bytes.subarray(cut, cut + 10), bytes.subarray(cut + 10)));
  assert.deepEqual(evs, [{ type: 'ADDED', object: { n: 'é' } }, { type: 'DELETED', object: { n: 'b' } }]);
});

test('a last event without a newline still counts; blank lines are ignored', async () => {
  const evs = await collect(chunks('\n{"type":"MODIFIED","object":{}}\n\n{"type":"BOOKMARK","object":{}}'));
  assert.deepEqual(evs.map((e) => e.type), ['MODIFIED', 'BOOKMARK']);
});

test('an ERROR event throws the ApiError of its Status', async () => {
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' };
  await assert.rejects(collect(chunks(`{"type":"ADDED","object":{}}\n{"type":"ERROR","object":${JSON.stringify(status)}}\n`)),
    (e: unknown) => e instanceof ApiError && e.code === 410 && e.reason === 'Expired' && e.message === 'too old resource version: 1 (5)');
});

test('token bucket: a burst at once, then qps', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(10, 2, clock);
  let granted = 0;
  const take = (): void => { void bucket.take().then(() => { granted++; }); };
  for (let i = 0; i < 4; i++) take();
  await settle();
  assert.equal(granted, 2);
  await clock.advance(100);
  assert.equal(granted, 3);
  await clock.advance(100);
  assert.equal(granted, 4);
  assert.ok(new TokenBucket(0, 1, clock).unlimited);
});
