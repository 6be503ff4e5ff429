// Derives src/api/protobuf/generated/messages.json, the table the protobuf body
// decoder (src/api/protobuf/decode.ts) reads, from the Go struct declarations of
// the upstream API types (k8s.io/api/*, k8s.io/apimachinery meta/v1, runtime,
// resource, intstr). Each field's struct tags carry everything needed:
//
//   Replicas *int32 `json:"replicas,omitempty" protobuf:"varint,1,opt,name=replicas"`
//
// gives the protobuf number and wire type, the JSON name, omitempty, and (from the
// Go type) pointer / slice / map-ness and the message type. Fields without a
// protobuf tag (TypeMeta) are not on the wire and are left out.
//
// Two ways to feed it Go declarations:
//
//   node --import tsx scripts/gen-protobuf.ts --go-dir DIR
//       DIR holds .go files laid out by import path, e.g.
//       DIR/k8s.io/api/apps/v1/types.go, DIR/k8s.io/apimachinery/pkg/apis/meta/v1/types.go
//       (a checkout of the staging repositories works as is).
//
//   node --import tsx scripts/gen-protobuf.ts [--kubectl PATH] [--keep DIR]
//       (the default) reads the same declarations out of a kubectl binary: a Go
//       program keeps, for reflection, every struct type's fields with their Go
//       types and tags. They are written as .go files into a temporary directory
//       (or DIR with --keep) and read back through the --go-dir path. Only
//       64-bit little-endian ELF binaries built by Go 1.18–1.25 are understood.
//
// Upstream sources are never copied into the project; only the table is committed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldKind, FieldSpec, MessageSpec, MessageTable, ScalarKind, ValueKind } from '../src/api/protobuf/types.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'src', 'api', 'protobuf', 'generated', 'messages.json');

/** Packages whose structs go into the table. */
const PACKAGES = [
  /^k8s\.io\/api\/[a-z0-9]+\/v[0-9]+$/, // every group, stable versions (v1, v2)
  /^k8s\.io\/apimachinery\/pkg\/apis\/meta\/v1$/,
  /^k8s\.io\/apimachinery\/pkg\/runtime$/,
  /^k8s\.io\/apimachinery\/pkg\/api\/resource$/,
  /^k8s\.io\/apimachinery\/pkg\/util\/intstr$/,
  /^k8s\.io\/apimachinery\/pkg\/types$/,
];
const wanted = (pkg: string): boolean => PACKAGES.some((re) => re.test(pkg));

// ---- Go declarations out of a Go binary -----------------------------------------

interface Section { name: string; addr: number; off: number; size: number }

