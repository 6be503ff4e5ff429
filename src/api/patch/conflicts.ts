// The 409 an apply answers when it would change fields other managers own,
// worded as upstream words it (kubectl prints the message as is):
//   Apply failed with 1 conflict: conflict with "mgr" using apps/v1: .spec.replicas
//   Apply failed with 2 conflicts: conflicts with "a":
//   - .spec.replicas
//   - .spec.paused

import { ApiError, type StatusCause } from '../../base/errors.ts';
import { pathString } from './fieldpath.ts';
import type { FieldSet } from './fieldset.ts';
import { describeManager, type ManagerId } from './managers.ts';

export interface ManagerConflict {
  /** The manager's identity key (managerKey), by which conflicts are ordered. */
  key: string;
  manager: ManagerId;
  fields: FieldSet;
}

export function conflictError(conflicts: ManagerConflict[]): ApiError {
  const sorted = [...conflicts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const causes: StatusCause[] = [];
  const lines: string[] = [];
  for (const c of sorted) {
    const who = describeManager(c.manager);
    lines.push(`conflicts with ${who}:`);
    for (const p of c.fields.paths()) {
      const field = pathString(p);
      causes.push({ reason: 'FieldManagerConflict', message: `conflict with ${who}`, field });
      lines.push(`- ${field}`);
    }
  }
  const message = causes.length === 1
    ? `Apply failed with 1 conflict: ${causes[0].message}: ${causes[0].field}`
    : `Apply failed with ${causes.length} conflicts: ${lines.join('\n')}`;
  return new ApiError(409, 'Conflict', message, { causes });
}
