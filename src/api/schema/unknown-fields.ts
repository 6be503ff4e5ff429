// Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`), worded as
// upstream's strict JSON decoder words it:
//
//   Deployment in version "v1" cannot be handled as a Deployment: strict decoding
//   error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].imagee"
//
// Paths join struct fields and map keys with "." and list positions with "[i]",
// in the order the fields appear in the body. Type mismatches are what Go's
// decoder reports before any unknown field, and they fail the request whatever
// the directive:
//
//   json: cannot unmarshal string into Go struct field Container.spec.containers.ports of type []v1.ContainerPort

import { definitionNameFor, isIntOrString, resolveRef, schemaFor } from './index.ts';
import type { SchemaNode } from './types.ts';
import { fieldErr, type FieldError } from '../../base/errors.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Whether unknown keys in this object are kept rather than reported. */
function preserves(field: SchemaNode, resolved: SchemaNode): boolean {
  return field.preserveUnknownFields === true || resolved.preserveUnknownFields === true;
}

function walkUnknown(value: unknown, field: SchemaNode, path: string, out: string[], depth: number, drop = false): void {
  if (value === null || value === undefined || depth > 100) return;
  const n = resolveRef(field);
  if (isIntOrString(field) || n.oneOf) return;
  if (n.properties || n.additionalProperties || n.type === 'object') {
    if (!isPlainObject(value)) return;
    if (!n.properties && !n.additionalProperties) return; // RawExtension, FieldsV1: anything goes
    const keep = preserves(field, n);
    for (const [k, v] of Object.entries(value)) {
      const prop = n.properties && Object.prototype.hasOwnProperty.call(n.properties, k) ? n.properties[k] : undefined;
      if (prop) walkUnknown(v, prop, join(path, k), out, depth + 1, drop);
      else if (n.additionalProperties) walkUnknown(v, n.additionalProperties, join(path, k), out, depth + 1, drop);
      else if (!keep) {
        out.push(join(path, k));
        if (drop) delete value[k];
      }
    }
    return;
  }
  if (n.type === 'array' && n.items && Array.isArray(value)) {
    value.forEach((el, i) => walkUnknown(el, n.items as SchemaNode, `${path}[${i}]`, out, depth + 1, drop));
  }
}

/**
 * Removes, in place, the fields findUnknownFields reports, and returns their
 * paths. Upstream decodes bodies into Go structs, so unknown fields never reach
 * storage whatever the fieldValidation directive (Warn and Ignore only decide
 * whether the client hears about them).
 */
export function dropUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const root = schemaFor(apiVersion, kind);
  if (!root) return [];
  const out: string[] = [];
  walkUnknown(obj, root, '', out, 0, true);
  return out;
}

/**
 * Dotted paths of the fields in `obj` that the kind's schema does not know, in
 * body order (e.g. ["spec.foo", "spec.template.spec.containers[0].imagee"]).
 * Map entries (labels, data) are never unknown; neither is anything inside
 * x-kubernetes-preserve-unknown-fields objects or RawExtension-like fields.
 * Returns [] for kinds without a schema.
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const root = schemaFor(apiVersion, kind);
  if (!root) return [];
  const out: string[] = [];
  walkUnknown(obj, root, '', out, 0);
  return out;
}

/** A value whose JSON type the Go type of its field cannot hold. */
export interface FieldTypeError {
  /** Full path, without list positions, as Go prints it ("spec.template.spec.containers.ports"). */
  path: string;
  /** Name of the struct holding the field ("Container"). */
  struct: string;
  /** What the body holds: "string", "number", "number 1.5", "bool", "array", "object". */
  got: string;
  /** The Go type expected ("[]v1.ContainerPort", "int32", "map[string]string"). */
  goType: string;
  /** `json: cannot unmarshal … into Go struct field … of type …` */
  message: string;
}

function shortTypeName(defName: string): string {
  const parts = defName.split('.');
  return parts.slice(-2).join('.');
}

