// Path elements of server-side apply's field sets, as structured-merge-diff
// names them: a struct field or map key ("f:name"), a list-map item by its key
// fields ("k:{"name":"web"}"), a set item by value ("v:"x""), or a list index
// ("i:0"). The string form is the one managedFields.fieldsV1 uses, and it is
// canonical, so it doubles as the element's identity.

import { canonicalJson, isObject } from './json-value.ts';

export type PathElement =
  | { t: 'f'; name: string }
  /** Key fields sorted by name. */
  | { t: 'k'; fields: [string, unknown][] }
  | { t: 'v'; value: unknown }
  | { t: 'i'; index: number };

export type Path = PathElement[];

export const field = (name: string): PathElement => ({ t: 'f', name });

export function keyElement(fields: [string, unknown][]): PathElement {
  return { t: 'k', fields: [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

export function peString(pe: PathElement): string {
  switch (pe.t) {
    case 'f': return `f:${pe.name}`;
    case 'k': return `k:{${pe.fields.map(([n, v]) => `${JSON.stringify(n)}:${canonicalJson(v)}`).join(',')}}`;
    case 'v': return `v:${canonicalJson(pe.value)}`;
    case 'i': return `i:${pe.index}`;
  }
}

export function parsePe(s: string): PathElement {
  const body = s.slice(2);
  switch (s.slice(0, 2)) {
    case 'f:': return field(body);
    case 'v:': return { t: 'v', value: JSON.parse(body) as unknown };
    case 'i:': {
      const n = Number(body);
      if (!Number.isInteger(n)) throw new Error(`invalid index path element ${JSON.stringify(s)}`);
      return { t: 'i', index: n };
    }
    case 'k:': {
      const obj = JSON.parse(body) as unknown;
      if (!isObject(obj)) throw new Error(`invalid key path element ${JSON.stringify(s)}`);
      return keyElement(Object.entries(obj));
    }
    default: throw new Error(`unknown path element ${JSON.stringify(s)}`);
  }
}

const ORDER = { f: 0, k: 1, v: 2, i: 3 } as const;

function typeRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5; // null
}

/** structured-merge-diff's total order of values: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = canonicalJson(a);
  const sb = canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The order fieldsV1 and conflict lists use: fields by name, then keys, values, indexes. */
export function comparePe(a: PathElement, b: PathElement): number {
  if (a.t !== b.t) return ORDER[a.t] - ORDER[b.t];
  if (a.t === 'f' && b.t === 'f') return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  if (a.t === 'i' && b.t === 'i') return a.index - b.index;
  if (a.t === 'v' && b.t === 'v') return compareValues(a.value, b.value);
  if (a.t === 'k' && b.t === 'k') {
    for (let i = 0; ; i++) {
      if (i >= a.fields.length || i >= b.fields.length) return a.fields.length - b.fields.length;
      const [an, av] = a.fields[i];
      const [bn, bv] = b.fields[i];
      if (an !== bn) return an < bn ? -1 : 1;
      const c = compareValues(av, bv);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** A value as structured-merge-diff prints it in paths: strings quoted, others bare. */
function valueString(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return canonicalJson(v);
  return String(v);
}

/** A path as conflicts print it: `.spec.containers[name="web"].image`. */
export function pathString(path: Path): string {
  return path.map((pe) => {
    switch (pe.t) {
      case 'f': return `.${pe.name}`;
      case 'k': return `[${pe.fields.map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
      case 'v': return `[=${valueString(pe.value)}]`;
      case 'i': return `[${pe.index}]`;
    }
  }).join('');
}
