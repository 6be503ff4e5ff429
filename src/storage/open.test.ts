import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enc } from './conformance/helpers.ts';
import { MemoryStore } from './drivers/memory.ts';
import { openStore, registerDriver, sqlitePath } from './open.ts';

const dir = mkdtempSync(join(tmpdir(), 'pilot-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('openStore', () => {
  void it('opens memory stores, each one fresh', async () => {
    const a = await openStore('memory://');
    await a.create('/x', enc('1'));
    const b = await openStore('memory://');
    assert.equal(await b.get('/x'), undefined);
    await a.close();
    await b.close();
  });

  void it('opens a sqlite file by absolute path, creating its directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'state.db');
    const s = await openStore(`sqlite://${path}`);
    await s.create('/x', enc('1'));
    await s.close();
    assert.ok(existsSync(path));
  });

  void it('reads sqlite paths as absolute, relative or home-relative', () => {
    assert.equal(sqlitePath(new URL('sqlite:///var/lib/pilot/state.db')), '/var/lib/pilot/state.db');
    assert.equal(sqlitePath(new URL('sqlite://data/state.db')), resolve('data/state.db'));
    assert.equal(sqlitePath(new URL('sqlite:data/state.db')), resolve('data/state.db'));
    assert.equal(sqlitePath(new URL('sqlite://~/p/state.db')), join(homedir(), 'p/state.db'));
    assert.equal(sqlitePath(new URL('sqlite:///with%20space/s.db')), '/with space/s.db');
    assert.throws(() => sqlitePath(new URL('sqlite://')), /names no database file/);
  });

  void it('rejects unknown schemes and malformed URLs clearly', async () => {
    await assert.rejects(openStore('redis://localhost'), /unknown storage scheme "redis:".*known: .*memory:\/\/.*sqlite:\/\//);
    await assert.rejects(openStore('/var/lib/pilot/state.db'), /invalid storage URL/);
  });

  void it('hands registered schemes to their driver', async () => {
    let seen: URL | undefined;
    registerDriver('fake', async (url) => {
      seen = url;
      return new MemoryStore();
    });
    const s = await openStore('fake://host:1234/x');
    assert.equal(seen?.host, 'host:1234');
    await s.close();
  });

  void it('passes URLs the URL parser refuses (endpoint lists) to the driver as text', async () => {
    let got: { url?: URL; raw?: string } = {};
    registerDriver('fakelist', async (url, raw) => {
      got = { url, raw };
      return new MemoryStore();
    });
    const s = await openStore('fakelist://10.0.0.1:2379,10.0.0.2:2379');
    assert.equal(got.url, undefined);
    assert.equal(got.raw, 'fakelist://10.0.0.1:2379,10.0.0.2:2379');
    await s.close();
  });
});