function structName(defName: string): string {
  return defName.slice(defName.lastIndexOf('.') + 1);
}

/** The Go type a schema node stands for, as reflect.Type.String() prints it. */
export function goTypeOf(field: SchemaNode): string {
  if (field.ref) {
    const target = resolveRef(field);
    // Named string types (Time, Quantity, IntOrString) print by their Go name too.
    return target === field ? 'interface {}' : shortTypeName(field.ref);
  }
  if (field.oneOf || field.format === 'int-or-string' || field.intOrString) return 'intstr.IntOrString';
  switch (field.type) {
    case 'string': return field.format === 'byte' ? '[]uint8' : 'string';
    case 'boolean': return 'bool';
    case 'integer': return field.format === 'int32' ? 'int32' : field.format === 'int64' ? 'int64' : 'int';
    case 'number': return field.format === 'float' ? 'float32' : 'float64';
    case 'array': return `[]${field.items ? goTypeOf(field.items) : 'interface {}'}`;
    case 'object':
      if (field.additionalProperties) return `map[string]${goTypeOf(field.additionalProperties)}`;
      return field.properties ? 'struct' : 'map[string]interface {}';
    default: return 'interface {}';
  }
}

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

interface TypeCtx { struct: string; path: string; out: FieldTypeError[] }

function typeError(ctx: TypeCtx, got: string, field: SchemaNode, goType?: string): void {
  const t = goType ?? goTypeOf(field);
  ctx.out.push({
    path: ctx.path, struct: ctx.struct, got, goType: t,
    message: `json: cannot unmarshal ${got} into Go struct field ${ctx.struct}.${ctx.path} of type ${t}`,
  });
}

/** `field` describes the slot `value` goes into; ctx names the struct field it belongs to. */
function walkTypes(value: unknown, field: SchemaNode, ctx: TypeCtx, depth: number): void {
  if (value === null || value === undefined || depth > 100) return;
  const n = resolveRef(field);
  const named = field.ref && n !== field ? field.ref : undefined;
  if (isIntOrString(field)) {
    if (typeof value === 'string') return;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) typeError(ctx, `number ${value}`, field, 'int32');
      return;
    }
    typeError(ctx, jsonKind(value), field, 'int32');
    return;
  }
  if (n.oneOf) {
    // Quantity: a string or a number; its own parser words other problems.
    if (typeof value !== 'string' && typeof value !== 'number') typeError(ctx, jsonKind(value), field);
    return;
  }
  if (n.properties) {
    if (!isPlainObject(value)) { typeError(ctx, jsonKind(value), field); return; }
    const struct = named ? structName(named) : ctx.struct;
    for (const [k, v] of Object.entries(value)) {
      const prop = Object.prototype.hasOwnProperty.call(n.properties, k) ? n.properties[k] : undefined;
      const sub: TypeCtx = { struct, path: join(ctx.path, k), out: ctx.out };
      if (prop) walkTypes(v, prop, sub, depth + 1);
      else if (n.additionalProperties) walkTypes(v, n.additionalProperties, sub, depth + 1);
    }
    return;
  }
  if (n.additionalProperties) {
    if (!isPlainObject(value)) { typeError(ctx, jsonKind(value), field); return; }
    // Go's error context names the map field, not the key.
    for (const v of Object.values(value)) walkTypes(v, n.additionalProperties, ctx, depth + 1);
    return;
  }
  switch (n.type) {
    case 'object':
      return; // RawExtension, FieldsV1, untyped objects
    case 'array':
      if (!Array.isArray(value)) { typeError(ctx, jsonKind(value), field); return; }
      if (n.items) for (const el of value) walkTypes(el, n.items, ctx, depth + 1);
      return;
    case 'string':
      if (typeof value !== 'string') typeError(ctx, typeof value === 'number' ? 'number' : jsonKind(value), field);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(ctx, jsonKind(value), field);
      return;
    case 'integer': {
      if (typeof value !== 'number') { typeError(ctx, jsonKind(value), field); return; }
      const t = goTypeOf(n);
      const [lo, hi] = INT_RANGES[t] ?? INT_RANGES.int;
      if (!Number.isInteger(value) || value < lo || value > hi) typeError(ctx, `number ${value}`, field);
      return;
    }
    case 'number':
      if (typeof value !== 'number') typeError(ctx, jsonKind(value), field);
      return;
    default:
      return;
  }
}

