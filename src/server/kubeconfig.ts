// Kubeconfig files for people and programs that talk to the cluster: the admin
// kubeconfig Pilot writes at every start, and (only when asked) a merge of the
// same entries into the user's own ~/.kube/config, leaving everything else there alone.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { writeAtomic } from './pki.ts';

export interface KubeconfigArgs {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Default "pilot"; also the context's name. */
  clusterName?: string;
  /** Default "admin". */
  userName?: string;
}

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }
interface Kubeconfig {
  apiVersion: string; kind: string;
  clusters: Named<Record<string, unknown>>[];
  users: Named<Record<string, unknown>>[];
  contexts: Named<Record<string, unknown>>[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
  [k: string]: unknown;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function entries(a: KubeconfigArgs): { cluster: Named<Record<string, unknown>>; user: Named<Record<string, unknown>>; context: Named<Record<string, unknown>> } {
  const clusterName = a.clusterName ?? 'pilot';
  const userName = a.userName ?? 'admin';
  return {
    cluster: { name: clusterName, cluster: { server: a.server, 'certificate-authority-data': b64(a.caPem) } },
    user: { name: userName, user: { 'client-certificate-data': b64(a.certPem), 'client-key-data': b64(a.keyPem) } },
    context: { name: clusterName, context: { cluster: clusterName, user: userName } },
  };
}

/** The kubeconfig for one cluster, one user and one context, as YAML. */
export function renderKubeconfig(args: KubeconfigArgs): string {
  const e = entries(args);
  const cfg: Kubeconfig = {
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [e.cluster], users: [e.user], contexts: [e.context],
    'current-context': e.context.name,
  };
  return stringify(cfg, { lineWidth: 0 });
}

/** Writes (replacing) a kubeconfig holding only the Pilot admin entries, mode 0600. */
export function writeAdminKubeconfig(file: string, args: KubeconfigArgs): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeAtomic(file, renderKubeconfig(args), 0o600);
}

/** `$KUBECONFIG`'s first entry if set, else ~/.kube/config — where kubectl looks. */
export function defaultUserKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).find((p) => p.length > 0);
  return first ?? path.join(os.homedir(), '.kube', 'config');
}

/**
 * Adds or replaces the cluster, user and context of `args` in an existing kubeconfig
 * (created if absent), keeping every other entry and field. Only call this when the user
 * asked for it (e.g. `pilot server --write-kubeconfig`-style flags).
 * `setCurrentContext` (default true) makes the Pilot context the current one.
 */
export function mergeIntoUserKubeconfig(args: KubeconfigArgs & { file?: string; setCurrentContext?: boolean }): string {
  const given = args.file ?? defaultUserKubeconfigPath();
  // Write through a symlink (dotfile managers) rather than replacing it.
  const file = fs.existsSync(given) ? fs.realpathSync(given) : given;
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const parsed: unknown = existing.trim() ? parse(existing) : {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file} is not a kubeconfig (expected a YAML mapping); not touching it`);
  }
  const cfg = parsed as Partial<Kubeconfig>;
  const e = entries(args);
  const upsert = (list: unknown, item: Named<Record<string, unknown>>): Named<Record<string, unknown>>[] => {
    const arr = Array.isArray(list) ? (list as Named<Record<string, unknown>>[]) : [];
    const i = arr.findIndex((x) => x && x.name === item.name);
    if (i >= 0) arr[i] = item; else arr.push(item);
    return arr;
  };
  const out: Kubeconfig = {
    ...cfg,
    apiVersion: cfg.apiVersion ?? 'v1',
    kind: cfg.kind ?? 'Config',
    clusters: upsert(cfg.clusters, e.cluster),
    users: upsert(cfg.users, e.user),
    contexts: upsert(cfg.contexts, e.context),
  };
  if (args.setCurrentContext ?? true) out['current-context'] = e.context.name;
  else if (!out['current-context']) out['current-context'] = e.context.name;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Keep the user's own mode if the file exists; a new one is private.
  const mode = fs.existsSync(file) ? fs.statSync(file).mode & 0o777 : 0o600;
  writeAtomic(file, stringify(out, { lineWidth: 0 }), mode);
  return given;
}
