// Derives the compact schema (src/api/schema/generated/definitions.json) from the
// upstream OpenAPI v3 documents: the definitions reachable from the served kinds
// (src/api/resources.ts) plus the meta, subresource and review types the apiserver
// speaks. Descriptions are dropped, and only facts the apiserver and kubectl use are
// kept. Run after changing RESOURCES:
//
//   node --import tsx scripts/gen-schema.ts [path/to/kubernetes-api/v1.28]

import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESOURCES } from '../src/api/resources.ts';
import type { GeneratedSchema, GroupVersionKind, SchemaNode } from '../src/api/schema/types.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = resolve(process.argv[2] ?? join(root, '..', 'shared', 'kubernetes-api', 'v1.28'));
const outFile = join(root, 'src', 'api', 'schema', 'generated', 'definitions.json');

/** Types every apiserver answers with or accepts, whatever resources it serves. */
const EXTRA_ROOTS = [
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
  'io.k8s.apimachinery.pkg.version.Info',
  'io.k8s.api.autoscaling.v1.Scale',
  'io.k8s.api.policy.v1.Eviction',
  'io.k8s.api.core.v1.Binding',
  'io.k8s.api.authentication.v1.TokenRequest',
  'io.k8s.api.authentication.v1.TokenReview',
  'io.k8s.api.authentication.v1.SelfSubjectReview',
  'io.k8s.api.authorization.v1.SubjectAccessReview',
  'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
  'io.k8s.api.authorization.v1.LocalSubjectAccessReview',
  'io.k8s.api.authorization.v1.SelfSubjectRulesReview',
];

// Keys of upstream schemas we deliberately leave out (prose and zero defaults).
const DROPPED = new Set(['description', 'default']);
const KNOWN = new Set([
  'type', 'format', 'properties', 'required', 'items', 'additionalProperties', '$ref', 'allOf', 'oneOf', 'enum',
  'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key', 'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-group-version-kind', 'x-kubernetes-unions',
  ...DROPPED,
]);

function loadUpstream(dir: string): Record<string, JsonObject> {
  const v3 = join(dir, 'v3');
  const schemas: Record<string, JsonObject> = {};
  for (const f of readdirSync(v3).filter((n) => n.endsWith('.json')).sort()) {
    const doc = JSON.parse(readFileSync(join(v3, f), 'utf8')) as JsonObject;
    const comps = (doc.components as JsonObject | undefined)?.schemas as Record<string, JsonObject> | undefined;
    for (const [name, s] of Object.entries(comps ?? {})) {
      if (schemas[name] && JSON.stringify(schemas[name]) !== JSON.stringify(s)) {
        throw new Error(`${basename(f)}: definition ${name} differs from another group-version's copy`);
      }
      schemas[name] = s;
    }
  }
  if (Object.keys(schemas).length === 0) throw new Error(`no OpenAPI v3 schemas found under ${v3}`);
  return schemas;
}

const REF_PREFIX = '#/components/schemas/';

function isZero(v: Json): boolean {
  return v === '' || v === 0 || v === false || v === null
    || (Array.isArray(v) && v.length === 0)
    || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function convert(s: JsonObject, where: string): SchemaNode {
  for (const k of Object.keys(s)) {
    if (!KNOWN.has(k)) throw new Error(`${where}: unhandled schema key ${k}`);
  }
  const n: SchemaNode = {};
  let ref = s.$ref as string | undefined;
  const allOf = s.allOf as JsonObject[] | undefined;
  if (allOf) {
    if (allOf.length !== 1 || !allOf[0].$ref || Object.keys(allOf[0]).length !== 1) throw new Error(`${where}: unexpected allOf`);
    ref = allOf[0].$ref as string;
  }
  if (ref !== undefined) {
    if (!ref.startsWith(REF_PREFIX)) throw new Error(`${where}: foreign $ref ${ref}`);
    n.ref = ref.slice(REF_PREFIX.length);
  }
  if (s.type !== undefined) n.type = s.type as SchemaNode['type'];
  if (s.format !== undefined) n.format = s.format as string;
  if (s.oneOf !== undefined) n.oneOf = (s.oneOf as JsonObject[]).map((x, i) => convert(x, `${where}.oneOf[${i}]`));
  if (s.enum !== undefined) n.enum = s.enum as SchemaNode['enum'];
  if (s.default !== undefined && !isZero(s.default)) n.default = s.default;
  if (s.properties !== undefined) {
    n.properties = {};
    for (const p of Object.keys(s.properties as JsonObject).sort()) {
      n.properties[p] = convert((s.properties as Record<string, JsonObject>)[p], `${where}.${p}`);
    }
  }
  if (s.required !== undefined) n.required = s.required as string[];
  if (s.items !== undefined) n.items = convert(s.items as JsonObject, `${where}[]`);
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    if (typeof ap !== 'object' || ap === null || Array.isArray(ap)) throw new Error(`${where}: boolean additionalProperties`);
    n.additionalProperties = convert(ap, `${where}{}`);
  }
  if (s['x-kubernetes-int-or-string'] === true) n.intOrString = true;
  if (s['x-kubernetes-preserve-unknown-fields'] === true) n.preserveUnknownFields = true;
  if (s['x-kubernetes-patch-strategy'] !== undefined) n.patchStrategy = s['x-kubernetes-patch-strategy'] as string;
  if (s['x-kubernetes-patch-merge-key'] !== undefined) n.patchMergeKey = s['x-kubernetes-patch-merge-key'] as string;
  if (s['x-kubernetes-list-type'] !== undefined) n.listType = s['x-kubernetes-list-type'] as SchemaNode['listType'];
  if (s['x-kubernetes-list-map-keys'] !== undefined) n.listMapKeys = s['x-kubernetes-list-map-keys'] as string[];
  if (s['x-kubernetes-map-type'] !== undefined) n.mapType = s['x-kubernetes-map-type'] as SchemaNode['mapType'];
  if (s['x-kubernetes-group-version-kind'] !== undefined) n.gvk = s['x-kubernetes-group-version-kind'] as unknown as GroupVersionKind[];
  if (s['x-kubernetes-unions'] !== undefined) n.unions = s['x-kubernetes-unions'] as SchemaNode['unions'];
  return n;
}

