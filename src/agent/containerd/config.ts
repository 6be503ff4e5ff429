// containerd's configuration for the agent's own instance: everything (root,
// state, sockets, opt dir, netns mounts) under one directory, so it never meets
// a system containerd or another agent's, and removing the directory removes it.

import * as path from 'node:path';
import { CNI_BIN_DIR } from '../cni/config.ts';

export interface ContainerdPaths {
  dir: string;
  config: string;
  socket: string;
  root: string;
  state: string;
  cniConfDir: string;
  log: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir,
    config: path.join(dir, 'config.toml'),
    socket: path.join(dir, 'containerd.sock'),
    root: path.join(dir, 'root'),
    state: path.join(dir, 'state'),
    cniConfDir: path.join(dir, 'cni', 'net.d'),
    log: path.join(dir, 'containerd.log'),
  };
}

export interface ContainerdConfigOptions {
  sandboxImage: string;
  /** OCI runtime binary for the runc shim (runc as installed works here; crun needs a cgroup workaround). */
  runtimeBinary?: string;
  /** Snapshotter; overlayfs works on these hosts. */
  snapshotter?: string;
  /** Registries reached over plain HTTP or with unverified TLS, e.g. 127.0.0.1:5000. */
  insecureRegistries?: string[];
}

/** TOML string literal (basic string with escapes). */
function q(s: string): string {
  return JSON.stringify(s);
}

export function renderContainerdConfig(p: ContainerdPaths, o: ContainerdConfigOptions): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const lines = [
    '# Written by the pilot agent at every start; edits are overwritten.',
    'version = 2',
    `root = ${q(p.root)}`,
    `state = ${q(p.state)}`,
    // Snapshotters that fail to initialise here and only add noise to the log.
    'disabled_plugins = ["io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.blockfile"]',
    '',
    '[grpc]',
    `  address = ${q(p.socket)}`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(p.dir, 'opt'))}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(o.sandboxImage)}`,
    // Port 0: the streaming server (exec/attach) must not clash with other containerds.
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    // A negative oom_score_adj needs CAP_SYS_RESOURCE, which these hosts lack.
    '  restrict_oom_score_adj = true',
    // Sandbox network namespaces under our state dir, not /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    '  disable_apparmor = true',
    `  [${cri}.containerd]`,
    `    snapshotter = ${q(o.snapshotter ?? 'overlayfs')}`,
    '    default_runtime_name = "runc"',
    `    [${cri}.containerd.runtimes.runc]`,
    '      runtime_type = "io.containerd.runc.v2"',
    `      [${cri}.containerd.runtimes.runc.options]`,
    `        BinaryName = ${q(o.runtimeBinary ?? 'runc')}`,
    // No systemd here: cgroupfs is the only cgroup manager that works.
    '        SystemdCgroup = false',
    `  [${cri}.cni]`,
    `    bin_dir = ${q(CNI_BIN_DIR)}`,
    `    conf_dir = ${q(p.cniConfDir)}`,
    '    max_conf_num = 1',
  ];
  const insecure = o.insecureRegistries ?? [];
  if (insecure.length) {
    for (const host of insecure) {
      lines.push(`  [${cri}.registry.mirrors.${q(host)}]`, `    endpoint = [${q(`http://${host}`)}]`);
      lines.push(`  [${cri}.registry.configs.${q(host)}.tls]`, '    insecure_skip_verify = true');
    }
  }
  return `${lines.join('\n')}\n`;
}