/** Writes DIR/<import path>/types.go for each wanted package found in the binary. */
function extractFromBinary(path: string, outDir: string): string {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF file`);
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a), shnum = buf.readUInt16LE(0x3c), shstrndx = buf.readUInt16LE(0x3e);
  const strOff = Number(buf.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
  const secs: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const b = shoff + i * shentsize;
    const ni = strOff + buf.readUInt32LE(b);
    secs.push({ name: buf.toString('latin1', ni, buf.indexOf(0, ni)), addr: Number(buf.readBigUInt64LE(b + 0x10)), off: Number(buf.readBigUInt64LE(b + 0x18)), size: Number(buf.readBigUInt64LE(b + 0x20)) });
  }
  const sec = (n: string): Section => {
    const s = secs.find((x) => x.name === n);
    if (!s) throw new Error(`${path}: no ${n} section (not a Go binary?)`);
    return s;
  };
  const rodata = sec('.rodata'), typelink = sec('.typelink');
  const version = /go1\.(\d+)/.exec(buf.toString('latin1', sec('.go.buildinfo').off, sec('.go.buildinfo').off + 0x1000));
  const minor = version ? Number(version[1]) : 23;
  if (minor < 18 || minor > 25) throw new Error(`${path}: built by go1.${minor}; only go1.18–1.25 type layouts are known`);
  // The linker puts runtime.types at the start of .rodata; typelinks and name
  // offsets are relative to it.
  const typesBase = rodata.addr;
  const fo = (a: number): number => {
    for (const s of secs) if (s.addr && s.name !== '.bss' && s.name !== '.noptrbss' && a >= s.addr && a < s.addr + s.size) return a - s.addr + s.off;
    throw new Error(`address 0x${a.toString(16)} is in no section`);
  };
  const u64 = (a: number): number => Number(buf.readBigUInt64LE(fo(a)));
  const varint = (p: number): [number, number] => {
    let v = 0, shift = 0, c: number;
    do { c = buf[p++]; v += (c & 0x7f) * 2 ** shift; shift += 7; } while (c & 0x80);
    return [v, p];
  };
  const nameAt = (a: number): { name: string; tag: string; embedded: boolean } => {
    let p = fo(a);
    const flags = buf[p++];
    let len: number;
    [len, p] = varint(p);
    const name = buf.toString('utf8', p, p + len);
    p += len;
    let tag = '';
    if (flags & 2) { [len, p] = varint(p); tag = buf.toString('utf8', p, p + len); }
    return { name, tag, embedded: (flags & 8) !== 0 };
  };

  // abi.Type (48 bytes): size, ptrdata, hash u32, tflag u8, align, fieldAlign, kind u8,
  // equal, gcdata, str nameOff i32, ptrToThis typeOff i32; then the kind's own part,
  // then (tflag&1) the uncommon part {pkgPath nameOff, mcount, xcount, moff, _}.
  const K = { Array: 17, Chan: 18, Func: 19, Interface: 20, Map: 21, Pointer: 22, Slice: 23, String: 24, Struct: 25 };
  const BASIC: Record<number, string> = { 1: 'bool', 2: 'int', 3: 'int8', 4: 'int16', 5: 'int32', 6: 'int64', 7: 'uint', 8: 'uint8', 9: 'uint16', 10: 'uint32', 11: 'uint64', 12: 'uintptr', 13: 'float32', 14: 'float64', 15: 'complex64', 16: 'complex128', 24: 'string', 26: 'unsafe.Pointer' };
  // Map types grew with go1.24's swiss tables (key and elem stay first).
  const kindPart: Record<number, number> = { [K.Array]: 24, [K.Chan]: 16, [K.Func]: 8, [K.Interface]: 32, [K.Map]: minor >= 24 ? 64 : 40, [K.Pointer]: 8, [K.Slice]: 8, [K.Struct]: 32 };
  interface TypeInfo { addr: number; kind: number; named: boolean; name: string; pkg: string }
  const cache = new Map<number, TypeInfo>();
  const info = (a: number): TypeInfo => {
    let t = cache.get(a);
    if (t) return t;
    const p = fo(a);
    const tflag = buf[p + 20], kind = buf[p + 23] & 31;
    let str = nameAt(typesBase + buf.readInt32LE(p + 40)).name;
    if (tflag & 2) str = str.slice(1);
    let pkg = '';
    if (tflag & 1) {
      const pkgOff = buf.readInt32LE(p + 48 + (kindPart[kind] ?? 0));
      if (pkgOff) pkg = nameAt(typesBase + pkgOff).name;
    }
    const named = (tflag & 4) !== 0;
    t = { addr: a, kind, named, name: named ? str.slice(str.lastIndexOf('.') + 1) : str, pkg };
    cache.set(a, t);
    return t;
  };

  // Walk everything reachable from the typelinks.
  const seen = new Set<number>();
  const declared = new Map<string, TypeInfo[]>(); // pkg → named types
  const stack: number[] = [];
  for (let o = 0; o < typelink.size; o += 4) stack.push(typesBase + buf.readInt32LE(typelink.off + o));
  const children = (t: TypeInfo): number[] => {
    const b = t.addr + 48;
    switch (t.kind) {
      case K.Pointer: case K.Slice: case K.Array: case K.Chan: return [u64(b)];
      case K.Map: return [u64(b), u64(b + 8)];
      case K.Struct: {
        const fields = u64(b + 8), n = u64(b + 16), out: number[] = [];
        for (let i = 0; i < n; i++) out.push(u64(fields + i * 24 + 8));
        return out;
      }
      default: return [];
    }
  };
  while (stack.length) {
    const a = stack.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    const t = info(a);
    if (t.named && t.pkg && wanted(t.pkg)) {
      const list = declared.get(t.pkg) ?? [];
      list.push(t);
      declared.set(t.pkg, list);
    }
    stack.push(...children(t));
  }

  const alias = (pkg: string): string => pkg.replace(/[^A-Za-z0-9]+/g, '_');
  const expr = (a: number, pkg: string, imports: Set<string>): string => {
    const t = info(a);
    if (t.named) {
      if (!t.pkg || t.pkg === pkg) return t.name;
      imports.add(t.pkg);
      return `${alias(t.pkg)}.${t.name}`;
    }
    const b = a + 48;
    switch (t.kind) {
      case K.Pointer: return `*${expr(u64(b), pkg, imports)}`;
      case K.Slice: return `[]${expr(u64(b), pkg, imports)}`;
      case K.Array: return `[${u64(b + 16)}]${expr(u64(b), pkg, imports)}`;
      case K.Map: return `map[${expr(u64(b), pkg, imports)}]${expr(u64(b + 8), pkg, imports)}`;
      case K.Struct: return u64(b + 16) === 0 ? 'struct{}' : 'struct{ /* anonymous */ }';
      case K.Interface: return 'interface{}';
      case K.Func: return 'func()';
      case K.Chan: return 'chan struct{}';
      default: return BASIC[t.kind] ?? 'unknown';
    }
  };

  let count = 0;
  for (const [pkg, types] of declared) {
    const imports = new Set<string>();
    const body: string[] = [];
    for (const t of types.sort((x, y) => x.name.localeCompare(y.name))) {
      if (t.kind !== K.Struct) {
        // a named type's own kind part describes its underlying type
        body.push(`type ${t.name} ${t.kind in kindPart ? underlying(t) : BASIC[t.kind] ?? 'unknown'}`);
        continue;
      }
      const b = t.addr + 48;
      const fields = u64(b + 8), n = u64(b + 16);
      body.push(`type ${t.name} struct {`);
      for (let i = 0; i < n; i++) {
        const f = nameAt(u64(fields + i * 24));
        const ty = expr(u64(fields + i * 24 + 8), pkg, imports);
        const tag = f.tag ? ` \`${f.tag}\`` : '';
        body.push(f.embedded ? `\t${ty}${tag}` : `\t${f.name} ${ty}${tag}`);
      }
      body.push('}');
      count++;
    }
    function underlying(t: TypeInfo): string {
      const b = t.addr + 48;
      switch (t.kind) {
        case K.Pointer: return `*${expr(u64(b), pkg, imports)}`;
        case K.Slice: return `[]${expr(u64(b), pkg, imports)}`;
        case K.Array: return `[${u64(b + 16)}]${expr(u64(b), pkg, imports)}`;
        case K.Map: return `map[${expr(u64(b), pkg, imports)}]${expr(u64(b + 8), pkg, imports)}`;
        case K.Interface: return 'interface{}';
        case K.Func: return 'func()';
        default: return 'struct{}';
      }
    }
    const name = pkg.slice(pkg.lastIndexOf('/') + 1);
    const head = [`// Declarations read from ${path}; not upstream source.`, `package ${name}`, ''];
    if (imports.size) head.push('import (', ...[...imports].sort().map((p) => `\t${alias(p)} "${p}"`), ')', '');
    const dir = join(outDir, pkg);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'types.go'), [...head, ...body, ''].join('\n'));
  }
  let ver = '';
  try {
    const v = JSON.parse(execFileSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion?: { gitVersion?: string } };
    ver = v.clientVersion?.gitVersion ?? '';
  } catch { /* not runnable here */ }
  process.stderr.write(`read ${count} structs in ${declared.size} packages from ${path}\n`);
  return `struct tags in kubectl ${ver || path}`;
}

