import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildOciImage, rootfsFromDir } from './oci.ts';
import { writeTar } from './tar.ts';

/** Entries of a ustar archive: name (prefix joined), type flag, size, content. */
function readTar(buf: Buffer): { name: string; type: string; data: Buffer; link: string; mode: number }[] {
  const out = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12), 8);
    const prefix = str(345, 155);
    const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    // The checksum must match what tar readers compute.
    const sum = [...h].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
    assert.equal(parseInt(str(148, 8), 8), sum, `checksum of ${name}`);
    out.push({ name, type: str(156, 1), data: buf.subarray(off + 512, off + 512 + size), link: str(157, 100), mode: parseInt(str(100, 8), 8) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('tar: files, dirs, symlinks and long paths in ustar form', () => {
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.txt`;
  const tar = writeTar([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/x', data: Buffer.from('hello'), mode: 0o755 },
    { type: 'symlink', path: 'bin/y', target: 'x' },
    { type: 'file', path: long, data: Buffer.alloc(600, 1) },
  ]);
  assert.equal(tar.length % 512, 0);
  const e = readTar(tar);
  assert.deepEqual(e.map((x) => [x.name, x.type]), [['bin/', '5'], ['bin/x', '0'], ['bin/y', '2'], [long, '0']]);
  assert.equal(e[1].data.toString(), 'hello');
  assert.equal(e[1].mode, 0o755);
  assert.equal(e[2].link, 'x');
  assert.equal(e[3].data.length, 600);
  assert.throws(() => writeTar([{ type: 'file', path: 'x'.repeat(101), data: Buffer.alloc(0) }]), /too long/);
});

test('OCI image: deterministic layout whose digests match the blobs', () => {
  const spec = { name: 'localhost/test/img:1', rootfs: [{ type: 'file' as const, path: 'a/b/c.txt', data: Buffer.from('x') }], config: { Cmd: ['sh'] } };
  const a = buildOciImage(spec);
  const b = buildOciImage(spec);
  assert.ok(a.archive.equals(b.archive), 'same input, same bytes');
  const files = new Map(readTar(a.archive).filter((x) => x.type === '0').map((x) => [x.name, x.data]));
  for (const [name, data] of files) {
    if (!name.startsWith('blobs/sha256/')) continue;
    assert.equal(crypto.createHash('sha256').update(data).digest('hex'), name.slice('blobs/sha256/'.length), `${name} content matches its digest`);
  }
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.manifests[0].digest, a.manifestDigest);
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'localhost/test/img:1');
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], '1');
  const manifest = JSON.parse(files.get(`blobs/sha256/${a.manifestDigest.slice(7)}`)!.toString());
  assert.equal(manifest.config.digest, a.configDigest);
  const config = JSON.parse(files.get(`blobs/sha256/${a.configDigest.slice(7)}`)!.toString());
  assert.deepEqual(config.rootfs.diff_ids, [manifest.layers[0].digest]);
  assert.deepEqual(config.config, { Cmd: ['sh'] });
  // The layer creates parent directories before their content.
  const layer = readTar(files.get(`blobs/sha256/${manifest.layers[0].digest.slice(7)}`)!);
  assert.deepEqual(layer.map((x) => x.name), ['a/', 'a/b/', 'a/b/c.txt']);
  assert.equal(JSON.parse(files.get('oci-layout')!.toString()).imageLayoutVersion, '1.0.0');
  // Different content, different image ID.
  assert.notEqual(buildOciImage({ ...spec, config: { Cmd: ['true'] } }).configDigest, a.configDigest);
});

test('rootfsFromDir: sorted entries with modes and symlinks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-rootfs-'));
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'tool'), 'x', { mode: 0o750 });
    fs.symlinkSync('tool', path.join(dir, 'bin', 'alias'));
    fs.writeFileSync(path.join(dir, 'README'), 'r');
    const e = rootfsFromDir(dir);
    assert.deepEqual(e.map((x) => `${x.type}:${x.path}`), ['file:README', 'dir:bin', 'symlink:bin/alias', 'file:bin/tool']);
    const tool = e.find((x) => x.path === 'bin/tool');
    assert.equal(tool?.type === 'file' && tool.mode, 0o750);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
