// The audit log file: lines are queued and written in the background, so a
// request never waits on the disk; a failed write is logged and its lines
// dropped, never thrown at a request. Rotation by size works like the
// lumberjack logger upstream uses: before a write that would take the file
// past maxSize, the file is renamed to `<name>-<UTC time>.<ext>` (e.g.
// audit-2026-01-02T15-04-05.000.log) and a new one started; backups beyond
// maxBackups or older than maxAge days are removed.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RotationOptions {
  /** Bytes; 0 = lumberjack's default of 100 MB. */
  maxSizeBytes: number;
  /** Backups kept; 0 = all. */
  maxBackups: number;
  /** Days a backup is kept; 0 = forever. */
  maxAgeDays: number;
}

export interface LogWriterOptions extends Partial<RotationOptions> {
  /** Reports write failures (rate-limited by the caller's logger as it likes). */
  onError?: (err: Error) => void;
  /** Lines queued beyond this many bytes are dropped (a stuck disk must not eat the memory). */
  maxQueuedBytes?: number;
  now?: () => Date;
}

const DEFAULT_MAX_SIZE = 100 * 1024 * 1024;

/** lumberjack's backup time format, "2006-01-02T15-04-05.000", in UTC. */
export function backupName(file: string, t: Date): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const stamp = t.toISOString().replace(/Z$/, '').replace(/:/g, '-');
  return `${base}-${stamp}${ext}`;
}

/** Backups of `file` in its directory, newest first, with their times. */
function listBackups(file: string): { file: string; time: number }[] {
  const dir = path.dirname(file);
  const ext = path.extname(file);
  const prefix = `${path.basename(file, ext)}-`;
  const out: { file: string; time: number }[] = [];
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return out; }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith(ext)) continue;
    const stamp = n.slice(prefix.length, n.length - ext.length);
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(stamp);
    if (!m) continue;
    const time = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
    if (!Number.isNaN(time)) out.push({ file: path.join(dir, n), time });
  }
  return out.sort((a, b) => b.time - a.time);
}

export class AuditLogWriter {
  private readonly maxSize: number;
  private readonly maxBackups: number;
  private readonly maxAgeMs: number;
  private readonly maxQueued: number;
  private readonly now: () => Date;
  private queue: string[] = [];
  private queuedBytes = 0;
  private dropped = 0;
  private fd?: number;
  private size = 0;
  private flushing?: Promise<void>;
  private closed = false;

  /** `file` "-" writes to standard output (as upstream), without rotation. */
  constructor(readonly file: string, private readonly opts: LogWriterOptions = {}) {
    this.maxSize = opts.maxSizeBytes || DEFAULT_MAX_SIZE;
    this.maxBackups = opts.maxBackups ?? 0;
    this.maxAgeMs = (opts.maxAgeDays ?? 0) * 24 * 3600_000;
    this.maxQueued = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.now = opts.now ?? (() => new Date());
  }

  /** Queues one line (without its newline); never blocks, never throws. */
  write(line: string): void {
    if (this.closed) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (this.queuedBytes + bytes > this.maxQueued) { this.dropped++; return; }
    this.queue.push(`${line}\n`);
    this.queuedBytes += bytes;
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.drain()).finally(() => {
      this.flushing = undefined;
      if (this.queue.length) this.schedule();
    });
  }

  /** Resolves once everything queued so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Flushes and closes the file; later writes are ignored. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await new Promise<void>((r) => fs.close(fd, () => r()));
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const lines = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      try {
        if (this.dropped) {
          const n = this.dropped;
          this.dropped = 0;
          this.report(new Error(`audit log: ${n} events dropped, the queue was full`));
        }
        await this.writeLines(lines);
      } catch (e) {
        this.report(e instanceof Error ? e : new Error(String(e)));
        // Start afresh next time: the file may be gone or the disk full.
        if (this.fd !== undefined) { const fd = this.fd; this.fd = undefined; fs.close(fd, () => undefined); }
      }
    }
  }

  private async writeLines(lines: string[]): Promise<void> {
    if (this.file === '-') {
      await new Promise<void>((resolve, reject) => process.stdout.write(lines.join(''), (err) => (err ? reject(err) : resolve())));
      return;
    }
    // Group lines into writes that fit the size limit, rotating in between.
    let batch: string[] = [];
    let batchBytes = 0;
    for (const l of lines) {
      const n = Buffer.byteLength(l);
      if (this.fd === undefined) await this.openExisting();
      if (this.size + batchBytes + n > this.maxSize && (batchBytes > 0 || this.size > 0)) {
        if (batch.length) await this.append(batch.join(''), batchBytes);
        batch = [];
        batchBytes = 0;
        await this.rotate();
      }
      batch.push(l);
      batchBytes += n;
    }
    if (batch.length) await this.append(batch.join(''), batchBytes);
  }

  private async openExisting(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = await new Promise<number>((resolve, reject) => fs.open(this.file, 'a', 0o600, (err, fd) => (err ? reject(err) : resolve(fd))));
    this.size = (await fs.promises.stat(this.file)).size;
  }

  private async append(data: string, bytes: number): Promise<void> {
    const fd = this.fd!;
    const buf = Buffer.from(data);
    let off = 0;
    while (off < buf.length) {
      off += await new Promise<number>((resolve, reject) => fs.write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
    }
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      await new Promise<void>((r) => fs.close(fd, () => r()));
    }
    let name = backupName(this.file, this.now());
    // Two rotations within one millisecond: do not overwrite the first backup.
    for (let t = this.now().getTime() + 1; fs.existsSync(name); t++) name = backupName(this.file, new Date(t));
    await fs.promises.rename(this.file, name).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    await this.removeOldBackups();
    await this.openExisting();
  }

  private async removeOldBackups(): Promise<void> {
    const cutoff = this.now().getTime() - this.maxAgeMs;
    const doomed = listBackups(this.file).filter((b, i) => (this.maxBackups > 0 && i >= this.maxBackups) || (this.maxAgeMs > 0 && b.time < cutoff));
    await Promise.all(doomed.map((b) => fs.promises.rm(b.file, { force: true }).catch((e: Error) => this.report(e))));
  }

  private report(err: Error): void {
    try { this.opts.onError?.(err); } catch { /* a reporter must not break the writer */ }
  }
}
