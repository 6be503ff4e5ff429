// The sqlite file layout (kine-like) and how a file is opened.
//
//   log      one row per write; its INTEGER PRIMARY KEY is the global revision.
//            AUTOINCREMENT, so a revision is never reused even after compaction
//            deletes the newest rows (a delete at the head, say).
//            created/deleted flag the kind of write; prev_revision points at the
//            row this write superseded (0 for a create), which is how watch
//            events get their `prev` without storing each value twice.
//            Delete rows carry no value: it is in the prev row.
//   current  key → revision of its live row. Gets and lists at the current
//            revision read it instead of grouping the log by key.
//   meta     the compacted revision and the schema version.
//
// Compaction keeps, for each key, its newest row at or before the compacted
// revision (unless that row is a delete), so every row a later event's
// prev_revision points at survives, and the state at the compacted revision
// can still be listed.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS log (
  revision        INTEGER PRIMARY KEY AUTOINCREMENT,
  key             TEXT    NOT NULL,
  created         INTEGER NOT NULL,
  deleted         INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision   INTEGER NOT NULL,
  value           BLOB
);
CREATE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
CREATE TABLE IF NOT EXISTS current (
  key      TEXT    PRIMARY KEY,
  revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ${SCHEMA_VERSION}), ('compacted', 0);
`;

export type Db = Database.Database;

/** Opens (creating if needed) a store file, ready for SqliteStore. */
export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 1000 });
  try {
    // One process owns the file: watchers learn of writes in-process, so a
    // second writer would leave them silently stale. EXCLUSIVE (set before WAL
    // is first used) makes a second opener fail instead, and lets WAL skip the
    // shared-memory index.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // FULL: every commit is fsynced to the WAL before the write is
    // acknowledged, so it survives kill -9 and power loss.
    db.pragma('synchronous = FULL');
    db.exec(DDL);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`store ${path} is in use by another process`, { cause: err });
    }
    throw err;
  }
  const version = (db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value: number }).value;
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`store ${path} has schema version ${version}; this build reads version ${SCHEMA_VERSION}`);
  }
  return db;
}
