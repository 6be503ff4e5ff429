// bench/store-etcd: the etcd Store alone (no server) against a real etcd started
// for the run (Debian's etcd-server on loopback, its own temp data dir, default
// fsync). The same workload as bench/store-sqlite, so the two read side by side:
// writes/s and p50/p99 per write for one writer awaiting each write, then for 64
// concurrent writers (each creating a key, then updating it); plus how long a
// write takes to reach a watcher.
//
//   node --import tsx bench/store-etcd.ts [--sequential 2000] [--concurrent 64] [--rounds 100]
// CI runs it small (CI=true → 200 sequential, 64 × 10 rounds).

import { EtcdServer } from '../test/helpers/etcd.ts';
import { openEtcdStore } from '../src/storage/drivers/etcd.ts';

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

function report(label: string, ms: number[], elapsedMs: number, unit = 'writes'): void {
  ms.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(14)} ${String(ms.length).padStart(6)} ${unit}  ${(ms.length / (elapsedMs / 1000)).toFixed(0).padStart(7)} ${unit}/s   p50 ${pct(ms, 0.5)} ms   p99 ${pct(ms, 0.99)} ms`);
}

async function main(): Promise<void> {
  const etcd = await EtcdServer.start();
  const store = await openEtcdStore(etcd.url);
  try {
    console.log(`bench/store-etcd: ${SEQUENTIAL} sequential, ${CONCURRENT} writers × ${ROUNDS} rounds × 2 writes`);

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

    // Write-to-watcher latency: from calling create to the watcher holding the event.
    const ac = new AbortController();
    const sent = new Map<number, number>();
    const delivery: number[] = [];
    const n = Math.min(SEQUENTIAL, 500);
    const from = await store.currentRevision();
    const watcher = (async () => {
      for await (const e of store.watch('/watched/', from, ac.signal)) {
        if (e.type !== 'put') continue;
        delivery.push(performance.now() - sent.get(Number(e.kv.key.slice('/watched/'.length)))!);
        if (delivery.length === n) return;
      }
    })();
    start = performance.now();
    for (let i = 0; i < n; i++) {
      sent.set(i, performance.now());
      await store.create(`/watched/${i}`, value);
    }
    await watcher;
    ac.abort();
    report('watch delivery', delivery, performance.now() - start, 'events');
  } finally {
    await store.close();
    await etcd.dispose();
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
