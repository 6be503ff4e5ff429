// An acknowledged write must survive the process dying at any instant: a child
// writes and reports each acknowledged write, is killed with SIGKILL mid-stream,
// and the file must then hold every write it reported.
// (Power loss is covered by synchronous=FULL, which this test cannot exercise.)

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dec } from '../conformance/helpers.ts';
import { openSqliteStore } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'pilot-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const writer = fileURLToPath(new URL('./sqlite-durability-writer.ts', import.meta.url));
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the writer until it has reported `atLeast` writes, then kills it; returns what it reported. */
async function writeAndKill(path: string, atLeast: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
    cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) acked.push(Number(line));
    if (acked.length >= atLeast && child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  });
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `writer exited on its own (code ${code}): ${stderr}`);
  return acked;
}

void describe('sqlite durability', () => {
  void it('keeps every acknowledged write when the writer is killed with SIGKILL', async () => {
    const path = join(dir, 'state.db');
    const acked = await writeAndKill(path, 300);
    assert.ok(acked.length >= 300);
    assert.deepEqual(acked, acked.map((_, i) => i), 'writer reported writes out of order');

    const store = await openSqliteStore(path);
    try {
      for (const i of acked) {
        const kv = await store.get(`/durable/key-${i}`);
        assert.equal(kv && dec(kv.value), `value-${i}`, `acknowledged write ${i} was lost`);
      }
      const last = acked.at(-1)!;
      const counter = Number(dec((await store.get('/durable/counter'))!.value));
      // The writer may have committed one more update than it got to report.
      assert.ok(counter === last || counter === last + 1, `counter ${counter}, last acknowledged ${last}`);
      const revision = await store.currentRevision();
      assert.ok(revision >= 1 + 2 * acked.length);
      assert.equal((await store.create('/after-crash', new Uint8Array(1))).modRevision, revision + 1);
    } finally {
      await store.close();
    }
  });
});