/**
 * Values whose JSON type does not fit their field, in body order. Upstream's
 * decoder fails the request on the first one (whatever fieldValidation says).
 */
export function findTypeErrors(apiVersion: string, kind: string, obj: unknown): FieldTypeError[] {
  const name = definitionNameFor(apiVersion, kind);
  const root = name ? schemaFor(apiVersion, kind) : undefined;
  if (!name || !root || !isPlainObject(obj)) return [];
  const out: FieldTypeError[] = [];
  walkTypes(obj, { ref: name }, { struct: structName(name), path: '', out }, 0);
  return out;
}

function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

/** `strict decoding error: unknown field "a", unknown field "b"` (what PATCH answers with). */
export function strictDecodingError(paths: string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`;
}

/**
 * The message of the 400 BadRequest that create (POST) and update (PUT) answer
 * with when the body cannot be decoded: `<Kind> in version "<v>" cannot be
 * handled as a <Kind>: <detail>`.
 */
export function cannotBeHandledMessage(apiVersion: string, kind: string, detail: string): string {
  return `${kind} in version ${JSON.stringify(versionOf(apiVersion))} cannot be handled as a ${kind}: ${detail}`;
}

/** Warning texts (one `Warning: 299` header each) for fieldValidation=Warn. */
export function unknownFieldWarnings(paths: string[]): string[] {
  return paths.map((p) => `unknown field ${JSON.stringify(p)}`);
}

export interface FieldValidationResult {
  /** Set when the request must fail with 400 BadRequest; the Status message. */
  error?: string;
  /** Warnings to send (Warn), in order. */
  warnings: string[];
}

/**
 * Everything the decoding step of a write decides, given the body object, its
 * kind and the request's fieldValidation directive (absent means Warn, as
 * upstream ≥1.27 does). `op` picks the wording: create/update wrap the detail in
 * `… cannot be handled as a …`, patch answers with the bare decoder error.
 */
export function validateFields(
  apiVersion: string, kind: string, obj: unknown,
  directive: FieldValidation | undefined, op: 'create' | 'update' | 'patch' = 'create',
): FieldValidationResult {
  const wrap = (detail: string): string => (op === 'patch' ? detail : cannotBeHandledMessage(apiVersion, kind, detail));
  const typeErrors = findTypeErrors(apiVersion, kind, obj);
  if (typeErrors.length) return { error: wrap(typeErrors[0].message), warnings: [] };
  const mode = directive ?? 'Warn';
  if (mode === 'Ignore') return { warnings: [] };
  const unknown = findUnknownFields(apiVersion, kind, obj);
  if (unknown.length === 0) return { warnings: [] };
  if (mode === 'Warn') return { warnings: unknownFieldWarnings(unknown) };
  return { error: wrap(strictDecodingError(unknown)), warnings: [] };
}

/**
 * Parses the fieldValidation query parameter (undefined when absent). An
 * unsupported value yields upstream's field error; the caller answers 422 with it
 * as `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: …`
 * (UpdateOptions / PatchOptions for PUT / PATCH).
 */
export function parseFieldValidation(value: string | null | undefined): { directive?: FieldValidation; error?: FieldError } {
  if (value === null || value === undefined || value === '') return {};
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return { directive: value };
  return { error: fieldErr.notSupported('fieldValidation', value, ['', 'Ignore', 'Strict', 'Warn']) };
}
