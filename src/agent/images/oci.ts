// Builds OCI images without a registry or a network: a root filesystem (from a
// directory or a list of entries) becomes one uncompressed layer, plus an image
// config and manifest, packed as an OCI image layout tar that
// `ctr -n k8s.io images import` (and skopeo, and docker load) accepts. The same
// input gives byte-identical output, so image IDs are stable across builds.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeTar, type TarEntry } from './tar.ts';

/** The runtime part of an OCI image config (field names as the image spec spells them). */
export interface ImageRunConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
}

export interface OciImageSpec {
  /** Full reference, e.g. `localhost/pilot/busybox:1.35`. */
  name: string;
  /** Root filesystem of the single layer. Parent directories are added when missing. */
  rootfs: readonly TarEntry[];
  config: ImageRunConfig;
  /** GOARCH spelling; default: this machine's. */
  architecture?: string;
}

export interface BuiltImage {
  name: string;
  /** The OCI layout as one tar archive. */
  archive: Buffer;
  /** sha256:… of the manifest (what registries call the image digest). */
  manifestDigest: string;
  /** sha256:… of the config: the image ID containerd and the CRI report. */
  configDigest: string;
}

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export function buildOciImage(spec: OciImageSpec): BuiltImage {
  const layer = writeTar(withParents(spec.rootfs));
  const layerDigest = sha256(layer);
  const config = json({
    architecture: spec.architecture ?? goArch(),
    os: 'linux',
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
    // Fixed, so that the digest depends on the content only.
    created: '1970-01-01T00:00:00Z',
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'pilot image builder' }],
  });
  const configDigest = sha256(config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: config.length },
    layers: [{ mediaType: MEDIA.layer, digest: layerDigest, size: layer.length }],
  });
  const manifestDigest = sha256(manifest);
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{
      mediaType: MEDIA.manifest, digest: manifestDigest, size: manifest.length,
      annotations: {
        // containerd names the imported image after this one…
        'io.containerd.image.name': spec.name,
        // …other tools (skopeo oci:DIR:TAG, umoci) look the tag up here.
        'org.opencontainers.image.ref.name': tag,
      },
    }],
  });
  const blobs = new Map<string, Buffer>([[layerDigest, layer], [configDigest, config], [manifestDigest, manifest]]);
  const entries: TarEntry[] = [
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    ...[...blobs.keys()].sort().map((d): TarEntry => ({ type: 'file', path: `blobs/sha256/${d.slice('sha256:'.length)}`, data: blobs.get(d)! })),
    { type: 'file', path: 'index.json', data: index },
    { type: 'file', path: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
  ];
  return { name: spec.name, archive: writeTar(entries), manifestDigest, configDigest };
}

/**
 * The entries of a directory tree, sorted by path, for use as a rootfs.
 * Regular files, directories and symlinks; anything else (devices, sockets) is
 * left out, since a layer made by an unprivileged build could not hold it either.
 */
export function rootfsFromDir(dir: string): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out.push({ type: 'symlink', path: r, target: fs.readlinkSync(abs) });
      else if (st.isDirectory()) { out.push({ type: 'dir', path: r, mode: st.mode & 0o7777 }); walk(r); }
      else if (st.isFile()) out.push({ type: 'file', path: r, data: fs.readFileSync(abs), mode: st.mode & 0o7777 });
    }
  };
  walk('');
  return out;
}

/** Adds missing parent directories (a layer must create a directory before its content) and sorts. */
function withParents(entries: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const e of entries) {
    const p = e.path.replace(/^\/+|\/+$/g, '');
    if (!p) continue;
    byPath.set(p, { ...e, path: p });
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!byPath.has(parent)) byPath.set(parent, { type: 'dir', path: parent });
    }
  }
  return [...byPath.keys()].sort().map((k) => byPath.get(k)!);
}

function json(v: unknown): Buffer { return Buffer.from(JSON.stringify(v)); }

function sha256(b: Buffer): string { return `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`; }
