// Manifests and output parsers shared by the kubectl integration tests
// (test/kubectl-*.test.ts). Manifests are built as objects and rendered with
// `yaml`, so a test states only what it varies.

import { stringify } from 'yaml';

type Obj = Record<string, unknown>;

export interface ContainerSpec { name: string; image: string; env?: Record<string, string>; port?: number }

export interface DeploymentSpec {
  name: string;
  namespace?: string;
  replicas?: number;
  /** Labels on the Deployment's own metadata (default: app=<name>). */
  labels?: Record<string, string>;
  /** Selector and template labels (default: app=<name>). */
  selector?: Record<string, string>;
  templateLabels?: Record<string, string>;
  containers?: ContainerSpec[];
  /** Extra fields merged into .spec (e.g. unknown ones, to test validation). */
  extraSpec?: Obj;
}

function container(c: ContainerSpec): Obj {
  const out: Obj = { name: c.name, image: c.image };
  if (c.env) out.env = Object.entries(c.env).map(([name, value]) => ({ name, value }));
  if (c.port) out.ports = [{ containerPort: c.port }];
  return out;
}

export function deploymentObj(d: DeploymentSpec): Obj {
  const sel = d.selector ?? { app: d.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: d.name, ...(d.namespace ? { namespace: d.namespace } : {}), labels: d.labels ?? { app: d.name } },
    spec: {
      replicas: d.replicas ?? 1,
      selector: { matchLabels: sel },
      template: {
        metadata: { labels: d.templateLabels ?? sel },
        spec: { containers: (d.containers ?? [{ name: 'main', image: 'nginx:1.25', port: 80 }]).map(container) },
      },
      ...(d.extraSpec ?? {}),
    },
  };
}

export function namespaceObj(name: string, labels?: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}

export function configMapObj(name: string, namespace: string, data: Record<string, string>, labels?: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

export function serviceObj(name: string, namespace: string, selector: Record<string, string>, ports: { name?: string; port: number; targetPort?: number }[]): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector, ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, ...(p.targetPort ? { targetPort: p.targetPort } : {}) })) },
  };
}

export function podObj(name: string, namespace: string, labels: Record<string, string>, image = 'busybox:1.36'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', image, command: ['sleep', '3600'] }] },
  };
}

/**
 * Multi-document YAML, as a user writes it. Rendered as YAML 1.1, which
 * kubectl's parser speaks: strings like `y`, `on` or `no` are quoted, or they
 * would reach kubectl as booleans.
 */
export function yamlDocs(...objs: Obj[]): string {
  return objs.map((o) => stringify(o, { version: '1.1' })).join('---\n');
}

/** A Namespace, a ConfigMap, a Deployment and a Service (app=web) in `ns`. */
export function webStack(ns: string, replicas = 2): string {
  return yamlDocs(
    namespaceObj(ns),
    configMapObj('web-config', ns, { 'index.html': 'hello', mode: 'prod' }, { app: 'web' }),
    deploymentObj({ name: 'web', namespace: ns, replicas, labels: { app: 'web', tier: 'front' }, selector: { app: 'web' } }),
    serviceObj('web', ns, { app: 'web' }, [{ name: 'http', port: 80, targetPort: 80 }]),
  );
}

export interface Table { header: string[]; rows: Record<string, string>[] }

/**
 * Parses kubectl's human-readable table. Columns are separated by at least two
 * spaces (kubectl's tabwriter padding); headers like "NOMINATED NODE" hold one.
 * Empty cells are printed as <none>, so splitting never shifts columns. Blank
 * lines (between kinds in `get all`) separate tables; all rows are returned
 * keyed by the header of the table they belong to.
 */
export function parseTable(out: string): Table {
  let header: string[] = [];
  const rows: Record<string, string>[] = [];
  let expectHeader = true;
  for (const line of out.split('\n')) {
    if (line.trim() === '') { expectHeader = true; continue; }
    const cells = line.trim().split(/\s{2,}/);
    if (expectHeader) { header = cells; expectHeader = false; continue; }
    const row: Record<string, string> = {};
    header.forEach((h, i) => { row[h] = cells[i] ?? ''; });
    rows.push(row);
  }
  return { header, rows };
}

/** The header line(s) of a table, with runs of spaces collapsed. */
export function headers(out: string): string[] {
  const hs: string[] = [];
  let expectHeader = true;
  for (const line of out.split('\n')) {
    if (line.trim() === '') { expectHeader = true; continue; }
    if (expectHeader) { hs.push(line.trim().split(/\s{2,}/).join(' | ')); expectHeader = false; }
  }
  return hs;
}

/** `Key:   value` lines of `kubectl describe` at the top level (no indentation). */
export function describeFields(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^([A-Z][A-Za-z -]*):\s*(.*)$/.exec(line);
    if (r && !m.has(r[1])) m.set(r[1], r[2].trimEnd());
  }
  return m;
}
