// A container's environment as the kubelet builds it: envFrom first (each
// ConfigMap/Secret, with its prefix), then env in order, where later entries
// see earlier ones through $(VAR). Missing references that are not optional
// fail the container with CreateContainerConfigError, as upstream.

import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity, wholeValue } from '../api/validation/quantity.ts';
import { expandVars } from './runtime-config.ts';

export interface EnvLookups {
  /** undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

export interface EnvContext {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** Node allocatable, for resourceFieldRef on a container without that limit. */
  nodeAllocatable?: Record<string, string>;
}

/** Thrown when the environment cannot be built; the message goes into the waiting state. */
export class EnvConfigError extends Error {}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export async function resolveEnv(pod: Pod, c: Container, lookups: EnvLookups, ctx: EnvContext = {}): Promise<{ name: string; value: string }[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  const order: string[] = [];
  const set = (name: string, value: string): void => {
    if (!vars.has(name)) order.push(name);
    vars.set(name, value);
  };

  for (const src of c.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    if (src.configMapRef) {
      const cm = await lookups.configMap(ns, src.configMapRef.name ?? '');
      if (!cm) {
        if (src.configMapRef.optional) continue;
        throw new EnvConfigError(`configmap "${src.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) if (ENV_NAME.test(prefix + k)) set(prefix + k, v);
    } else if (src.secretRef) {
      const s = await lookups.secret(ns, src.secretRef.name ?? '');
      if (!s) {
        if (src.secretRef.optional) continue;
        throw new EnvConfigError(`secret "${src.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) if (ENV_NAME.test(prefix + k)) set(prefix + k, Buffer.from(v, 'base64').toString('utf8'));
    }
  }

  for (const e of c.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      set(e.name, expandVars(e.value ?? '', vars));
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      set(e.name, fieldValue(pod, vf.fieldRef.fieldPath, ctx));
    } else if (vf.resourceFieldRef) {
      set(e.name, resourceValue(pod, c, vf.resourceFieldRef, ctx));
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await lookups.configMap(ns, ref.name ?? '');
      const v = cm?.data?.[ref.key] ?? (cm?.binaryData?.[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key], 'base64').toString('utf8') : undefined);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new EnvConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      set(e.name, v);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await lookups.secret(ns, ref.name ?? '');
      const v = s?.data?.[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        throw new EnvConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      set(e.name, Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  return order.map((name) => ({ name, value: vars.get(name)! }));
}

function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
  const md = pod.metadata ?? {};
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? md.labels : md.annotations)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name': return md.name ?? '';
    case 'metadata.namespace': return md.namespace ?? '';
    case 'metadata.uid': return md.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return ctx.podIP ?? '';
    case 'status.podIPs': return (ctx.podIPs ?? (ctx.podIP ? [ctx.podIP] : [])).join(',');
    case 'status.hostIP': return ctx.hostIP ?? '';
    case 'status.hostIPs': return ctx.hostIP ?? '';
    default: throw new EnvConfigError(`unsupported fieldPath: ${path}`);
  }
}

function resourceValue(pod: Pod, self: Container, ref: { containerName?: string; resource: string; divisor?: string }, ctx: EnvContext): string {
  const c = ref.containerName ? [...pod.spec!.containers, ...(pod.spec!.initContainers ?? [])].find((x) => x.name === ref.containerName) ?? self : self;
  const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
  const raw = c.resources?.[kind]?.[res] ?? (kind === 'limits' ? ctx.nodeAllocatable?.[res] : undefined) ?? '0';
  const q = parseQuantity(raw);
  const divisor = parseQuantity(ref.divisor ?? '1');
  if (!q || !divisor) return '0';
  // Upstream rounds up: 250m with divisor 1 is "1".
  if (res === 'cpu') {
    const m = Number(milliValue(q)), d = Number(milliValue(divisor)) || 1000;
    return String(Math.ceil(m / d));
  }
  const v = Number(wholeValue(q)), d = Number(wholeValue(divisor)) || 1;
  return String(Math.ceil(v / d));
}
