// ObjectMeta bookkeeping shared by every resource: identity on create, the
// fields clients may not change on update, and generation.

import { randomUUID, randomInt } from 'node:crypto';
import { clone, rfc3339, type Obj } from './codec.ts';

// Upstream's name-generator alphabet: no vowels (no words), no look-alikes.
const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  const max = 63 - 5;
  const b = base.length > max ? base.slice(0, max) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUM[randomInt(ALPHANUM.length)];
  return b + s;
}

/** System-owned metadata on create: uid, creationTimestamp, generation; clears what clients may not set. */
export function prepareMetaForCreate(obj: Obj, now: Date, tracksGeneration: boolean): void {
  const m = obj.metadata as Obj;
  m.uid = randomUUID();
  m.creationTimestamp = rfc3339(now);
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
  if (tracksGeneration) m.generation = 1; else delete m.generation;
}

/** Keep the system-owned metadata of `old` on `obj` for an update. */
export function keepSystemMeta(obj: Obj, old: Obj): void {
  const m = obj.metadata as Obj, o = old.metadata as Obj;
  for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
    if (o[f] === undefined) delete m[f]; else m[f] = o[f];
  }
  delete m.selfLink;
}

/** Everything but metadata and status, for "did the spec change?" */
function specPart(o: Obj): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(sortKeys(rest));
}

export function bumpGenerationIfSpecChanged(obj: Obj, old: Obj): void {
  if (specPart(obj) !== specPart(old)) obj.metadata.generation = (Number(old.metadata.generation) || 0) + 1;
}

/** Same object apart from resourceVersion and managedFields timestamps? Then a write is a no-op. */
export function semanticallyEqual(a: Obj, b: Obj): boolean {
  return JSON.stringify(normalizeForCompare(a)) === JSON.stringify(normalizeForCompare(b));
}

function normalizeForCompare(o: Obj): Obj {
  const c = clone(o);
  if (c.metadata) {
    delete c.metadata.resourceVersion;
    if (Array.isArray(c.metadata.managedFields)) {
      for (const mf of c.metadata.managedFields as Obj[]) delete mf.time;
    }
  }
  return sortKeys(c) as Obj;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Obj)[k]);
    return out;
  }
  return v;
}
