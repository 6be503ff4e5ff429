// What `pilot server` uses when a flag is not given. Kept apart from server.ts
// so the CLI's other commands (token, agent, dns) do not load the whole
// control plane just to print their help or defaults.

import * as os from 'node:os';
import * as path from 'node:path';

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/pilot' : path.join(os.homedir(), '.pilot');
}

export const DEFAULTS = {
  securePort: 6443,
  bindAddress: '0.0.0.0',
  serviceCidr: '10.43.0.0/16',
  nodePortRange: [30000, 32767] as [number, number],
  compactionRetainRevisions: 10_000,
  compactionIntervalMs: 5 * 60_000,
  logLevel: 'info',
};
