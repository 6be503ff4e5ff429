// How objects live in the store: JSON without metadata.resourceVersion (the
// store's revision is the resourceVersion, set on the way out), the way
// upstream's etcd3 storage versions objects by mod revision.

import type { KV, Revision } from '../../storage/store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

export type Obj = Record<string, any>;  

export function encodeObject(obj: Obj): Uint8Array {
  const meta = obj.metadata ?? {};
  const { resourceVersion: _rv, ...rest } = meta as Record<string, unknown>;
  return enc.encode(JSON.stringify({ ...obj, metadata: rest }));
}

export function decodeKV(kv: KV): Obj {
  return withResourceVersion(JSON.parse(dec.decode(kv.value)) as Obj, kv.modRevision);
}

export function withResourceVersion(obj: Obj, rev: Revision): Obj {
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rev) };
  return obj;
}

export function clone<T>(o: T): T { return structuredClone(o); }

export function keyFor(prefix: string, namespace: string, name: string): string {
  return namespace ? `${prefix}${namespace}/${name}` : `${prefix}${name}`;
}

/** `/registry/pods/` for core, `/registry/apps/deployments/` for groups (no cross-group collisions). */
export function resourcePrefix(group: string, plural: string): string {
  return group ? `/registry/${group}/${plural}/` : `/registry/${plural}/`;
}

export function rfc3339(d: Date): string { return d.toISOString().replace(/\.\d{3}Z$/, 'Z'); }
