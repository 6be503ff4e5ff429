// DNS messages in RFC 1035 wire format: decoding (with compression pointers,
// bounds checks and loop protection — a malformed packet must raise
// DnsFormatError, never crash the server) and encoding (with name
// compression, and truncation to a size limit at record boundaries so a UDP
// answer that does not fit carries TC and the client retries over TCP).
//
// EDNS0 (RFC 6891): the OPT pseudo-record is lifted out of the additional
// section into `edns` on decode and put back last on encode, so the rest of
// the code never sees it as a record.

export const TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  /** EDNS extended rcode (upper 8 bits live in the OPT record). */
  BADVERS: 16,
} as const;

export const OPCODE_QUERY = 0;

/** Largest message over UDP without EDNS (RFC 1035 §4.2.1). */
export const UDP_MIN_SIZE = 512;

export class DnsFormatError extends Error {}

export interface Question {
  /** Owner name without the trailing dot, as sent (case preserved); "" is the root. */
  name: string;
  type: number;
  class: number;
}

export type RData =
  | { address: string } // A, AAAA
  | { target: string } // CNAME, PTR, NS
  | { priority: number; weight: number; port: number; target: string } // SRV
  | { preference: number; exchange: string } // MX
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } // SOA
  | { texts: Buffer[] } // TXT
  | { raw: Buffer }; // any other type, passed through untouched

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface EdnsOption { code: number; data: Buffer }

