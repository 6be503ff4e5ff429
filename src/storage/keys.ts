// Key ordering shared by every driver.
//
// Stores order keys by their UTF-8 bytes (sqlite's BINARY collation, etcd's byte
// keys). JavaScript compares strings by UTF-16 code units, which disagrees with
// byte order only when astral characters (surrogate pairs) meet U+E000..U+FFFF;
// the in-memory driver uses compareKeys so that all drivers page identically.

/** Byte-order (UTF-8) comparison of two keys: negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800..DFFF) encode code points above FFFF, so in byte order
    // they sort after E000..FFFF: lift them above, push E000..FFFF below.
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest key greater than every key starting with `prefix`, or undefined
 * when no such bound exists (empty prefix: everything matches). Keys k with
 * prefix <= k < prefixEnd(prefix) are exactly the keys that start with prefix,
 * which lets drivers turn a prefix into an index range.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: it holds no code points of its own.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/**
 * Where a listing under `prefix` starts: strictly after `continueAfter` when it
 * lies inside or beyond the prefix's range, else at the prefix itself.
 */
export function listStart(prefix: string, continueAfter?: string): { key: string; inclusive: boolean } {
  if (continueAfter !== undefined && compareKeys(continueAfter, prefix) >= 0) {
    return { key: continueAfter, inclusive: false };
  }
  return { key: prefix, inclusive: true };
}
