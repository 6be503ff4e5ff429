// The informer's local copy of a resource: objects by key, plus indexes
// (namespace always; more on request, e.g. pods by node). Listers read it
// without touching the API server.
//
// Objects in the cache are shared by every reader and deep-frozen: copy
// (structuredClone) before changing one, as with client-go's listers.

import { parseLabelSelector, type LabelMatcher } from '../api/selectors/labels.ts';
import type { KubeObject } from './resource.ts';

/** The values an object is indexed under (e.g. its node name); [] = not indexed. Must be pure. */
export type IndexFunc<T> = (obj: T) => string[];

/** Read-only view of a cache. Returned objects are frozen: never mutate them. */
export interface Lister<T> {
  /** `namespace` is '' or undefined for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined;
  /** All objects, or those in `namespace`; filtered by a label selector (string or matcher). */
  list(namespace?: string, selector?: string | LabelMatcher): T[];
  /** Objects whose index function returned `value`. Throws for an unknown index. */
  byIndex(indexName: string, value: string): T[];
  /** Keys as `namespace/name` (or `name`). */
  keys(): string[];
}

export const NAMESPACE_INDEX = 'namespace';

/** `namespace/name` for namespaced objects, `name` otherwise — client-go's MetaNamespaceKeyFunc. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits a key made by objectKey: [namespace ('' if none), name]. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

/** Freezes `obj` and everything reachable from it; returns it. */
export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as object)) deepFreeze(v);
  }
  return obj;
}

export class Indexer<T extends KubeObject> implements Lister<T> {
  private readonly items = new Map<string, T>();
  private readonly indexFns = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndex(NAMESPACE_INDEX, (o) => [o.metadata?.namespace ?? '']);
  }

  /** Adds an index, built at once over what is cached. Names are unique. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexFns.has(name)) throw new Error(`index ${name} already exists`);
    this.indexFns.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, obj] of this.items) this.indexOne(name, fn, key, obj);
  }

  get size(): number { return this.items.size; }

  getByKey(key: string): T | undefined { return this.items.get(key); }

  entries(): IterableIterator<[string, T]> { return this.items.entries(); }

  /** Stores `obj` under its key; returns what it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFns) this.indexOne(name, fn, key, obj);
    return old;
  }

  /** Removes the object at `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(keyOf(namespace, name));
  }

  list(namespace?: string, selector?: string | LabelMatcher): T[] {
    const matcher = typeof selector === 'string' ? parseLabelSelector(selector) : selector;
    const all = namespace ? this.byIndex(NAMESPACE_INDEX, namespace) : [...this.items.values()];
    return matcher && !matcher.empty ? all.filter((o) => matcher.matches(o.metadata?.labels)) : all;
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${indexName} does not exist`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  keys(): string[] { return [...this.items.keys()]; }

  private indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.indices.get(name)!;
    for (const v of new Set(fn(obj))) {
      let keys = index.get(v);
      if (!keys) index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFns) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}
