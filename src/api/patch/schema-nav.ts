// What the patch code needs to know about a schema node: the patch metadata of
// a field (strategic merge patch) and the structural shape of a value
// (server-side apply), the latter as structured-merge-diff derives it from the
// OpenAPI facts.

import { resolveRef } from '../schema/index.ts';
import type { SchemaNode } from '../schema/types.ts';
import { isObject } from './json-value.ts';

export function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  return node ? resolveRef(node) : undefined;
}

/** The schema of member `name` of an object: a struct property, else a map's value type. */
export function memberSchema(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
  const r = resolve(node);
  if (!r) return undefined;
  if (r.properties && Object.prototype.hasOwnProperty.call(r.properties, name)) return r.properties[name];
  return r.additionalProperties;
}

export function itemSchema(node: SchemaNode | undefined): SchemaNode | undefined {
  return node?.items ?? resolve(node)?.items;
}

export interface PatchMeta {
  /** "merge", "replace" or "" (the default: maps merge, lists are replaced). */
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

/** A field's x-kubernetes-patch-strategy / -merge-key, stated next to the field (or its type). */
export function patchMeta(field: SchemaNode | undefined): PatchMeta {
  const r = resolve(field);
  const raw = field?.patchStrategy ?? r?.patchStrategy ?? '';
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    strategy: parts.find((p) => p !== 'retainKeys') ?? '',
    retainKeys: parts.includes('retainKeys'),
    mergeKey: field?.patchMergeKey ?? r?.patchMergeKey ?? '',
  };
}

export type Shape =
  | { kind: 'scalar' }
  /** Owned and replaced as a whole (atomic list, map or struct). */
  | { kind: 'atomic' }
  | { kind: 'struct'; fields: Record<string, SchemaNode>; open: boolean; required: string[] }
  /** A granular map; `elem` undefined means its values' shapes are deduced. */
  | { kind: 'map'; elem: SchemaNode | undefined }
  /** A granular list: keyed by `keys` (list-map), or by the item's value (set) when `keys` is empty. */
  | { kind: 'assoc'; keys: string[]; elem: SchemaNode | undefined };

type Declared = Shape | { kind: 'any' };

const ANY: Declared = { kind: 'any' };
// Schema nodes are never mutated, so their shapes can be remembered.
const shapes = new WeakMap<SchemaNode, Declared>();

/** The shape the schema declares, before looking at a value. */
export function declaredShape(node: SchemaNode | undefined): Declared {
  if (!node) return ANY;
  let d = shapes.get(node);
  if (!d) {
    d = computeShape(node);
    shapes.set(node, d);
  }
  return d;
}

function computeShape(node: SchemaNode): Declared {
  const r = resolve(node);
  if (!r) return ANY;
  const atomic = node.mapType === 'atomic' || node.structType === 'atomic' || r.mapType === 'atomic' || r.structType === 'atomic';
  if (r.type === 'array' || r.items) {
    const listType = node.listType ?? r.listType;
    const elem = itemSchema(node);
    if (listType === 'map') return { kind: 'assoc', keys: node.listMapKeys ?? r.listMapKeys ?? [], elem };
    if (listType === 'set') return { kind: 'assoc', keys: [], elem };
    if (listType === 'atomic') return { kind: 'atomic' };
    // No list type: structured-merge-diff falls back to the patch strategy.
    const meta = patchMeta(node);
    if (meta.strategy === 'merge') return { kind: 'assoc', keys: meta.mergeKey ? [meta.mergeKey] : [], elem };
    return { kind: 'atomic' };
  }
  if (r.properties) {
    if (atomic) return { kind: 'atomic' };
    return { kind: 'struct', fields: r.properties, open: r.preserveUnknownFields === true, required: r.required ?? [] };
  }
  if (r.additionalProperties) return atomic ? { kind: 'atomic' } : { kind: 'map', elem: r.additionalProperties };
  if (r.type === 'object') return atomic ? { kind: 'atomic' } : { kind: 'map', elem: undefined };
  if (r.type || r.oneOf || r.intOrString || r.format === 'int-or-string') return { kind: 'scalar' };
  return ANY;
}

/**
 * The shape of `value` at `node`: the declared shape, or one deduced from the value
 * where the schema says nothing (objects are granular maps, lists atomic). A value
 * that does not fit its declared shape is a leaf.
 */
export function shapeOf(node: SchemaNode | undefined, value: unknown): Shape {
  const d = declaredShape(node);
  if (d.kind === 'any') {
    if (isObject(value)) return { kind: 'map', elem: undefined };
    return Array.isArray(value) ? { kind: 'atomic' } : { kind: 'scalar' };
  }
  if ((d.kind === 'struct' || d.kind === 'map') && !isObject(value)) return { kind: 'scalar' };
  if (d.kind === 'assoc' && !Array.isArray(value)) return { kind: 'scalar' };
  return d;
}

/** The schema of a struct field or map value within a granular shape. */
export function childSchema(shape: Shape, name: string): SchemaNode | undefined {
  if (shape.kind === 'struct') return Object.prototype.hasOwnProperty.call(shape.fields, name) ? shape.fields[name] : undefined;
  if (shape.kind === 'map') return shape.elem;
  return undefined;
}

/** A list-map key field's default, as structured-merge-diff uses it when an item omits the key. */
export function keyDefault(elem: SchemaNode | undefined, field: string): unknown {
  const prop = memberSchema(elem, field);
  return prop?.default ?? resolve(prop)?.default;
}