export interface Edns {
  /** Requestor's UDP payload size. */
  udpSize: number;
  /** Upper 8 bits of the 12-bit rcode. */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK. */
  do: boolean;
  options: EdnsOption[];
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full rcode: values above 15 need EDNS (their upper bits go to the OPT record). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export function emptyMessage(id = 0): Message {
  return {
    id, qr: false, opcode: OPCODE_QUERY, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0,
    questions: [], answers: [], authorities: [], additionals: [],
  };
}

// ---- names -----------------------------------------------------------------

/** Text form of one label: '.', '\\' escaped, bytes outside printable ASCII as \DDD (RFC 4343). */
function labelText(buf: Buffer, start: number, len: number): string {
  let plain = true;
  for (let i = start; i < start + len; i++) {
    const c = buf[i];
    if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) { plain = false; break; }
  }
  if (plain) return buf.toString('latin1', start, start + len);
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = buf[i];
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c <= 0x20 || c >= 0x7f) s += `\\${String(c).padStart(3, '0')}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

/** Names made only of printable ASCII without backslashes: their text is their canonical (escaped) form. */
const PLAIN_NAME = /^[\x21-\x5b\x5d-\x7e]*$/;

/** Splits a text name into wire labels (each a Buffer), honouring \. and \DDD escapes. */
export function nameLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new DnsFormatError(`bad escape in name ${name}`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        throw new DnsFormatError(`dangling escape in name ${name}`);
      }
    } else if (ch === 0x2e) {
      if (cur.length === 0) throw new DnsFormatError(`empty label in name ${name}`);
      labels.push(Buffer.from(cur));
      cur = [];
    } else {
      if (ch > 0xff) throw new DnsFormatError(`non-ASCII character in name ${name}`);
      cur.push(ch);
    }
  }
  if (cur.length === 0) throw new DnsFormatError(`empty label in name ${name}`);
  labels.push(Buffer.from(cur));
  let wire = 1;
  for (const l of labels) {
    if (l.length > 63) throw new DnsFormatError(`label longer than 63 octets in ${name}`);
    wire += l.length + 1;
  }
  if (wire > 255) throw new DnsFormatError(`name longer than 255 octets: ${name}`);
  return labels;
}

// ---- decoding --------------------------------------------------------------

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DnsFormatError('message truncated');
  }
  u8(): number { this.need(1); return this.buf[this.pos++]; }
  u16(): number { this.need(2); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  bytes(n: number): Buffer { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return Buffer.from(b); }

  /** A possibly compressed name. Pointers must point backwards, which also rules out loops. */
  name(): string {
    const parts: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let wire = 1;
    let limit = this.pos; // a pointer must go strictly before the lowest position seen
    for (;;) {
      if (pos >= this.buf.length) throw new DnsFormatError('name runs past the message');
      const len = this.buf[pos];
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsFormatError('truncated compression pointer');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1];
        if (target >= limit) throw new DnsFormatError('compression pointer does not point backwards');
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        limit = target;
        pos = target;
        continue;
      }
      if (kind !== 0) throw new DnsFormatError('unsupported label type');
      if (pos + 1 + len > this.buf.length) throw new DnsFormatError('label runs past the message');
      wire += len + 1;
      if (wire > 255) throw new DnsFormatError('name longer than 255 octets');
      parts.push(labelText(this.buf, pos + 1, len));
      pos += 1 + len;
    }
    return parts.join('.');
  }
}

function readQuestion(r: Reader): Question {
  return { name: r.name(), type: r.u16(), class: r.u16() };
}

function readRData(r: Reader, type: number, len: number): RData {
  const end = r.pos + len;
  r.need(len);
  let data: RData;
  switch (type) {
    case TYPE.A:
      if (len !== 4) throw new DnsFormatError('A record of the wrong length');
      data = { address: Array.from(r.bytes(4)).join('.') };
      break;
    case TYPE.AAAA:
      if (len !== 16) throw new DnsFormatError('AAAA record of the wrong length');
      data = { address: ipv6Text(r.bytes(16)) };
      break;
    case TYPE.CNAME: case TYPE.PTR: case TYPE.NS:
      data = { target: r.name() };
      break;
    case TYPE.SRV:
      data = { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case TYPE.MX:
      data = { preference: r.u16(), exchange: r.name() };
      break;
    case TYPE.SOA:
      data = { mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    case TYPE.TXT: {
      const texts: Buffer[] = [];
      while (r.pos < end) texts.push(r.bytes(r.u8()));
      data = { texts };
      break;
    }
    default:
      data = { raw: r.bytes(len) };
  }
  if (r.pos !== end) throw new DnsFormatError(`record data of type ${type} does not match its length`);
  return data;
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  return { name, type, class: cls, ttl, data: readRData(r, type, len) };
}

/** Decodes a whole message; throws DnsFormatError on anything malformed. */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new DnsFormatError('message shorter than its header');
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()];
  const m: Message = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions: [], answers: [], authorities: [], additionals: [],
  };
  for (let i = 0; i < counts[0]; i++) m.questions.push(readQuestion(r));
  for (let i = 0; i < counts[1]; i++) m.answers.push(readRecord(r));
  for (let i = 0; i < counts[2]; i++) m.authorities.push(readRecord(r));
  for (let i = 0; i < counts[3]; i++) {
    const rr = readRecord(r);
    if (rr.type !== TYPE.OPT) { m.additionals.push(rr); continue; }
    if (m.edns || rr.name !== '') throw new DnsFormatError('more than one OPT record, or one not at the root');
    m.edns = optToEdns(rr);
    m.rcode |= m.edns.extendedRcode << 4;
  }
  if (r.pos !== buf.length) throw new DnsFormatError('trailing bytes after the message');
  return m;
}

function optToEdns(rr: ResourceRecord): Edns {
  const raw = (rr.data as { raw: Buffer }).raw;
  const options: EdnsOption[] = [];
  const r = new Reader(raw);
  while (r.pos < raw.length) {
    const code = r.u16();
    const len = r.u16();
    options.push({ code, data: r.bytes(len) });
  }
  return {
    udpSize: rr.class, extendedRcode: (rr.ttl >>> 24) & 0xff, version: (rr.ttl >>> 16) & 0xff, do: (rr.ttl & 0x8000) !== 0, options,
  };
}

/** Reads just the id (and opcode) of a packet too broken to decode, to answer FORMERR. */
export function peekId(buf: Buffer): number | undefined {
  return buf.length >= 2 ? buf.readUInt16BE(0) : undefined;
}

// ---- addresses ---------------------------------------------------------------

function ipv6Text(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // Longest run of zero groups (length ≥ 2) becomes "::" (RFC 5952).
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseIPv4(s: string): Buffer | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export function parseIPv6(s: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  return buf;
}

/** Canonical text of an IP address (IPv6 compressed per RFC 5952), or undefined if it is none. */
export function canonicalIP(s: string): string | undefined {
  if (parseIPv4(s)) return s.split('.').map(Number).join('.');
  const v6 = parseIPv6(s);
  return v6 ? ipv6Text(v6) : undefined;
}

// ---- encoding ----------------------------------------------------------------

class Writer {
  buf = Buffer.alloc(512);
  pos = 0;
  /** Name suffix → offset of its first occurrence (only offsets < 0x4000 are pointable). */
  private readonly names = new Map<string, number>();

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void { this.grow(1); this.buf[this.pos++] = v & 0xff; }
  u16(v: number): void { this.grow(2); this.buf.writeUInt16BE(v & 0xffff, this.pos); this.pos += 2; }
  u32(v: number): void { this.grow(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; }
  bytes(b: Buffer): void { this.grow(b.length); b.copy(this.buf, this.pos); this.pos += b.length; }

  name(name: string, compress = true): void {
    const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
    if (text === '') { this.u8(0); return; }
    // Compression keys are the canonical text of each suffix (exact case, so every name keeps its spelling).
    if (PLAIN_NAME.test(text)) {
      if (text.length > 253) throw new DnsFormatError(`name longer than 255 octets: ${name}`);
      let start = 0;
      while (start < text.length) {
        const key = start === 0 ? text : text.slice(start);
        const at = compress ? this.names.get(key) : undefined;
        if (at !== undefined) { this.u16(0xc000 | at); return; }
        if (compress && this.pos < 0x4000) this.names.set(key, this.pos);
        let end = text.indexOf('.', start);
        if (end < 0) end = text.length;
        const len = end - start;
        if (len === 0 || len > 63) throw new DnsFormatError(`empty label or label longer than 63 octets in ${name}`);
        this.u8(len);
        this.grow(len);
        this.buf.write(text.slice(start, end), this.pos, 'latin1');
        this.pos += len;
        start = end + 1;
        if (start === text.length) throw new DnsFormatError(`empty label in name ${name}`);
      }
      this.u8(0);
      return;
    }
    const labels = nameLabels(name);
    const texts = labels.map((l) => labelText(l, 0, l.length));
    for (let i = 0; i < labels.length; i++) {
      const key = texts.slice(i).join('.');
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) { this.u16(0xc000 | at); return; }
      if (compress && this.pos < 0x4000) this.names.set(key, this.pos);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }
}

function writeRData(w: Writer, rr: ResourceRecord): void {
  const lenAt = w.pos;
  w.u16(0);
  const start = w.pos;
  const d = rr.data;
  if ('raw' in d) {
    w.bytes(d.raw);
  } else if ('address' in d) {
    const ip = rr.type === TYPE.A ? parseIPv4(d.address) : parseIPv6(d.address);
    if (!ip) throw new DnsFormatError(`bad address ${d.address} for type ${rr.type}`);
    w.bytes(ip);
  } else if ('priority' in d) {
    w.u16(d.priority); w.u16(d.weight); w.u16(d.port);
    w.name(d.target, false); // RFC 2782: SRV targets are not compressed
  } else if ('target' in d) {
    w.name(d.target);
  } else if ('exchange' in d) {
    w.u16(d.preference); w.name(d.exchange);
  } else if ('mname' in d) {
    w.name(d.mname); w.name(d.rname);
    w.u32(d.serial); w.u32(d.refresh); w.u32(d.retry); w.u32(d.expire); w.u32(d.minimum);
  } else {
    for (const t of d.texts) {
      if (t.length > 255) throw new DnsFormatError('TXT string longer than 255 octets');
      w.u8(t.length); w.bytes(t);
    }
  }
  const len = w.pos - start;
  if (len > 0xffff) throw new DnsFormatError('record data longer than 65535 octets');
  w.buf.writeUInt16BE(len, lenAt);
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type); w.u16(rr.class); w.u32(rr.ttl);
  writeRData(w, rr);
}

function optRecordBytes(e: Edns, rcode: number): Buffer {
  const w = new Writer();
  w.u8(0); // root name
  w.u16(TYPE.OPT);
  w.u16(e.udpSize);
  w.u32((((rcode >> 4) & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.do ? 0x8000 : 0));
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  w.u16(len);
  for (const o of e.options) { w.u16(o.code); w.u16(o.data.length); w.bytes(o.data); }
  return w.buf.subarray(0, w.pos);
}

/**
 * Encodes `m`. With `maxSize`, records that do not fit are left out, whole:
 * answers or authorities left out set TC (the client must retry over TCP);
 * additional records are dropped silently (RFC 2181 §9). The OPT record is
 * always kept.
 */
export function encodeMessage(m: Message, maxSize = 65535): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u16(0); // flags, written once TC is known
  w.u16(m.questions.length);
  w.u16(0); w.u16(0); w.u16(0);
  for (const q of m.questions) { w.name(q.name); w.u16(q.type); w.u16(q.class); }
  const opt = m.edns ? optRecordBytes(m.edns, m.rcode) : undefined;
  const budget = maxSize - (opt?.length ?? 0);
  if (w.pos > budget) throw new DnsFormatError('question does not fit the size limit');
  let tc = m.tc;
  const counts = [0, 0, 0];
  const sections = [m.answers, m.authorities, m.additionals];
  outer: for (let s = 0; s < 3; s++) {
    for (const rr of sections[s]) {
      const before = w.pos;
      writeRecord(w, rr);
      if (w.pos > budget) {
        // Compression entries added by the dropped record point past the cut;
        // nothing is written after this point except the OPT record (no names).
        w.pos = before;
        if (s < 2) tc = true;
        break outer;
      }
      counts[s]++;
    }
  }
  if (opt) w.bytes(opt);
  const flags = (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0)
    | (m.ra ? 0x0080 : 0) | (m.ad ? 0x0020 : 0) | (m.cd ? 0x0010 : 0) | (m.rcode & 0xf);
  w.buf.writeUInt16BE(flags, 2);
  w.buf.writeUInt16BE(counts[0], 6);
  w.buf.writeUInt16BE(counts[1], 8);
  w.buf.writeUInt16BE(counts[2] + (opt ? 1 : 0), 10);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** A reply skeleton for `q`: same id, opcode, RD, CD and question. */
export function replyTo(q: Message): Message {
  return {
    ...emptyMessage(q.id), qr: true, opcode: q.opcode, rd: q.rd, cd: q.cd, questions: q.questions.slice(0, 1),
  };
}

export const typeName = (t: number): string => Object.entries(TYPE).find(([, v]) => v === t)?.[0] ?? `TYPE${t}`;
