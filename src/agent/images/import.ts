// Puts a locally built image into containerd's CRI namespace (k8s.io) with
// containerd's own `ctr images import`, the same command a user runs to bring
// images in without a registry:
//   ctr -a <data-dir>/agent/containerd/containerd.sock -n k8s.io images import image.tar

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CriClient } from '../cri/client.ts';
import type { BuiltImage } from './oci.ts';

export const CRI_NAMESPACE = 'k8s.io';

export function runCtr(socket: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ctr', ['-a', socket, '-n', CRI_NAMESPACE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.once('error', reject);
    p.once('close', (code) => code === 0 ? resolve(out) : reject(new Error(`ctr ${args.join(' ')} exited ${code}: ${err.trim()}`)));
  });
}

/** Imports an OCI archive file into containerd (and unpacks it for the default snapshotter). */
export async function importArchive(socket: string, archivePath: string): Promise<void> {
  await runCtr(socket, ['images', 'import', archivePath]);
}

/**
 * Imports `image` unless the runtime already has it with the same content
 * (the CRI's image ID is the config digest). The archive is kept in `cacheDir`.
 */
export async function ensureImage(cri: CriClient, socket: string, image: BuiltImage, cacheDir: string): Promise<void> {
  const have = await cri.imageStatus({ image: image.name });
  if (have?.id === image.configDigest) return;
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${image.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.tar`);
  fs.writeFileSync(file, image.archive);
  await importArchive(socket, file);
}
