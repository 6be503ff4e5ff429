// Writes an object (in its JSON form) as Kubernetes protobuf, the way upstream's
// generated marshallers do: fields in number order, every non-pointer scalar and
// struct always (zero values included), pointers, lists, maps and byte slices
// only when set, map entries sorted by key. The server answers JSON; this is for
// building test fixtures and round trips.

import { ApiError } from '../../base/errors.ts';
import { PROTOBUF_MAGIC } from './decode.ts';
import { fieldsByNumber, message, messageNameFor } from './table.ts';
import type { FieldSpec, MessageSpec, ScalarKind } from './types.ts';
import { WIRE, Writer } from './wire.ts';

type Obj = Record<string, unknown>;

/** magic + runtime.Unknown{typeMeta, raw, contentEncoding, contentType} */
export function encodeProtobufObject(apiVersion: string, kind: string, obj: Obj): Buffer {
  const name = messageNameFor(apiVersion, kind);
  if (!name) throw ApiError.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  const raw = encodeMessage(obj, name);
  const tm = new Writer();
  str(tm, 1, apiVersion);
  str(tm, 2, kind);
  const w = new Writer();
  w.raw(PROTOBUF_MAGIC);
  w.tag(1, WIRE.LEN); w.bytes(tm.finish());
  w.tag(2, WIRE.LEN); w.bytes(raw);
  str(w, 3, '');
  str(w, 4, '');
  return w.finish();
}

/** One message of the named type from its JSON value. */
export function encodeMessage(value: unknown, name: string): Buffer {
  const spec = message(name);
  if (!spec) throw new Error(`no message type ${name}`);
  const w = new Writer();
  if (spec.x) special(w, spec, value);
  else if (spec.s) for (const item of Array.isArray(value) ? value as unknown[] : []) one(w, spec.f[0], item);
  else struct(w, name, spec, (value && typeof value === 'object' ? value : {}) as Obj);
  return w.finish();
}

function struct(w: Writer, name: string, spec: MessageSpec, obj: Obj): void {
  for (const f of fieldsByNumber(name, spec)) {
    if (!f.j && !f.i) continue;
    if (f.i) { w.tag(f.n, WIRE.LEN); w.bytes(encodeMessage(obj, f.t!)); continue; }
    const v = obj[f.j];
    if (f.k === 'map') {
      if (!v || typeof v !== 'object') continue;
      const m = v as Obj;
      for (const key of Object.keys(m).sort(byBytes)) {
        const e = new Writer();
        one(e, { n: 1, k: f.mk! }, f.mk === 'string' ? key : Number(key));
        const val = m[key];
        if (!(f.mv === 'bytes' && val == null)) one(e, { n: 2, k: f.mv!, t: f.t }, val);
        w.tag(f.n, WIRE.LEN);
        w.bytes(e.finish());
      }
      continue;
    }
    if (f.r) {
      if (Array.isArray(v)) for (const item of v as unknown[]) one(w, f, item);
      continue;
    }
    if (v === undefined || v === null) {
      if (f.p || f.k === 'bytes') continue;
      if (f.k !== 'message') { one(w, f, zero(f.k)); continue; }
    }
    one(w, f, v);
  }
}

/** One occurrence of a field (a list element, a map key or value, or a single value). */
function one(w: Writer, f: Pick<FieldSpec, 'n' | 'k' | 't'>, v: unknown): void {
  if (f.k === 'message') { w.tag(f.n, WIRE.LEN); w.bytes(encodeMessage(v, f.t!)); return; }
  const k = f.k as ScalarKind;
  switch (k) {
    case 'string': str(w, f.n, String(v ?? '')); return;
    case 'bytes': w.tag(f.n, WIRE.LEN); w.bytes(Buffer.from(String(v ?? ''), 'base64')); return;
    case 'bool': w.tag(f.n, WIRE.VARINT); w.uint(v ? 1 : 0); return;
    case 'double': { const b = Buffer.alloc(8); b.writeDoubleLE(Number(v ?? 0)); w.tag(f.n, WIRE.FIXED64); w.raw(b); return; }
    case 'float': { const b = Buffer.alloc(4); b.writeFloatLE(Number(v ?? 0)); w.tag(f.n, WIRE.FIXED32); w.raw(b); return; }
    default: w.tag(f.n, WIRE.VARINT); w.int64(Math.trunc(Number(v ?? 0))); return;
  }
}

function str(w: Writer, n: number, s: string): void {
  w.tag(n, WIRE.LEN);
  w.bytes(Buffer.from(s, 'utf8'));
}

function zero(k: string): unknown {
  return k === 'string' || k === 'bytes' ? '' : k === 'bool' ? false : 0;
}

/** Go sorts map keys as byte strings. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function special(w: Writer, spec: MessageSpec, v: unknown): void {
  switch (spec.x) {
    case 'time': case 'microtime': {
      if (v == null || v === '') return; // the zero time is an empty message
      const { seconds, nanos } = parseTime(String(v));
      w.tag(1, WIRE.VARINT); w.int64(seconds);
      w.tag(2, WIRE.VARINT); w.int64(nanos);
      return;
    }
    case 'duration': w.tag(1, WIRE.VARINT); w.int64(parseGoDuration(String(v ?? '0s'))); return;
    case 'quantity': str(w, 1, v == null ? '0' : String(v)); return;
    case 'intorstring': {
      const isStr = typeof v === 'string';
      w.tag(1, WIRE.VARINT); w.uint(isStr ? 1 : 0);
      w.tag(2, WIRE.VARINT); w.int64(isStr ? 0 : Math.trunc(Number(v ?? 0)));
      str(w, 3, isStr ? v : '');
      return;
    }
    case 'fieldsv1': case 'rawextension':
      if (v == null) return;
      w.tag(1, WIRE.LEN); w.bytes(Buffer.from(JSON.stringify(v), 'utf8'));
      return;
  }
}

export function parseTime(s: string): { seconds: number; nanos: number } {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw ApiError.badRequest(`invalid time ${JSON.stringify(s)}`);
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, '0').slice(0, 9)) };
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, '\u00b5s': 1000n, '\u03bcs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** time.ParseDuration: "1h2m3.5s" → nanoseconds. */
export function parseGoDuration(s: string): bigint {
  const m = /^([-+]?)(.*)$/.exec(s.trim())!;
  if (m[2] === '0') return 0n;
  let total = 0n, rest = m[2];
  if (!rest) throw ApiError.badRequest(`invalid duration ${JSON.stringify(s)}`);
  while (rest) {
    const t = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/.exec(rest);
    if (!t || (!t[1] && !t[2])) throw ApiError.badRequest(`invalid duration ${JSON.stringify(s)}`);
    const unit = UNITS[t[3]];
    total += BigInt(t[1] || '0') * unit;
    if (t[2]) total += (BigInt(t[2]) * unit) / 10n ** BigInt(t[2].length);
    rest = rest.slice(t[0].length);
  }
  return m[1] === '-' ? -total : total;
}
