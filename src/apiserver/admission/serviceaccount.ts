// The ServiceAccount admission plugin (upstream plugin/pkg/admission/serviceaccount):
// a new pod must name a ServiceAccount that exists (the `default` one when it
// names none), and unless automounting is off (the pod's
// automountServiceAccountToken, else the account's) it gets the projected
// `kube-api-access-xxxxx` volume — a bound token, the cluster CA bundle and
// its namespace — mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount
// in every container that mounts nothing there already. Mirror pods (static
// pods of a kubelet) are left alone.

import { ApiError } from '../../base/errors.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

type Obj = Record<string, any>;

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** Upstream's bound token lifetime for the projected volume (one hour + 7 s marks it as a "warn only" legacy-compatible token). */
export const TOKEN_EXPIRATION_SECONDS = 3607;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** The alphabet of upstream's utilrand.String (no vowels, no confusable characters). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export interface ServiceAccountSource {
  get(namespace: string, name: string): Promise<Obj | undefined>;
}

export interface ServiceAccountAdmissionOptions {
  random?: () => number;
  /** Waits between lookups of the `default` account (which its controller creates shortly after the namespace). */
  sleep?: (ms: number) => Promise<void>;
}

export function randomSuffix(n: number, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)];
  return s;
}

export function tokenVolume(name: string): Obj {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  };
}

/** Whether the pod gets a token: the pod's say wins, then the account's, else yes. */
export function shouldAutomount(sa: Obj | undefined, pod: Obj): boolean {
  const p = pod.spec?.automountServiceAccountToken;
  if (typeof p === 'boolean') return p;
  const s = sa?.automountServiceAccountToken;
  if (typeof s === 'boolean') return s;
  return true;
}

/** Adds the token volume and its mounts; returns the volume's name, or undefined when no container needed it. */
export function mountServiceAccountToken(pod: Obj, random: () => number = Math.random): string | undefined {
  const spec = (pod.spec ??= {});
  const volumes = (spec.volumes ?? []) as Obj[];
  const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
  let name = existing?.name as string | undefined;
  if (!name) {
    const taken = new Set(volumes.map((v) => v.name));
    do name = TOKEN_VOLUME_PREFIX + randomSuffix(5, random); while (taken.has(name));
  }
  const mount = { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH };
  let needed = false;
  for (const c of [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])]) {
    const mounts = (c.volumeMounts ?? []) as Obj[];
    if (mounts.some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
    c.volumeMounts = [...mounts, { ...mount }];
    needed = true;
  }
  if (!existing && needed) spec.volumes = [...volumes, tokenVolume(name)];
  return needed || existing ? name : undefined;
}

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly src: ServiceAccountSource, opts: ServiceAccountAdmissionOptions = {}) {
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.info.group !== '' || a.info.kind !== 'Pod') return;
    const pod = a.obj;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = (pod.spec ??= {});
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
    const saName = String(spec.serviceAccountName);
    const sa = await this.lookup(a.namespace, saName);
    if (!sa) {
      const name = String(pod.metadata?.name ?? '');
      throw ApiError.forbidden(`pods "${name}" is forbidden: error looking up service account ${a.namespace}/${saName}: serviceaccount "${saName}" not found`, { name, kind: 'pods' });
    }
    if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod, this.random);
  }

  /** The `default` account is looked up a few times over ~1–2 s: its controller creates it right after the namespace (as upstream). */
  private async lookup(ns: string, name: string): Promise<Obj | undefined> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 10 : 1;
    const interval = 100 + Math.floor(this.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await this.sleep(interval);
      const sa = await this.src.get(ns, name);
      if (sa) return sa;
    }
    return undefined;
  }
}
