// Encodes a swagger 2.0 document as the protobuf message `openapi.v2.Document` of
// gnostic (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto). client-go
// asks /openapi/v2 for this form only (Accept:
// application/com.github.proto-openapi.spec.v2@v1.0+protobuf) and hands the body
// straight to proto.Unmarshal, with no JSON fallback; kubectl reads its v2 schema
// (client-side validation, `explain --output=plaintext-openapiv2`, older apply)
// from it. Only the parts of the message our documents use are written; vendor
// extensions travel as YAML text, as gnostic stores them.

import { stringify as yamlStringify } from 'yaml';
import type { Json, JsonObject } from './build.ts';

/** A protobuf message under construction: wire-format bytes, appended in field order given. */
class Writer {
  private chunks: Buffer[] = [];
  private len = 0;

  private push(b: Buffer): void { this.chunks.push(b); this.len += b.length; }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) { bytes.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    bytes.push(v);
    this.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void { this.varint(field * 8 + wire); }

  string(field: number, s: string | undefined): this {
    if (s === undefined || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2); this.varint(b.length); this.push(b);
    return this;
  }

  strings(field: number, list: readonly string[] | undefined): this {
    for (const s of list ?? []) {
      const b = Buffer.from(s, 'utf8');
      this.tag(field, 2); this.varint(b.length); this.push(b);
    }
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    if (v) { this.tag(field, 0); this.varint(1); }
    return this;
  }

  /** An embedded message; written even when empty (presence matters for oneofs). */
  message(field: number, m: Writer | undefined): this {
    if (!m) return this;
    const b = m.finish();
    this.tag(field, 2); this.varint(b.length); this.push(b);
    return this;
  }

  messages(field: number, list: Writer[]): this {
    for (const m of list) this.message(field, m);
    return this;
  }

  finish(): Buffer { return Buffer.concat(this.chunks, this.len); }
}

const w = (): Writer => new Writer();

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** openapi.v2.Any: the value as YAML text (field 2). */
function any(v: Json): Writer {
  return w().string(2, yamlStringify(v));
}

/** repeated NamedAny for every `x-` key of `o`. */
function extensions(o: JsonObject): Writer[] {
  return Object.keys(o).filter((k) => k.startsWith('x-')).map((k) => w().string(1, k).message(2, any(o[k])));
}

function schema(s: JsonObject): Writer {
  const m = w();
  m.string(1, s.$ref as string | undefined);
  m.string(2, s.format as string | undefined);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.strings(19, s.required as string[] | undefined);
  for (const e of (s.enum as Json[] | undefined) ?? []) m.message(20, any(e));
  if (isObject(s.additionalProperties)) m.message(21, w().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') m.message(21, w().bool(2, s.additionalProperties));
  if (typeof s.type === 'string') m.message(22, w().strings(1, [s.type]));
  if (isObject(s.items)) m.message(23, w().message(1, schema(s.items)));
  for (const a of (s.allOf as JsonObject[] | undefined) ?? []) m.message(24, schema(a));
  if (isObject(s.properties)) {
    const props = w();
    for (const [k, v] of Object.entries(s.properties)) props.message(1, w().string(1, k).message(2, schema(v as JsonObject)));
    m.message(25, props);
  }
  m.messages(31, extensions(s));
  return m;
}

function parameter(p: JsonObject): Writer {
  if (p.$ref) return w().message(2, w().string(1, p.$ref as string)); // JsonReference
  if (p.in === 'body') {
    const body = w().string(1, p.description as string | undefined).string(2, p.name as string).string(3, 'body')
      .bool(4, p.required === true);
    if (isObject(p.schema)) body.message(5, schema(p.schema));
    return w().message(1, w().message(1, body));
  }
  // NonBodyParameter: query (3) and path (4) sub-schemas differ in field numbers.
  const isPath = p.in === 'path';
  const sub = w().bool(1, p.required === true).string(2, p.in as string).string(4, p.name as string);
  if (isPath) sub.string(5, p.type as string).string(6, p.format as string | undefined).bool(19, p.uniqueItems === true);
  else sub.string(6, p.type as string).string(7, p.format as string | undefined).bool(20, p.uniqueItems === true);
  return w().message(1, w().message(2, w().message(isPath ? 4 : 3, sub)));
}

function operation(op: JsonObject): Writer {
  const m = w();
  m.strings(1, op.tags as string[] | undefined);
  m.string(5, op.operationId as string | undefined);
  m.strings(6, op.produces as string[] | undefined);
  m.strings(7, op.consumes as string[] | undefined);
  for (const p of (op.parameters as JsonObject[] | undefined) ?? []) m.message(8, parameter(p));
  if (isObject(op.responses)) {
    const rs = w();
    for (const [code, r] of Object.entries(op.responses)) {
      const resp = w().string(1, (r as JsonObject).description as string | undefined);
      const sch = (r as JsonObject).schema;
      if (isObject(sch)) resp.message(2, w().message(1, schema(sch)));
      rs.message(1, w().string(1, code).message(2, w().message(1, resp)));
    }
    m.message(9, rs);
  }
  m.strings(10, op.schemes as string[] | undefined);
  m.messages(13, extensions(op));
  return m;
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: JsonObject): Writer {
  const m = w();
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    if (isObject(item[method])) m.message(field, operation(item[method]));
  }
  for (const p of (item.parameters as JsonObject[] | undefined) ?? []) m.message(9, parameter(p));
  m.messages(10, extensions(item));
  return m;
}

/** The protobuf encoding of a swagger 2.0 document built by buildV2(). */
export function encodeV2Document(doc: JsonObject): Buffer {
  const m = w();
  m.string(1, doc.swagger as string);
  if (isObject(doc.info)) m.message(2, w().string(1, doc.info.title as string).string(2, doc.info.version as string));
  m.strings(5, doc.schemes as string[] | undefined);
  m.strings(6, doc.consumes as string[] | undefined);
  m.strings(7, doc.produces as string[] | undefined);
  if (isObject(doc.paths)) {
    const paths = w();
    for (const [p, item] of Object.entries(doc.paths)) paths.message(2, w().string(1, p).message(2, pathItem(item as JsonObject)));
    m.message(8, paths);
  }
  if (isObject(doc.definitions)) {
    const defs = w();
    for (const [name, s] of Object.entries(doc.definitions)) defs.message(1, w().string(1, name).message(2, schema(s as JsonObject)));
    m.message(9, defs);
  }
  for (const req of (doc.security as JsonObject[] | undefined) ?? []) {
    const sr = w();
    for (const [name, scopes] of Object.entries(req)) sr.message(1, w().string(1, name).message(2, w().strings(1, scopes as string[])));
    m.message(12, sr);
  }
  if (isObject(doc.securityDefinitions)) {
    const sd = w();
    for (const [name, d] of Object.entries(doc.securityDefinitions)) {
      const def = d as JsonObject;
      // SecurityDefinitionsItem.api_key_security (2): ApiKeySecurity {type, name, in}
      const item = w().message(2, w().string(1, def.type as string).string(2, def.name as string).string(3, def.in as string));
      sd.message(1, w().string(1, name).message(2, item));
    }
    m.message(13, sd);
  }
  m.messages(16, extensions(doc));
  return m.finish();
}
