// A minimal protobuf wire-format reader and writer (proto2 as Kubernetes uses it:
// plain varints, never zigzag; negative int32/int64 are ten-byte varints).

import { ApiError } from '../../base/errors.ts';

export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** One occurrence of a field: the varint as two 32-bit halves, or the raw bytes. */
export type WireValue =
  | { wt: 0; lo: number; hi: number }
  | { wt: 1; bytes: Buffer }
  | { wt: 2; bytes: Buffer }
  | { wt: 5; bytes: Buffer };

function malformed(why: string): ApiError {
  return ApiError.badRequest(`unable to decode protobuf body: ${why}`);
}

export class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) { this.pos = start; }

  done(): boolean { return this.pos >= this.end; }

  varint(): { lo: number; hi: number } {
    let lo = 0, hi = 0, shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >> 4; }
      else hi |= (b & 0x7f) << (shift - 32);
      if (!(b & 0x80)) return { lo: lo >>> 0, hi: hi >>> 0 };
      shift += 7;
    }
    throw malformed('varint longer than ten bytes');
  }

  /** A length or tag: must fit in a safe integer. */
  uint(): number {
    const { lo, hi } = this.varint();
    if (hi > 0x1fffff) throw malformed('length out of range');
    return hi * 0x100000000 + lo;
  }

  take(n: number): Buffer {
    if (n > this.end - this.pos) throw malformed('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Every field of the message, in wire order, grouped by number. */
  fields(): Map<number, WireValue[]> {
    const out = new Map<number, WireValue[]>();
    while (!this.done()) {
      const key = this.uint();
      const num = Math.floor(key / 8), wt = key % 8;
      if (num === 0) throw malformed('field number 0');
      let v: WireValue;
      switch (wt) {
        case 0: v = { wt: 0, ...this.varint() }; break;
        case 1: v = { wt: 1, bytes: this.take(8) }; break;
        case 2: v = { wt: 2, bytes: this.take(this.uint()) }; break;
        case 5: v = { wt: 5, bytes: this.take(4) }; break;
        default: throw malformed(`unsupported wire type ${wt}`);
      }
      const list = out.get(num);
      if (list) list.push(v);
      else out.set(num, [v]);
    }
    return out;
  }
}

export const int32Of = (v: { lo: number }): number => v.lo | 0;
export const uint32Of = (v: { lo: number }): number => v.lo >>> 0;
/** int64 as a JS number (exact up to 2^53, as JSON numbers are read anyway). */
export const int64Of = (v: { lo: number; hi: number }): number => (v.hi | 0) * 0x100000000 + (v.lo >>> 0);
export const uint64Of = (v: { lo: number; hi: number }): number => (v.hi >>> 0) * 0x100000000 + (v.lo >>> 0);
export const int64BigOf = (v: { lo: number; hi: number }): bigint => BigInt.asIntN(64, (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0));

export class Writer {
  private chunks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(256);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.n));
    this.cur = Buffer.allocUnsafe(Math.max(256, k));
    this.n = 0;
  }

  byte(b: number): void { this.room(1); this.cur[this.n++] = b; }

  /** An unsigned varint from a non-negative safe integer. */
  uint(v: number): void {
    this.room(10);
    while (v >= 0x80) { this.cur[this.n++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
    this.cur[this.n++] = v;
  }

  /** A signed 64-bit value as a two's-complement varint (ten bytes when negative). */
  int64(v: number | bigint): void {
    let u = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (u >= 0x80n) { this.cur[this.n++] = Number(u & 0x7fn) | 0x80; u >>= 7n; }
    this.cur[this.n++] = Number(u);
  }

  tag(num: number, wt: number): void { this.uint(num * 8 + wt); }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
  }

  finish(): Buffer {
    return Buffer.concat([...this.chunks, this.cur.subarray(0, this.n)]);
  }
}