// ---- Go declarations: parsing .go files ------------------------------------------

type GoType =
  | { t: 'named'; pkg: string; name: string }
  | { t: 'ptr' | 'slice'; elem: GoType }
  | { t: 'map'; key: GoType; elem: GoType }
  | { t: 'other'; text: string };

interface GoField { name: string; type: GoType; tag: string; embedded: boolean }
interface GoDecl { pkg: string; name: string; fields?: GoField[]; under?: GoType }

const BUILTIN = new Set(['bool', 'string', 'int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64', 'uintptr', 'float32', 'float64', 'byte', 'rune']);

function parseType(s: string, pkg: string, imports: Map<string, string>): GoType {
  s = s.trim();
  if (s.startsWith('*')) return { t: 'ptr', elem: parseType(s.slice(1), pkg, imports) };
  if (s.startsWith('[]')) return { t: 'slice', elem: parseType(s.slice(2), pkg, imports) };
  if (s.startsWith('map[')) {
    let depth = 0, i = 3;
    for (; i < s.length; i++) {
      if (s[i] === '[') depth++;
      else if (s[i] === ']' && --depth === 0) break;
    }
    return { t: 'map', key: parseType(s.slice(4, i), pkg, imports), elem: parseType(s.slice(i + 1), pkg, imports) };
  }
  const m = /^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(s);
  if (!m) return { t: 'other', text: s };
  if (!m[1]) return BUILTIN.has(m[2]) ? { t: 'named', pkg: '', name: m[2] === 'byte' ? 'uint8' : m[2] } : { t: 'named', pkg, name: m[2] };
  const path = imports.get(m[1]);
  return path ? { t: 'named', pkg: path, name: m[2] } : { t: 'other', text: s };
}

