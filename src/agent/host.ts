// Facts about the host the agent runs on, read once per status update: what
// the Node object reports as capacity, addresses and nodeInfo.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { goArch } from './images/oci.ts';

export interface HostFacts {
  cpus: number;
  memoryBytes: number;
  /** Size of the filesystem holding the agent's data (pods' writable layers and logs). */
  ephemeralStorageBytes: number;
  hostname: string;
  internalIP?: string;
  kernelVersion: string;
  osImage: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  architecture: string;
}

function readTrim(file: string): string {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return ''; }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readTrim('/etc/os-release'));
  return m?.[1] ?? `${os.type()} ${os.release()}`;
}

/** The first non-internal IPv4 address: the node's InternalIP unless configured. */
export function firstHostIPv4(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function readHostFacts(dataDir: string): HostFacts {
  let ephemeral = 0;
  try {
    const st = fs.statfsSync(dataDir);
    ephemeral = st.blocks * st.bsize;
  } catch { /* leave 0: reported as such */ }
  const machineID = readTrim('/etc/machine-id');
  return {
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    ephemeralStorageBytes: ephemeral,
    hostname: os.hostname().toLowerCase(),
    internalIP: firstHostIPv4(),
    kernelVersion: os.release(),
    osImage: osImage(),
    machineID,
    // Not every VM exposes DMI; upstream falls back the same way.
    systemUUID: readTrim('/sys/class/dmi/id/product_uuid') || machineID,
    bootID: readTrim('/proc/sys/kernel/random/boot_id'),
    architecture: goArch(),
  };
}
