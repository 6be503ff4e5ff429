// Reads Kubernetes protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf), as the real kubectl's typed clients send
// them: the magic "k8s\0" then a runtime.Unknown {typeMeta{apiVersion, kind}, raw,
// contentEncoding, contentType} whose raw is the object's own message. The object
// comes out as the JSON Go's encoding/json would write for the same Go value, so
// the rest of the apiserver sees what a JSON client would have sent.
//
// Go's rules, applied per field from generated/messages.json: a pointer field is
// present exactly when it was on the wire (replicas: 0 stays); a non-pointer scalar
// with omitempty is dropped at its zero value, one without is kept; a struct is
// never dropped (Time at zero is null); empty lists and maps are left out. Unknown
// field numbers are skipped.

import { ApiError } from '../../base/errors.ts';
import { message, messageNameFor } from './table.ts';
import type { FieldSpec, MessageSpec, ScalarKind, ValueKind } from './types.ts';
import { Reader, int32Of, int64BigOf, int64Of, uint32Of, uint64Of, type WireValue } from './wire.ts';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

type Obj = Record<string, unknown>;

export function isProtobufContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  return ct.split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

export interface DecodedBody { apiVersion: string; kind: string; object: Obj }

/** Decodes a whole protobuf request body. Malformed input is a 400 BadRequest. */
export function decodeProtobufBody(buf: Buffer): DecodedBody {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    throw ApiError.badRequest(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  const u = new Reader(buf, 4).fields();
  const typeMeta = new Reader(lenOf(u.get(1)) ?? Buffer.alloc(0)).fields();
  const apiVersion = strOf(typeMeta.get(1)), kind = strOf(typeMeta.get(2));
  const raw = lenOf(u.get(2)) ?? Buffer.alloc(0);
  const encoding = strOf(u.get(3));
  if (encoding) throw ApiError.badRequest(`unsupported protobuf content encoding "${encoding}"`);
  if (!kind) throw ApiError.badRequest("Object 'Kind' is missing in protobuf body");
  const name = messageNameFor(apiVersion, kind);
  if (!name) throw ApiError.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  const body = decodeMessage(raw, name);
  const object: Obj = { kind, apiVersion, ...(body as Obj) };
  object.kind = kind;
  object.apiVersion = apiVersion;
  return { apiVersion, kind, object };
}

/** Decodes one message of the named type into its JSON value. */
export function decodeMessage(buf: Buffer, name: string): unknown {
  const spec = message(name);
  if (!spec) throw ApiError.badRequest(`unable to decode protobuf body: no message type ${name}`);
  const fields = new Reader(buf).fields();
  if (spec.x) return special(spec, fields);
  if (spec.s) return repeated(spec.f[0], fields.get(1) ?? []);
  return struct(name, spec, fields);
}

function struct(name: string, spec: MessageSpec, fields: Map<number, WireValue[]>): Obj {
  const out: Obj = {};
  for (const f of spec.f) {
    const vals = fields.get(f.n);
    if (!f.j && !f.i) continue; // json:"-"
    if (f.i) {
      Object.assign(out, decodeMessage(concat(vals), f.t!) as Obj);
      continue;
    }
    if (f.k === 'map') {
      const m = map(f, vals ?? []);
      if (m) out[f.j] = m;
      continue;
    }
    if (f.r) {
      const list = repeated(f, vals ?? []);
      if (list.length) out[f.j] = list;
      continue;
    }
    if (f.k === 'message') {
      if (vals) out[f.j] = decodeMessage(concat(vals), f.t!);
      else if (!f.p) out[f.j] = decodeMessage(Buffer.alloc(0), f.t!); // Go's zero struct
      continue;
    }
    if (!vals) {
      if (!f.p && !f.o) out[f.j] = zero(f.k);
      continue;
    }
    const v = scalar(f.k, vals[vals.length - 1], `${name}.${f.j}`);
    if (f.p || !f.o || !isZero(v)) out[f.j] = v;
  }
  return out;
}

function repeated(f: FieldSpec, vals: WireValue[]): unknown[] {
  const out: unknown[] = [];
  if (f.k === 'map') return out;
  const k = f.k;
  for (const v of vals) {
    if (k === 'message') out.push(decodeMessage(lenBytes(v), f.t!));
    else if (v.wt === 2 && k !== 'string' && k !== 'bytes') {
      // packed scalars
      const r = new Reader(v.bytes);
      while (!r.done()) out.push(scalar(k, packedOne(r, k), f.j));
    } else out.push(scalar(k, v, f.j));
  }
  return out;
}

function packedOne(r: Reader, k: ScalarKind): WireValue {
  if (k === 'double') return { wt: 1, bytes: r.take(8) };
  if (k === 'float') return { wt: 5, bytes: r.take(4) };
  return { wt: 0, ...r.varint() };
}

function map(f: FieldSpec, vals: WireValue[]): Obj | undefined {
  if (vals.length === 0) return undefined;
  const out: Obj = {};
  for (const v of vals) {
    const entry = new Reader(lenBytes(v)).fields();
    const k = entry.get(1), val = entry.get(2);
    const key = k ? String(scalar(f.mk!, k[k.length - 1], f.j)) : String(zero(f.mk!));
    out[key] = value(f.mv!, f.t, val, f.j);
  }
  return out;
}

function value(kind: ValueKind, type: string | undefined, vals: WireValue[] | undefined, where: string): unknown {
  if (kind === 'message') return decodeMessage(concat(vals), type!);
  if (!vals) return zero(kind);
  return scalar(kind, vals[vals.length - 1], where);
}

function scalar(kind: ScalarKind, v: WireValue, where: string): unknown {
  switch (kind) {
    case 'string': return lenBytes(v, where).toString('utf8');
    case 'bytes': return lenBytes(v, where).toString('base64');
    case 'bool': { const x = varintOf(v, where); return x.lo !== 0 || x.hi !== 0; }
    case 'int32': return int32Of(varintOf(v, where));
    case 'uint32': return uint32Of(varintOf(v, where));
    case 'int64': return int64Of(varintOf(v, where));
    case 'uint64': return uint64Of(varintOf(v, where));
    case 'double':
      if (v.wt !== 1) throw wrongType(where);
      return v.bytes.readDoubleLE(0);
    case 'float':
      if (v.wt !== 5) throw wrongType(where);
      return v.bytes.readFloatLE(0);
  }
}

function zero(kind: ScalarKind): unknown {
  switch (kind) {
    case 'string': case 'bytes': return '';
    case 'bool': return false;
    default: return 0;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

// ---- types with their own JSON form -------------------------------------------------

function special(spec: MessageSpec, fields: Map<number, WireValue[]>): unknown {
  const last = (n: number): WireValue | undefined => fields.get(n)?.at(-1);
  const int = (n: number): number => { const v = last(n); return v ? int64Of(varintOf(v, spec.x!)) : 0; };
  switch (spec.x) {
    case 'time': case 'microtime': {
      if (fields.size === 0) return null; // the zero time
      return formatTime(int(1), int(2), spec.x === 'microtime');
    }
    case 'duration': {
      const v = last(1);
      return goDuration(v ? int64BigOf(varintOf(v, 'duration')) : 0n);
    }
    case 'quantity': {
      const v = last(1);
      return v ? lenBytes(v, 'quantity').toString('utf8') || '0' : '0';
    }
    case 'intorstring': {
      if (int(1) === 1) { const v = last(3); return v ? lenBytes(v, 'strVal').toString('utf8') : ''; }
      return int32Of({ lo: int(2) });
    }
    case 'fieldsv1': case 'rawextension': {
      const v = last(1);
      if (!v) return null;
      return embeddedJson(lenBytes(v, spec.x));
    }
    default: return null;
  }
}

/** The bytes of a RawExtension or FieldsV1: JSON, or (rarely) an embedded protobuf object. */
function embeddedJson(b: Buffer): unknown {
  if (b.length >= 4 && b.subarray(0, 4).equals(PROTOBUF_MAGIC)) return decodeProtobufBody(b).object;
  if (b.length === 0) return null;
  try {
    return JSON.parse(b.toString('utf8')) as unknown;
  } catch {
    throw ApiError.badRequest('unable to decode protobuf body: embedded object is neither JSON nor protobuf');
  }
}

/** Time as metav1.Time (RFC 3339, seconds, UTC) or MicroTime (six fraction digits) writes it. */
export function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const d = new Date(seconds * 1000);
  const base = d.toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** time.Duration.String(): "1h2m3.5s", "150ms", "0s". */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  const frac = (v: bigint, prec: number): [string, bigint] => {
    let digits = '', print = false;
    for (let i = 0; i < prec; i++) {
      const d = v % 10n;
      print ||= d !== 0n;
      if (print) digits = `${d}${digits}`;
      v /= 10n;
    }
    return [print ? `.${digits}` : '', v];
  };
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, prec] = u < 1000n ? ['ns', 0] : u < 1_000_000n ? ['\u00b5s', 3] : ['ms', 6];
    const [f, v] = frac(u, prec as number);
    out = `${v}${f}${unit}`;
  } else {
    const [f, s] = frac(u, 9);
    let v = s;
    out = `${v % 60n}${f}s`;
    v /= 60n;
    if (v > 0n) {
      out = `${v % 60n}m${out}`;
      v /= 60n;
      if (v > 0n) out = `${v}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

// ---- helpers -----------------------------------------------------------------------

function wrongType(where: string): ApiError {
  return ApiError.badRequest(`unable to decode protobuf body: wrong wire type for ${where}`);
}

function varintOf(v: WireValue, where: string): { lo: number; hi: number } {
  if (v.wt !== 0) throw wrongType(where);
  return v;
}

function lenBytes(v: WireValue, where = 'field'): Buffer {
  if (v.wt !== 2) throw wrongType(where);
  return v.bytes;
}

function lenOf(vals: WireValue[] | undefined): Buffer | undefined {
  return vals ? concat(vals) : undefined;
}

function strOf(vals: WireValue[] | undefined): string {
  const v = vals?.at(-1);
  return v ? lenBytes(v).toString('utf8') : '';
}

/** Repeated occurrences of a message field merge; concatenating them does exactly that. */
function concat(vals: WireValue[] | undefined): Buffer {
  if (!vals || vals.length === 0) return Buffer.alloc(0);
  if (vals.length === 1) return lenBytes(vals[0]);
  return Buffer.concat(vals.map((v) => lenBytes(v)));
}