function parseGoFile(text: string, pkg: string): GoDecl[] {
  const imports = new Map<string, string>();
  const addImport = (line: string): void => {
    const m = /^\s*(?:([A-Za-z_][A-Za-z0-9_]*|\.)\s+)?"([^"]+)"/.exec(line);
    if (m) imports.set(m[1] ?? m[2].slice(m[2].lastIndexOf('/') + 1), m[2]);
  };
  const lines = text.split('\n').map((l) => l.replace(/\s*\/\/.*$/, ''));
  const decls: GoDecl[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^import \($/.test(line)) {
      for (i++; i < lines.length && lines[i].trim() !== ')'; i++) addImport(lines[i]);
      continue;
    }
    if (line.startsWith('import ')) { addImport(line.slice(7)); continue; }
    const st = /^type ([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])? struct \{\s*(\})?$/.exec(line);
    if (st) {
      const fields: GoField[] = [];
      if (!st[2]) {
        let depth = 1;
        for (i++; i < lines.length; i++) {
          const l = lines[i].trim();
          if (depth === 1 && l === '}') break;
          if (l.endsWith('{')) { depth++; continue; }
          if (l.startsWith('}')) { depth--; continue; }
          if (depth !== 1 || !l) continue;
          const fm = /^(?:([A-Za-z_][A-Za-z0-9_]*)\s+)?([^\s`]+(?:\[[^\]]*\][^\s`]*)?)\s*(?:`([^`]*)`)?$/.exec(l);
          if (!fm) continue;
          const embedded = !fm[1];
          const type = parseType(fm[2], pkg, imports);
          const name = fm[1] ?? fm[2].replace(/^\*/, '').replace(/^.*\./, '');
          fields.push({ name, type, tag: fm[3] ?? '', embedded });
        }
      }
      decls.push({ pkg, name: st[1], fields });
      continue;
    }
    const td = /^type ([A-Za-z_][A-Za-z0-9_]*) (?:= )?(\S.*)$/.exec(line);
    if (td && !td[2].startsWith('interface') && !td[2].startsWith('func') && !td[2].startsWith('struct')) decls.push({ pkg, name: td[1], under: parseType(td[2], pkg, imports) });
  }
  return decls;
}

function readGoDir(dir: string): Map<string, GoDecl> {
  const out = new Map<string, GoDecl>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!e.endsWith('.go') || e.endsWith('_test.go') || e.startsWith('zz_generated') || e === 'generated.pb.go') continue;
      const rel = relative(dir, d).split('\\').join('/');
      const at = rel.indexOf('k8s.io/');
      const pkg = at >= 0 ? rel.slice(at) : rel;
      if (!wanted(pkg)) continue;
      for (const decl of parseGoFile(readFileSync(p, 'utf8'), pkg)) out.set(`${pkg}.${decl.name}`, decl);
    }
  };
  walk(dir);
  return out;
}

// ---- the table --------------------------------------------------------------------

/** "k8s.io/api/apps/v1" + "Deployment" → "io.k8s.api.apps.v1.Deployment" (the OpenAPI name) */
function defName(pkg: string, name: string): string {
  const [host, ...rest] = pkg.split('/');
  return [...host.split('.').reverse(), ...rest, name].join('.');
}

const SCALARS: Record<string, ScalarKind> = {
  string: 'string', bool: 'bool', int32: 'int32', int64: 'int64', int: 'int64', int16: 'int32', int8: 'int32',
  uint32: 'uint32', uint64: 'uint64', uint: 'uint64', uint16: 'uint32', float64: 'double', float32: 'float',
};

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/**
 * Types with their own protobuf (un)marshalling and their own JSON form; their
 * wire layout is written by hand upstream, not derived from struct tags.
 */
const SPECIAL: Record<string, MessageSpec> = {
  // google.protobuf.Timestamp-like {seconds, nanos}; an empty message is the zero time
  [`${META}.Time`]: { f: [{ n: 1, j: 'seconds', k: 'int64' }, { n: 2, j: 'nanos', k: 'int32' }], x: 'time' },
  [`${META}.MicroTime`]: { f: [{ n: 1, j: 'seconds', k: 'int64' }, { n: 2, j: 'nanos', k: 'int32' }], x: 'microtime' },
  [`${META}.Duration`]: { f: [{ n: 1, j: 'duration', k: 'int64' }], x: 'duration' },
  [`${META}.FieldsV1`]: { f: [{ n: 1, j: 'Raw', k: 'bytes' }], x: 'fieldsv1' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { f: [{ n: 1, j: 'string', k: 'string' }], x: 'quantity' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { f: [{ n: 1, j: 'type', k: 'int64' }, { n: 2, j: 'intVal', k: 'int32' }, { n: 3, j: 'strVal', k: 'string' }], x: 'intorstring' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { f: [{ n: 1, j: 'raw', k: 'bytes' }], x: 'rawextension' },
};

function buildTable(decls: Map<string, GoDecl>, source: string): MessageTable {
  const messages: Record<string, MessageSpec> = {};
  const need: { pkg: string; name: string }[] = [];
  const lookup = (t: GoType): GoDecl | undefined => (t.t === 'named' && t.pkg ? decls.get(`${t.pkg}.${t.name}`) : undefined);
  /** Follows named non-struct types to what they stand for. */
  const underlying = (t: GoType): GoType => {
    for (let i = 0; i < 16; i++) {
      const d = lookup(t);
      if (!d || !d.under) return t;
      t = d.under;
    }
    return t;
  };
  const isStruct = (t: GoType): boolean => !!lookup(t)?.fields;
  const isBytes = (t: GoType): boolean => {
    const u = underlying(t);
    return u.t === 'slice' && underlying(u.elem).t === 'named' && (underlying(u.elem) as { name: string }).name === 'uint8';
  };
  /** The kind of a single value (not repeated): scalar, bytes, or a message. */
  const valueKind = (t: GoType, card: string, where: string): { k: ValueKind; t?: string } => {
    if (isStruct(t) || (t.t === 'named' && SPECIAL[defName(t.pkg, t.name)])) {
      const n = t as { pkg: string; name: string };
      need.push(n);
      return { k: 'message', t: defName(n.pkg, n.name) };
    }
    if (isBytes(t)) return { k: 'bytes' };
    const u = underlying(t);
    if (u.t === 'slice' && card === 'opt' && t.t === 'named') {
      // a named slice carried as a message with `repeated items = 1`
      const n = t;
      need.push(n);
      return { k: 'message', t: defName(n.pkg, n.name) };
    }
    if (u.t === 'named' && !u.pkg && SCALARS[u.name]) return { k: SCALARS[u.name] };
    if (u.t === 'named' && u.pkg === 'time' && u.name === 'Duration') return { k: 'int64' };
    throw new Error(`${where}: no protobuf kind for Go type ${JSON.stringify(t)}`);
  };
  const tagOf = (tag: string, key: string): string | undefined => new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tag)?.[1];

  const build = (pkg: string, name: string): void => {
    const def = defName(pkg, name);
    if (messages[def]) return;
    const special = SPECIAL[def];
    if (special) { messages[def] = special; return; }
    const d = decls.get(`${pkg}.${name}`);
    if (!d) throw new Error(`no declaration of ${pkg}.${name}`);
    if (d.under) {
      const u = underlying(d.under);
      if (u.t !== 'slice') throw new Error(`${def}: not a struct or a slice`);
      const item = valueKind(u.elem, 'rep', def);
      messages[def] = { f: [{ n: 1, j: 'items', k: item.k, r: 1, ...item.t ? { t: item.t } : {} }], s: 1 };
      return;
    }
    const spec: MessageSpec = { f: [] };
    messages[def] = spec;
    for (const f of d.fields ?? []) {
      const pb = tagOf(f.tag, 'protobuf');
      if (!pb) continue;
      const parts = pb.split(',');
      const num = Number(parts[1]), card = parts[2];
      const json = tagOf(f.tag, 'json');
      const jparts = (json ?? f.name).split(',');
      const where = `${def}.${f.name}`;
      const fs: FieldSpec = { n: num, j: jparts[0] === '-' ? '' : jparts[0] || '', k: 'string' };
      if (jparts.slice(1).includes('omitempty')) fs.o = 1;
      // an embedded struct with no JSON name of its own has its fields promoted
      if (jparts.slice(1).includes('inline') || (f.embedded && (json === undefined || !jparts[0]))) { fs.i = 1; fs.j = ''; }
      let t = f.type;
      if (t.t === 'ptr') { fs.p = 1; t = t.elem; }
      const u = underlying(t);
      let kind: FieldKind;
      if (u.t === 'map') {
        kind = 'map';
        const key = valueKind(u.key, 'opt', where);
        if (key.k === 'message' || key.k === 'bytes') throw new Error(`${where}: unsupported map key`);
        fs.mk = key.k;
        const val = valueKind(u.elem, (tagOf(f.tag, 'protobuf_val') ?? ',,opt').split(',')[2], where);
        fs.mv = val.k;
        if (val.t) fs.t = val.t;
      } else if (u.t === 'slice' && !isBytes(u) && !(t.t === 'named' && card === 'opt')) {
        // (a few unnamed slices are tagged "opt" upstream, e.g. PersistentVolumeSpec.mountOptions;
        // they are repeated fields all the same)
        const v = valueKind(u.elem, 'rep', where);
        kind = v.k;
        fs.r = 1;
        if (v.t) fs.t = v.t;
      } else {
        const v = valueKind(t, card, where);
        kind = v.k;
        if (v.t) fs.t = v.t;
      }
      fs.k = kind;
      spec.f.push(fs);
    }
  };

  for (const d of decls.values()) if (d.fields && d.fields.some((f) => f.tag.includes('protobuf:"'))) need.push({ pkg: d.pkg, name: d.name });
  while (need.length) {
    const n = need.pop()!;
    build(n.pkg, n.name);
  }
  for (const [k, v] of Object.entries(SPECIAL)) messages[k] = v;
  const sorted: Record<string, MessageSpec> = {};
  for (const k of Object.keys(messages).sort()) sorted[k] = messages[k];
  return { source, messages: sorted };
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (k: string): string | undefined => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let goDir = opt('--go-dir');
  let source = goDir ? `Go declarations in ${goDir}` : '';
  let tmp: string | undefined;
  if (!goDir) {
    const kubectl = realpathSync(opt('--kubectl') ?? execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
    goDir = opt('--keep') ?? (tmp = mkdtempSync(join(tmpdir(), 'pilot-gen-protobuf-')));
    source = extractFromBinary(kubectl, goDir);
  }
  try {
    const table = buildTable(readGoDir(resolve(goDir)), source);
    mkdirSync(dirname(outFile), { recursive: true });
    // one message per line: compact, and diffs stay readable
    const body = Object.entries(table.messages).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',\n');
    writeFileSync(outFile, `{"source":${JSON.stringify(table.source)},"messages":{\n${body}\n}}\n`);
    process.stderr.write(`wrote ${Object.keys(table.messages).length} messages to ${relative(root, outFile)}\n`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main();
