// Lookups over generated/messages.json (scripts/gen-protobuf.ts), read once on first use.

import { readFileSync } from 'node:fs';
import { definitionNameFor } from '../schema/index.ts';
import type { FieldSpec, MessageSpec, MessageTable } from './types.ts';

let table: MessageTable | undefined;
const byNumber = new Map<string, FieldSpec[]>();

function load(): MessageTable {
  table ??= JSON.parse(readFileSync(new URL('./generated/messages.json', import.meta.url), 'utf8')) as MessageTable;
  return table;
}

export function message(name: string): MessageSpec | undefined {
  return load().messages[name];
}

/** The fields in field-number order: the order upstream's marshaller writes them. */
export function fieldsByNumber(name: string, spec: MessageSpec): FieldSpec[] {
  let f = byNumber.get(name);
  if (!f) {
    f = [...spec.f].sort((a, b) => a.n - b.n);
    byNumber.set(name, f);
  }
  return f;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** API groups whose Go package is not named after the group's first label. */
const GROUP_PACKAGES: Record<string, string> = {
  'internal.apiserver.k8s.io': 'apiserverinternal',
};

/**
 * The message type of a top-level kind: the OpenAPI definition name when the
 * schema knows the kind, else the name derived from the group the way upstream's
 * packages are laid out (apps → io.k8s.api.apps.v1).
 */
export function messageNameFor(apiVersion: string, kind: string): string | undefined {
  const known = definitionNameFor(apiVersion, kind);
  if (known && message(known)) return known;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const candidates: string[] = [];
  if (group === 'meta.k8s.io') candidates.push(`${META}.${kind}`);
  else {
    const pkg = group === '' ? 'core' : GROUP_PACKAGES[group] ?? group.split('.')[0];
    candidates.push(`io.k8s.api.${pkg}.${version}.${kind}`);
    // meta kinds (DeleteOptions, Status, …) travel under every group-version
    candidates.push(`${META}.${kind}`);
  }
  return candidates.find((c) => message(c));
}
