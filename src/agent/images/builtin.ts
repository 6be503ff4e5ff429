// Images the agent can make on any Debian host without a network: both from
// Debian's busybox-static (/bin/busybox, one static binary).
// - the pause image, which holds a pod's namespaces (the CRI's sandbox image);
// - a busybox image for tests and quick experiments.

import * as fs from 'node:fs';
import { buildOciImage, type BuiltImage } from './oci.ts';
import type { TarEntry } from './tar.ts';

export const BUSYBOX_PATH = '/bin/busybox';
/** The sandbox image containerd is configured with. The tag changes whenever its content does. */
export const PAUSE_IMAGE = 'localhost/pilot/pause:1';
export const BUSYBOX_IMAGE = 'localhost/pilot/busybox:1.35';

/**
 * The applets a busybox image links (all of them would be ~400 links; these are
 * the ones scripts and tests reach for).
 */
const APPLETS = [
  'sh', 'ash', 'cat', 'echo', 'env', 'false', 'true', 'sleep', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'touch',
  'grep', 'sed', 'awk', 'head', 'tail', 'wc', 'tr', 'cut', 'sort', 'uniq', 'tee', 'test', '[', 'printf', 'expr',
  'id', 'hostname', 'pwd', 'ps', 'kill', 'timeout', 'date', 'uname', 'whoami', 'mount', 'df', 'du', 'free',
  'ip', 'ifconfig', 'ping', 'wget', 'nc', 'httpd', 'nslookup', 'netstat', 'route', 'stat', 'readlink', 'seq',
  'xargs', 'find', 'dd', 'md5sum', 'sha256sum', 'base64', 'yes', 'top', 'vi', 'tar', 'gzip', 'gunzip',
];

export function busyboxAvailable(): boolean {
  try { return fs.statSync(BUSYBOX_PATH).isFile(); } catch { return false; }
}

function busyboxRootfs(applets: readonly string[]): TarEntry[] {
  const bin = fs.readFileSync(BUSYBOX_PATH);
  return [
    { type: 'file', path: 'bin/busybox', data: bin, mode: 0o755 },
    ...applets.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    // Mount points the runtime fills in; present so that read-only root filesystems work.
    { type: 'dir', path: 'dev' }, { type: 'dir', path: 'proc' }, { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'etc' }, { type: 'dir', path: 'tmp', mode: 0o1777 }, { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnobody:x:65534:\n') },
  ];
}

/**
 * The pause container: PID 1 of the sandbox, sleeping until told to stop. A
 * shell with a TERM trap, since PID 1 gets no default signal handlers (a plain
 * `sleep` would ignore SIGTERM and wait for SIGKILL).
 */
export function buildPauseImage(): BuiltImage {
  return buildOciImage({
    name: PAUSE_IMAGE,
    rootfs: busyboxRootfs(['sh', 'sleep']),
    config: {
      Entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'],
      Env: ['PATH=/bin'],
      WorkingDir: '/',
    },
  });
}

export function buildBusyboxImage(name = BUSYBOX_IMAGE): BuiltImage {
  return buildOciImage({
    name,
    rootfs: busyboxRootfs(APPLETS),
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/' },
  });
}
