// Resource quantities ("500m", "1.5Gi", "2e3"), parsed exactly with bigint and
// printed in upstream's canonical form so values round-trip the way a real
// apiserver shows them (1000m -> "1", 1024Mi -> "1Gi", 0.5 -> "500m").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Exact value is unscaled × 10^scale. */
  unscaled: bigint;
  scale: number;
  format: QuantityFormat;
  /** Approximate value in base units (cores, bytes, …), for arithmetic that can afford a float. */
  value: number;
}

export const QUANTITY_REGEX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_REGEX}'`;
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExp = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Parse with upstream's error text; `error` is set when the input is not a quantity. */
export function parseQuantityStrict(input: unknown): { q?: Quantity; error?: string } {
  let s: string;
  if (typeof input === 'number' && Number.isFinite(input)) s = numberText(input);
  else if (typeof input === 'string') s = input;
  else return { error: QUANTITY_FORMAT_ERROR };
  const m = /^([+-]?)([0-9]*\.?[0-9]*)([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(s);
  if (!m || m[2] === '') return { error: QUANTITY_FORMAT_ERROR };
  const [, sign, num, suffix] = m;
  const dot = num.indexOf('.');
  const intPart = dot < 0 ? num : num.slice(0, dot);
  const fracPart = dot < 0 ? '' : num.slice(dot + 1);
  let unscaled = BigInt(`${intPart || '0'}${fracPart}`);
  let scale = -fracPart.length;
  let format: QuantityFormat;
  if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    scale += decimalSuffixes[suffix];
  } else if (suffix in binarySuffixes) {
    format = 'BinarySI';
    unscaled *= 1024n ** BigInt(binarySuffixes[suffix]);
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const e = Number(suffix.slice(1));
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return { error: QUANTITY_SUFFIX_ERROR };
    scale += e;
  } else {
    return { error: QUANTITY_SUFFIX_ERROR };
  }
  // Upstream rounds anything finer than nano up, so that tiny requests still get something.
  if (scale < -9 && unscaled !== 0n) {
    const d = pow10(-9 - scale);
    unscaled = (unscaled + d - 1n) / d;
    scale = -9;
  }
  if (sign === '-') unscaled = -unscaled;
  return { q: make(unscaled, scale, format) };
}

/** Parse a quantity; undefined when it is not one. */
export function parseQuantity(input: unknown): Quantity | undefined {
  return parseQuantityStrict(input).q;
}

function make(unscaled: bigint, scale: number, format: QuantityFormat): Quantity {
  return { unscaled, scale, format, value: Number(unscaled) * 10 ** scale };
}

function numberText(n: number): string {
  // JSON numbers become quantities too; avoid "1e+21"-style text.
  const t = String(n);
  return t.includes('e') ? t.replace('e+', 'e') : t;
}

function align(a: Quantity, b: Quantity): [bigint, bigint] {
  const s = Math.min(a.scale, b.scale);
  return [a.unscaled * pow10(a.scale - s), b.unscaled * pow10(b.scale - s)];
}

/** -1, 0 or 1 as a is less than, equal to, or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZeroQuantity(q: Quantity): boolean { return q.unscaled === 0n; }
export function quantitySign(q: Quantity): -1 | 0 | 1 { return q.unscaled < 0n ? -1 : q.unscaled > 0n ? 1 : 0; }

/** Value × 1000, rounded up (upstream's MilliValue). */
export function milliValue(q: Quantity): bigint { return scaledValue(q, -3); }

/** Value in whole base units, rounded up (upstream's Value). */
export function wholeValue(q: Quantity): bigint { return scaledValue(q, 0); }

function scaledValue(q: Quantity, scale: number): bigint {
  if (q.scale >= scale) return q.unscaled * pow10(q.scale - scale);
  const d = pow10(scale - q.scale);
  const t = q.unscaled / d;
  // round away from zero, as upstream's RoundUp does
  return q.unscaled % d === 0n ? t : t + (q.unscaled > 0n ? 1n : -1n);
}

/** Round up to milli precision (what defaulting does to resource lists). */
export function roundUpMilli(q: Quantity): Quantity {
  if (q.scale >= -3) return q;
  return make(milliValue(q), -3, q.format);
}

/** Upstream's canonical string form. */
export function formatQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const abs = q.unscaled < 0n ? -q.unscaled : q.unscaled;
    const small = compareQuantities({ ...q, unscaled: abs }, make(1024n, 0, 'DecimalSI')) < 0;
    const integral = q.scale >= 0 || q.unscaled % pow10(-q.scale) === 0n;
    if (small || !integral) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.scale >= 0 ? q.unscaled * pow10(q.scale) : q.unscaled / pow10(-q.scale);
    let e = 0;
    while (e < 6 && n % 1024n === 0n) { n /= 1024n; e++; }
    return `${n}${binaryByExp.get(e) ?? ''}`;
  }
  // decimal: strip factors of ten, then bring the exponent down to a multiple of 3
  let n = q.unscaled;
  let e = q.scale;
  while (n % 10n === 0n) { n /= 10n; e++; }
  const r = ((e % 3) + 3) % 3;
  if (r !== 0) { n *= pow10(r); e -= r; }
  if (format === 'DecimalSI') {
    const suf = decimalByExp.get(e);
    if (suf !== undefined) return `${n}${suf}`;
  }
  return e === 0 ? `${n}` : `${n}e${e}`;
}

/** Canonical string for any input that parses; undefined otherwise. */
export function canonicalQuantity(input: unknown): string | undefined {
  const q = parseQuantity(input);
  return q ? formatQuantity(q) : undefined;
}
