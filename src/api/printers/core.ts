// Core cluster objects: namespaces, nodes, config maps, secrets, service
// accounts and resource quotas.

import { AGE, NAME, ageOf, col, len, nameOf, str, type Printer } from './common.ts';

export const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'string', 'Lifecycle phase of the namespace.'), AGE],
  row: (ns, now) => [nameOf(ns), str(ns?.status?.phase), ageOf(ns, now)],
};

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

function nodeRoles(node: any): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(node?.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === LEGACY_ROLE_LABEL && v) {
      roles.add(v);
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeStatus(node: any): string {
  const out: string[] = [];
  // Only the Ready condition feeds the column; the last one of that type wins.
  let ready: any;
  for (const c of node?.status?.conditions ?? []) if (c?.type === 'Ready') ready = c;
  if (ready) out.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else out.push('Unknown');
  if (node?.spec?.unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}

function nodeAddress(node: any, type: string): string {
  const a = (node?.status?.addresses ?? []).find((x: any) => x?.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Readiness of the node, and whether scheduling is disabled.'),
    col('Roles', 'string', 'Roles taken from node-role labels.'),
    AGE,
    col('Version', 'string', 'Kubelet version the node reports.'),
    col('Internal-IP', 'string', 'First internal address of the node.', { priority: 1 }),
    col('External-IP', 'string', 'First external address of the node.', { priority: 1 }),
    col('OS-Image', 'string', 'Operating system the node reports.', { priority: 1 }),
    col('Kernel-Version', 'string', 'Kernel version the node reports.', { priority: 1 }),
    col('Container-Runtime', 'string', 'Container runtime and version the node reports.', { priority: 1 }),
  ],
  row(node, now) {
    const info = node?.status?.nodeInfo ?? {};
    return [nameOf(node), nodeStatus(node), nodeRoles(node), ageOf(node, now), str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>', str(info.kernelVersion) || '<unknown>', str(info.containerRuntimeVersion) || '<unknown>'];
  },
};

export const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'string', 'Number of keys held.'), AGE],
  row: (cm, now) => [nameOf(cm), len(cm?.data) + len(cm?.binaryData), ageOf(cm, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME, col('Type', 'string', 'Kind of secret, which fixes its expected keys.'), col('Data', 'string', 'Number of keys held.'), AGE],
  row: (s, now) => [nameOf(s), str(s?.type), len(s?.data), ageOf(s, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'string', 'Number of secrets listed for the account.'), AGE],
  row: (sa, now) => [nameOf(sa), len(sa?.secrets), ageOf(sa, now)],
};

/** `limits.*` resources go to the Limit column, everything else to Request. */
function quotaColumns(rq: any): [string, string] {
  const hard: Record<string, string> = rq?.status?.hard ?? {};
  const used: Record<string, string> = rq?.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const pieces = name.split('.');
    const entry = `${name}: ${str(used[name]) || '0'}/${str(hard[name]) || '0'}`;
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(entry);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    col('Request', 'string', 'Usage against the quota for requested resources.'),
    col('Limit', 'string', 'Usage against the quota for resource limits.'),
    AGE,
  ],
  row(rq, now) {
    const [request, limit] = quotaColumns(rq);
    return [nameOf(rq), request, limit, ageOf(rq, now)];
  },
};
