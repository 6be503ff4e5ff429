// bench/store-sqlite: the sqlite Store alone (no server), on a temp file with
// the production settings (WAL, synchronous=FULL). Prints writes/s and p50/p99
// per write for one writer awaiting each write, then for 64 concurrent writers
// (each creating a key, then updating it), which is where group commit pays.
//
//   node --import tsx bench/store-sqlite.ts [--sequential 2000] [--concurrent 64] [--rounds 100]
// CI runs it small (CI=true → 200 sequential, 64 × 10 rounds).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSqliteStore } from '../src/storage/drivers/sqlite.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SEQUENTIAL = arg('sequential', small ? 200 : 2000);
const CONCURRENT = arg('concurrent', 64);
const ROUNDS = arg('rounds', small ? 10 : 100);

const value = new TextEncoder().encode(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'x' }, data: { v: '0'.repeat(200) } }));

const pct = (xs: number[], p: number): string => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(3);

function report(label: string, ms: number[], elapsedMs: number): void {
  ms.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(14)} ${String(ms.length).padStart(6)} writes  ${(ms.length / (elapsedMs / 1000)).toFixed(0).padStart(7)} writes/s   p50 ${pct(ms, 0.5)} ms   p99 ${pct(ms, 0.99)} ms`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-bench-store-'));
  const store = await openSqliteStore(path.join(dir, 'state.db'));
  try {
    console.log(`bench/store-sqlite: ${SEQUENTIAL} sequential, ${CONCURRENT} writers × ${ROUNDS} rounds × 2 writes`);

    const seq: number[] = [];
    let start = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = performance.now();
      await store.create(`/seq/${i}`, value);
      seq.push(performance.now() - t);
    }
    report('sequential', seq, performance.now() - start);

    const conc: number[] = [];
    start = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT }, async (_, w) => {
      for (let r = 0; r < ROUNDS; r++) {
        let t = performance.now();
        const kv = await store.create(`/conc/${w}/${r}`, value);
        conc.push(performance.now() - t);
        t = performance.now();
        await store.update(kv.key, value, kv.modRevision);
        conc.push(performance.now() - t);
      }
    }));
    report(`${CONCURRENT}-concurrent`, conc, performance.now() - start);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
