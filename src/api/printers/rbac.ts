// RoleBindings and ClusterRoleBindings: the role and, with -o wide, who is
// bound (upstream's columns). Roles and ClusterRoles use the default table
// (Name, Created At), as upstream prints them.

import { AGE, NAME, ageOf, col, nameOf, type Printer } from './common.ts';

interface Subject { kind?: string; name?: string; namespace?: string }

function subjectsOf(b: any, kind: string): string {  
  return ((b?.subjects ?? []) as Subject[]).filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name ?? ''}` : s.name ?? '')).join(', ');
}

export const roleBindingPrinter: Printer = {
  columns: [
    NAME,
    col('Role', 'string', 'Role of the binding.'),
    AGE,
    col('Users', 'string', 'Users in the binding.', { priority: 1 }),
    col('Groups', 'string', 'Groups in the binding.', { priority: 1 }),
    col('ServiceAccounts', 'string', 'ServiceAccounts in the binding.', { priority: 1 }),
  ],
  row: (b, now) => [nameOf(b), `${b?.roleRef?.kind ?? ''}/${b?.roleRef?.name ?? ''}`, ageOf(b, now),
    subjectsOf(b, 'User'), subjectsOf(b, 'Group'), subjectsOf(b, 'ServiceAccount')],
};
