// The pod network of one node: a CNI network list (bridge + host-local IPAM,
// then portmap for hostPort) that containerd's CRI plugin reads from its conf
// dir and runs for every sandbox. The agent rewrites it when the node's pod
// CIDR changes; IPAM state stays under the agent's data dir.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where Debian's containernetworking-plugins put the plugin binaries. */
export const CNI_BIN_DIR = '/usr/lib/cni';

export interface PodNetworkConfig {
  /** CNI network name (appears in the bridge plugin's iptables comments). */
  name: string;
  /** Linux bridge the pods' veths join (≤ 15 characters). */
  bridge: string;
  /** The node's pod CIDR, e.g. 10.42.0.0/24; the bridge gets its first address. */
  podCIDR: string;
  /** host-local's allocation records. */
  ipamDataDir: string;
}

/**
 * A network name and bridge name stable for one data dir and distinct between
 * data dirs, so that several agents on one host (tests, simulated nodes) never
 * share a bridge or each other's masquerade rules.
 */
export function networkNamesFor(dataDir: string): { name: string; bridge: string } {
  const h = crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 6);
  return { name: `pilot-${h}`, bridge: `pilot${h}` };
}

export function cniConfList(cfg: PodNetworkConfig): object {
  if (cfg.bridge.length > 15) throw new Error(`bridge name ${cfg.bridge} is longer than 15 characters`);
  return {
    cniVersion: '1.0.0',
    name: cfg.name,
    plugins: [
      {
        type: 'bridge',
        bridge: cfg.bridge,
        isGateway: true,
        // Pod traffic leaving the node appears to come from the node.
        ipMasq: true,
        // A pod reaching itself through a Service IP comes back through the same veth.
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: cfg.podCIDR }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: cfg.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes the network list atomically (containerd watches the directory and
 * must never read half a file). Returns true when the content changed.
 */
export function writeCniConfig(confDir: string, cfg: PodNetworkConfig): boolean {
  fs.mkdirSync(confDir, { recursive: true });
  fs.mkdirSync(cfg.ipamDataDir, { recursive: true });
  const file = path.join(confDir, '10-pilot.conflist');
  const text = `${JSON.stringify(cniConfList(cfg), null, 2)}\n`;
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch { /* first write */ }
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return true;
}
