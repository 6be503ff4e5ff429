// Disruption budgets, priority classes and leases.

import { AGE, NAME, ageOf, col, intOrString, nameOf, num, str, type Printer } from './common.ts';

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    col('Min Available', 'string', 'Pods that must stay available.'),
    col('Max Unavailable', 'string', 'Pods that may be unavailable at once.'),
    col('Allowed Disruptions', 'integer', 'Pods that may be disrupted right now.'),
    AGE,
  ],
  row(pdb, now) {
    const spec = pdb?.spec ?? {};
    const min = spec.minAvailable == null ? 'N/A' : intOrString(spec.minAvailable);
    const max = spec.maxUnavailable == null ? 'N/A' : intOrString(spec.maxUnavailable);
    return [nameOf(pdb), min, max, num(pdb?.status?.disruptionsAllowed), ageOf(pdb, now)];
  },
};

export const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    col('Value', 'integer', 'Priority given to pods of this class.'),
    col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    AGE,
    // Upstream prints this column by default too (no priority), so kubectl shows it.
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt others.'),
  ],
  row: (pc, now) => [nameOf(pc), num(pc?.value), pc?.globalDefault === true, ageOf(pc, now), str(pc?.preemptionPolicy)],
};

export const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'string', 'Identity currently holding the lease.'), AGE],
  row: (l, now) => [nameOf(l), str(l?.spec?.holderIdentity), ageOf(l, now)],
};
