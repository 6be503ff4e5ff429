// Flags of individual controllers, named and written as kube-controller-manager's
// (`--node-monitor-grace-period=40s`, `--cluster-cidr=10.42.0.0/16`), turned into
// the ControllerOptions the controller manager hands to each controller.

import type { ControllerOptions } from '../controllers/types.ts';
import { parseDuration } from './flags.ts';

/** What commander gives for the controller flags (strings; undefined when not given). */
export interface ControllerFlagValues {
  clusterCidr?: string;
  nodeCidrMaskSize?: string;
  nodeMonitorPeriod?: string;
  nodeMonitorGracePeriod?: string;
  nodeStartupGracePeriod?: string;
  nodeEvictionRate?: string;
  clusterSigningDuration?: string;
}

export function controllerOptionsFrom(o: ControllerFlagValues): ControllerOptions {
  const out: ControllerOptions = {};
  if (o.clusterCidr !== undefined) out.clusterCidr = o.clusterCidr;
  if (o.nodeCidrMaskSize !== undefined) {
    const n = Number(o.nodeCidrMaskSize);
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new Error(`invalid --node-cidr-mask-size ${o.nodeCidrMaskSize}`);
    out.nodeCidrMaskSize = n;
  }
  const duration = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (!(ms > 0)) throw new Error(`invalid --${flag} ${v}: must be positive`);
    return ms;
  };
  out.nodeMonitorPeriodMs = duration('node-monitor-period', o.nodeMonitorPeriod);
  out.nodeMonitorGracePeriodMs = duration('node-monitor-grace-period', o.nodeMonitorGracePeriod);
  out.nodeStartupGracePeriodMs = duration('node-startup-grace-period', o.nodeStartupGracePeriod);
  out.clusterSigningDurationMs = duration('cluster-signing-duration', o.clusterSigningDuration);
  if (o.nodeEvictionRate !== undefined) {
    const r = Number(o.nodeEvictionRate);
    if (!Number.isFinite(r) || r < 0) throw new Error(`invalid --node-eviction-rate ${o.nodeEvictionRate}`);
    out.nodeEvictionRate = r;
  }
  for (const k of Object.keys(out) as (keyof ControllerOptions)[]) if (out[k] === undefined) delete out[k];
  return out;
}
