// Child process of sqlite-durability.test.ts: writes until killed, printing each
// write's number only after the store acknowledged it. (process.stdout on a
// pipe is synchronous on Linux, so a printed line means the write had returned.)

import { openSqliteStore } from './sqlite.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: sqlite-durability-writer.ts <db path>');
const store = await openSqliteStore(path);
const encoder = new TextEncoder();
let counter = await store.create('/durable/counter', encoder.encode('0'));
for (let i = 0; ; i++) {
  await store.create(`/durable/key-${i}`, encoder.encode(`value-${i}`));
  counter = await store.update('/durable/counter', encoder.encode(String(i)), counter.modRevision);
  process.stdout.write(`${i}\n`);
}
