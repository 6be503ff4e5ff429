// Server-side apply's removal of fields an applier stops applying: a field (or
// list item, or map entry) goes when the applier owned it after its previous
// apply, its new configuration leaves it out, and no manager (the applier's new
// configuration included) owns it or anything under it. Computed with the same
// set algebra as structured-merge-diff, so unowned fields next to pruned ones
// survive.

import type { SchemaNode } from '../schema/types.ts';
import { FieldSet } from './fieldset.ts';
import type { Managers } from './managers.ts';
import { ensureNamedFields, removeItems, toFieldSet } from './typed.ts';

export function prune(merged: unknown, managers: Managers, lastApplied: FieldSet | undefined, schema: SchemaNode | undefined): unknown {
  if (!lastApplied || lastApplied.isEmpty()) return merged;
  const named = (s: FieldSet): FieldSet => ensureNamedFields(s, schema);
  const fieldsOf = (v: unknown): FieldSet => named(toFieldSet(v, schema));
  const last = named(lastApplied);

  // Everything the applier owned last time, gone…
  const withoutLast = removeItems(merged, last, schema, false);
  // …then put back what anyone still owns…
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const mergedFields = fieldsOf(merged);
  const keptOwned = removeItems(merged, mergedFields.difference(fieldsOf(withoutLast).union(named(owned))), schema, false);
  // …and remove, from the merged object, only what the applier owned last time and was not put back.
  return removeItems(merged, mergedFields.difference(fieldsOf(keptOwned)).intersection(last), schema, true);
}
