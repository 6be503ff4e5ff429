import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/storage/drivers/sqlite.ts';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qp-'));
const store = await openSqliteStore(path.join(dir, 's.db')) as any;
const v = new TextEncoder().encode('x'.repeat(300));
for (let i = 0; i < 5000; i++) await store.create(`/registry/configmaps/default/k${i}`, v);
const prefixes = ['/registry/configmaps/', '/registry/namespaces/', '/registry/secrets/', '/registry/pods/'];
for (const p of prefixes) {
  let t = performance.now();
  for (let i = 0; i < 1000; i++) store.readEvents(p, 4999, 256);
  console.log(p, 'readEvents at head x1000', (performance.now() - t).toFixed(1), 'ms');
}
await store.close();
const db = new Database(path.join(dir, 's.db'));
console.log(db.prepare(`EXPLAIN QUERY PLAN SELECT l.key FROM log l NOT INDEXED LEFT JOIN log p ON p.revision = l.prev_revision
      WHERE l.revision > ? AND l.revision <= ? AND l.key >= ? AND l.key < ? ORDER BY l.revision LIMIT ?`).all(4999, 5000, '/registry/pods/', '/registry/pods0', 256));
db.close();
fs.rmSync(dir, { recursive: true });
