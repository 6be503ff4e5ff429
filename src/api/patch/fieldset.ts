// A set of field paths (what one manager owns), stored as a tree keyed by the
// path elements' string form. A node is a member when its own path is in the
// set; its children hold longer paths. Encodes to and from managedFields'
// FieldsV1 format, where `{}` is a member leaf and `".": {}` marks a member that
// also has children.

import { isObject } from './json-value.ts';
import { comparePe, parsePe, peString, type Path, type PathElement } from './fieldpath.ts';

export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  constructor(readonly pe?: PathElement) {}

  child(pe: PathElement | string): FieldSet | undefined {
    return this.children.get(typeof pe === 'string' ? pe : peString(pe));
  }

  /** The child node for `pe`, created if missing. */
  ensure(pe: PathElement): FieldSet {
    const key = peString(pe);
    let c = this.children.get(key);
    if (!c) {
      c = new FieldSet(pe);
      this.children.set(key, c);
    }
    return c;
  }

  insert(path: Path): this {
    let n: FieldSet = this;
    for (const pe of path) n = n.ensure(pe);
    if (n !== this) n.member = true;
    return this;
  }

  has(path: Path): boolean {
    let n: FieldSet | undefined = this;
    for (const pe of path) {
      n = n.child(pe);
      if (!n) return false;
    }
    return n !== this && n.member;
  }

  /** True when no path (below this node) is a member. */
  isEmpty(): boolean {
    return this.children.size === 0;
  }

  private sortedChildren(): FieldSet[] {
    return [...this.children.values()].sort((a, b) => comparePe(a.pe as PathElement, b.pe as PathElement));
  }

  private static node(pe: PathElement | undefined, member: boolean, children: FieldSet[]): FieldSet {
    const n = new FieldSet(pe);
    n.member = member;
    for (const c of children) if (c.member || c.children.size > 0) n.children.set(peString(c.pe as PathElement), c);
    return n;
  }

  union(o: FieldSet): FieldSet {
    const kids: FieldSet[] = [];
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      kids.push(oc ? c.union(oc) : c.clone());
    }
    for (const [k, oc] of o.children) if (!this.children.has(k)) kids.push(oc.clone());
    return FieldSet.node(this.pe ?? o.pe, this.member || o.member, kids);
  }

  difference(o: FieldSet): FieldSet {
    const kids: FieldSet[] = [];
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      kids.push(oc ? c.difference(oc) : c.clone());
    }
    return FieldSet.node(this.pe, this.member && !o.member, kids);
  }

  intersection(o: FieldSet): FieldSet {
    const kids: FieldSet[] = [];
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (oc) kids.push(c.intersection(oc));
    }
    return FieldSet.node(this.pe, this.member && o.member, kids);
  }

  clone(): FieldSet {
    return FieldSet.node(this.pe, this.member, [...this.children.values()].map((c) => c.clone()));
  }

  /** Removes every path that starts with one of `prefixes` (whole subtrees). */
  withoutPrefixes(prefixes: Path[]): FieldSet {
    const out = this.clone();
    for (const p of prefixes) {
      if (p.length === 0) return new FieldSet();
      let n: FieldSet | undefined = out;
      for (const pe of p.slice(0, -1)) n = n?.child(pe);
      n?.children.delete(peString(p[p.length - 1]));
    }
    return out.pruned();
  }

  /** Removes exactly the given paths, keeping their children. */
  withoutPaths(paths: Path[]): FieldSet {
    const drop = new FieldSet();
    for (const p of paths) drop.insert(p);
    return this.difference(drop);
  }

  private pruned(): FieldSet {
    return FieldSet.node(this.pe, this.member, [...this.children.values()].map((c) => c.pruned()));
  }

  /** Member paths, in structured-merge-diff's iteration order (a node's members, then its children's). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    const kids = this.sortedChildren();
    for (const c of kids) if (c.member) out.push([...prefix, c.pe as PathElement]);
    for (const c of kids) if (c.children.size > 0) out.push(...c.paths([...prefix, c.pe as PathElement]));
    return out;
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.pe && this.member && this.children.size > 0) out['.'] = {};
    for (const c of this.sortedChildren()) out[peString(c.pe as PathElement)] = c.toFieldsV1();
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const root = new FieldSet();
    read(root, v);
    return root;
  }
}

function read(n: FieldSet, v: unknown): void {
  if (!isObject(v)) throw new Error('FieldsV1 must be an object');
  for (const [k, sub] of Object.entries(v)) {
    if (k === '.') {
      if (n.pe) n.member = true;
      continue;
    }
    const c = n.ensure(parsePe(k));
    if (isObject(sub) && Object.keys(sub).length === 0) c.member = true;
    else read(c, sub);
  }
}
