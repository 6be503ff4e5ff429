// What a set of simulated nodes looks like and how they behave, with the
// defaults `pilot agent --simulate` uses. Parsers for the list-valued flags
// live here too, so the CLI and tests read them the same way.

import type { Taint } from 'kubernetes-types/core/v1.js';

export interface SimulatedNodesConfig {
  /** How many nodes: `<namePrefix>0` … `<namePrefix><count-1>`. */
  count: number;
  namePrefix: string;
  /** Capacity (= allocatable) as quantities: cpu, memory, pods, ephemeral-storage, and any extended resource (e.g. nvidia.com/gpu). */
  capacity: Record<string, string>;
  /** Extra labels on every node (the well-known kubernetes.io/* ones are always set). */
  labels: Record<string, string>;
  taints: Taint[];
  /** Time from a pod's binding being seen to it running. */
  podStartDelayMs: number;
  /** Share of pods (0–1, chosen by a hash of their uid, so stable across restarts) whose containers fail. */
  podFailRatio: number;
  /** Lease renewal interval (kubelet: ¼ of the 40 s lease duration). */
  leaseRenewIntervalMs: number;
  leaseDurationSeconds: number;
  /** Node status is re-reported this often even when unchanged (kubelet's node-status-report-frequency). */
  nodeStatusReportIntervalMs: number;
  /** API requests in flight at once for node writes (registration, Leases, status), and as many for pod writes. */
  maxInflight: number;
}

export const SIMULATED_DEFAULTS: Omit<SimulatedNodesConfig, 'count'> = {
  namePrefix: 'sim-node-',
  capacity: { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  labels: {},
  taints: [],
  podStartDelayMs: 0,
  podFailRatio: 0,
  leaseRenewIntervalMs: 10_000,
  leaseDurationSeconds: 40,
  nodeStatusReportIntervalMs: 5 * 60_000,
  maxInflight: 32,
};

/** Labels that say a node is simulated (kwok marks its nodes the same way, with `type=kwok`). */
export const SIMULATED_NODE_LABEL = 'pilot.dev/simulated';
/** Pod annotations that script a pod's containers (see README, "Simulated nodes"). */
export const EXIT_CODE_ANNOTATION = 'pilot.dev/simulate-exit-code';
export const RUN_DURATION_ANNOTATION = 'pilot.dev/simulate-run-duration';

/** `k=v,k2=v2` (as kubectl's --labels / kubelet's --node-labels). */
export function parseKeyValues(text: string, what = 'label'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`invalid ${what} "${item}": want key=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** `key=value:Effect,key:Effect` (as kubelet's --register-with-taints). */
export function parseTaints(text: string): Taint[] {
  const out: Taint[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.lastIndexOf(':');
    if (colon <= 0) throw new Error(`invalid taint "${item}": want key[=value]:Effect`);
    const effect = item.slice(colon + 1);
    if (!EFFECTS.has(effect)) throw new Error(`invalid taint effect "${effect}" in "${item}": want NoSchedule, PreferNoSchedule or NoExecute`);
    const kv = item.slice(0, colon);
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (!key) throw new Error(`invalid taint "${item}": empty key`);
    out.push(eq < 0 ? { key, effect } : { key, value: kv.slice(eq + 1), effect });
  }
  return out;
}

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "1m30s", "250ms") in milliseconds, or undefined when malformed. */
export function goDurationMs(text: string): number | undefined {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * GO_DURATION_UNITS[m[2]];
    end = re.lastIndex;
  }
  if (s === '0') return 0;
  return s !== '' && end === s.length ? total : undefined;
}