function refsOf(n: SchemaNode, out: Set<string>): void {
  if (n.ref) out.add(n.ref);
  for (const p of Object.values(n.properties ?? {})) refsOf(p, out);
  if (n.items) refsOf(n.items, out);
  if (n.additionalProperties) refsOf(n.additionalProperties, out);
  for (const o of n.oneOf ?? []) refsOf(o, out);
}

function main(): void {
  const upstream = loadUpstream(srcDir);
  const byGvk = new Map<string, string>();
  for (const [name, s] of Object.entries(upstream)) {
    for (const g of (s['x-kubernetes-group-version-kind'] as unknown as GroupVersionKind[] | undefined) ?? []) {
      const key = `${g.group}/${g.version}/${g.kind}`;
      if (!byGvk.has(key)) byGvk.set(key, name);
    }
  }

  const roots = new Set<string>(EXTRA_ROOTS);
  const missing: string[] = [];
  const want = (group: string, version: string, kind: string, required: boolean): void => {
    const name = byGvk.get(`${group}/${version}/${kind}`);
    if (name) roots.add(name);
    else if (required) missing.push(`${group || 'core'}/${version} ${kind}`);
  };
  for (const r of RESOURCES) {
    want(r.group, r.version, r.kind, true);
    want(r.group, r.version, r.listKind, r.verbs.includes('list'));
    // Options kinds (PodExecOptions, NodeProxyOptions, …) have no OpenAPI definition.
    for (const sub of r.subresources) want(sub.group ?? r.group, sub.version ?? r.version, sub.kind, false);
  }
  if (missing.length) throw new Error(`no upstream definition for: ${missing.join(', ')}`);

  const defs: Record<string, SchemaNode> = {};
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop() as string;
    if (defs[name]) continue;
    const s = upstream[name];
    if (!s) throw new Error(`unknown definition ${name}`);
    defs[name] = convert(s, name);
    const refs = new Set<string>();
    refsOf(defs[name], refs);
    for (const r of refs) if (!defs[r]) queue.push(r);
  }

  // Meta types (DeleteOptions, WatchEvent) name every group-version upstream has;
  // keep only the group-versions whose types we carry.
  const gvs = new Set<string>();
  for (const d of Object.values(defs)) {
    if (d.gvk && d.gvk.length === 1) gvs.add(`${d.gvk[0].group}/${d.gvk[0].version}`);
  }
  for (const r of RESOURCES) gvs.add(`${r.group}/${r.version}`);
  for (const d of Object.values(defs)) {
    if (d.gvk && d.gvk.length > 1) d.gvk = d.gvk.filter((g) => gvs.has(`${g.group}/${g.version}`));
  }

  const out: GeneratedSchema = { source: basename(srcDir), definitions: {} };
  for (const name of Object.keys(defs).sort()) out.definitions[name] = defs[name];
  // One definition per line: small, and diffs stay readable.
  const lines = Object.keys(out.definitions).map((k) => `${JSON.stringify(k)}:${JSON.stringify(out.definitions[k])}`);
  const text = `{"source":${JSON.stringify(out.source)},"definitions":{\n${lines.join(',\n')}\n}}\n`;
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  process.stdout.write(`wrote ${outFile}: ${lines.length} definitions, ${text.length} bytes\n`);
}

main();
