// Opening a store from a URL. Drivers register by scheme, so the server takes a
// single --datastore flag and a new backend (etcd) plugs in without touching it:
//
//   sqlite:///var/lib/pilot/state.db   absolute path (parent directories created)
//   sqlite://data/state.db             relative to the working directory
//   sqlite:data/state.db               the same
//   sqlite://~/pilot/state.db          relative to the home directory
//   memory://                          a fresh in-memory store (tests)
//
// Driver modules load on first use, so opening a memory store never loads the
// native sqlite module.

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Store, StoreFactory } from './store.ts';

const drivers = new Map<string, StoreFactory>();

/** Makes openStore hand URLs with this scheme (no colon: "etcd") to `factory`; replaces any earlier one. */
export function registerDriver(scheme: string, factory: StoreFactory): void {
  drivers.set(scheme.toLowerCase().replace(/:$/, ''), factory);
}

export async function openStore(url: string): Promise<Store> {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (!m) throw new Error(`invalid storage URL "${url}": expected e.g. sqlite:///var/lib/pilot/state.db or memory://`);
  const scheme = m[1].toLowerCase();
  const factory = drivers.get(scheme);
  if (!factory) {
    const known = [...drivers.keys()].sort().map((s) => `${s}://`).join(', ');
    throw new Error(`unknown storage scheme "${scheme}:" in "${url}" (known: ${known})`);
  }
  let parsed: URL | undefined;
  try { parsed = new URL(url); } catch { parsed = undefined; }
  return factory(parsed, url);
}

function requireUrl(url: URL | undefined, raw: string): URL {
  if (!url) throw new Error(`invalid storage URL "${raw}": expected e.g. sqlite:///var/lib/pilot/state.db or memory://`);
  return url;
}

/** The file a sqlite: URL names; see the table at the top of this file. */
export function sqlitePath(url: URL): string {
  const raw = decodeURIComponent(url.host + url.pathname);
  if (raw === '' || raw === '/') throw new Error(`storage URL "${url.href}" names no database file`);
  if (raw === '~' || raw.startsWith('~/')) return join(homedir(), raw.slice(1));
  return isAbsolute(raw) ? raw : resolve(raw);
}

registerDriver('memory', async () => (await import('./drivers/memory.ts')).openMemoryStore());
registerDriver('sqlite', async (url, raw) => (await import('./drivers/sqlite.ts')).openSqliteStore(sqlitePath(requireUrl(url, raw))));
// etcd URLs may list several endpoints, which URL cannot parse: the driver reads the raw text.
for (const scheme of ['etcd', 'etcds']) registerDriver(scheme, async (_url, raw) => (await import('./drivers/etcd.ts')).openEtcdStore(raw));
