import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditLogWriter, backupName } from './log-writer.ts';

function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-auditlog-')); }

test('backup names are lumberjack\'s: name-<UTC time with ms>.ext', () => {
  assert.equal(backupName('/var/log/audit.log', new Date('2026-01-02T15:04:05.123Z')), '/var/log/audit-2026-01-02T15-04-05.123.log');
  assert.equal(backupName('/var/log/audit', new Date('2026-01-02T15:04:05.000Z')), '/var/log/audit-2026-01-02T15-04-05.000');
});

test('writes lines in order, in the background, and flushes on close', async () => {
  const dir = tmpDir();
  try {
    const w = new AuditLogWriter(path.join(dir, 'sub', 'audit.log'));
    for (let i = 0; i < 1000; i++) w.write(JSON.stringify({ i }));
    await w.close();
    const lines = fs.readFileSync(path.join(dir, 'sub', 'audit.log'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 1000);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { i: number }).i), [...Array(1000).keys()]);
    assert.equal(fs.statSync(path.join(dir, 'sub', 'audit.log')).mode & 0o777, 0o600);
    w.write('after close');
    await w.flush();
    assert.ok(!fs.readFileSync(path.join(dir, 'sub', 'audit.log'), 'utf8').includes('after close'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rotates before a write would pass maxSize; keeps maxBackups; removes backups older than maxAge', async () => {
  const dir = tmpDir();
  let now = new Date('2026-03-01T00:00:00.000Z');
  try {
    const file = path.join(dir, 'audit.log');
    // A backup from long ago: maxAge removes it at the next rotation.
    fs.writeFileSync(path.join(dir, 'audit-2025-01-01T00-00-00.000.log'), 'old\n');
    fs.writeFileSync(path.join(dir, 'unrelated.log'), 'keep me\n');
    const w = new AuditLogWriter(file, { maxSizeBytes: 100, maxBackups: 2, maxAgeDays: 30, now: () => now });
    const line = 'x'.repeat(39); // 40 bytes with the newline: two fit, the third rotates
    for (let i = 0; i < 7; i++) {
      w.write(`${line.slice(0, 38)}${i}`);
      await w.flush();
      now = new Date(now.getTime() + 1000);
    }
    await w.close();
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names.filter((n) => n.startsWith('audit-')), ['audit-2026-03-01T00-00-04.000.log', 'audit-2026-03-01T00-00-06.000.log'],
      `maxBackups 2 keeps the newest, the year-old one is gone: ${names.join(' ')}`);
    assert.ok(names.includes('unrelated.log'));
    for (const n of names.filter((x) => x.startsWith('audit'))) assert.ok(fs.statSync(path.join(dir, n)).size <= 100);
    assert.equal(fs.readFileSync(file, 'utf8'), `${line.slice(0, 38)}6\n`);
    assert.equal(fs.readFileSync(path.join(dir, 'audit-2026-03-01T00-00-06.000.log'), 'utf8'), `${line.slice(0, 38)}4\n${line.slice(0, 38)}5\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write is reported, not thrown, and later writes go on', async () => {
  const dir = tmpDir();
  try {
    const errors: Error[] = [];
    // The log's directory is a file: every open fails.
    fs.writeFileSync(path.join(dir, 'blocker'), '');
    const w = new AuditLogWriter(path.join(dir, 'blocker', 'audit.log'), { onError: (e) => errors.push(e) });
    w.write('{"a":1}');
    await w.flush();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /EEXIST|ENOTDIR/);
    // Once the problem is gone, writing resumes.
    fs.rmSync(path.join(dir, 'blocker'));
    w.write('{"a":2}');
    await w.close();
    assert.equal(fs.readFileSync(path.join(dir, 'blocker', 'audit.log'), 'utf8'), '{"a":2}\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a queue past its limit drops events and says how many', async () => {
  const dir = tmpDir();
  try {
    const errors: Error[] = [];
    const w = new AuditLogWriter(path.join(dir, 'audit.log'), { maxQueuedBytes: 50, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) w.write('0123456789'); // 11 bytes each: 4 fit
    await w.close();
    assert.equal(fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean).length, 4);
    assert.match(errors[0]?.message ?? '', /6 events dropped/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('maxAge alone removes only backups older than that many days', async () => {
  const dir = tmpDir();
  try {
    const now = new Date('2026-03-01T00:00:00.000Z');
    fs.writeFileSync(path.join(dir, 'audit-2026-01-01T00-00-00.000.log'), 'two months old\n');
    fs.writeFileSync(path.join(dir, 'audit-2026-02-25T00-00-00.000.log'), 'five days old\n');
    fs.writeFileSync(path.join(dir, 'audit.log'), 'y'.repeat(90) + '\n');
    const w = new AuditLogWriter(path.join(dir, 'audit.log'), { maxSizeBytes: 100, maxAgeDays: 30, now: () => now });
    w.write('z'.repeat(20));
    await w.close();
    assert.deepEqual(fs.readdirSync(dir).sort(), ['audit-2026-02-25T00-00-00.000.log', 'audit-2026-03-01T00-00-00.000.log', 'audit.log']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
