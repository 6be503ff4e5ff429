// Server-side printing: the meta.k8s.io Table that `kubectl get` asks for.
// Each kind has a printer with upstream's columns; anything else gets the
// generic Name / Created At table, as upstream's default convertor does.

import type { ResourceInfo } from '../resources.ts';
import { col, nameOf, rfc3339, type Printer, type Table, type TableColumnDefinition, type TableRow } from './common.ts';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import {
  configMapPrinter, namespacePrinter, nodePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter,
} from './core.ts';
import { eventPrinter, eventsV1Printer } from './events.ts';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './network.ts';
import { podPrinter, podTemplatePrinter } from './pods.ts';
import { leasePrinter, podDisruptionBudgetPrinter, priorityClassPrinter } from './policy.ts';
import { persistentVolumeClaimPrinter, persistentVolumePrinter } from './storage.ts';
import { roleBindingPrinter } from './rbac.ts';
import { csrPrinter } from './certificates.ts';
import {
  controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, replicationControllerPrinter,
  statefulSetPrinter,
} from './workloads.ts';

export type { Printer, Table, TableColumnDefinition, TableRow, TableRowCondition } from './common.ts';
export { humanDuration } from './duration.ts';
export { summarizePod } from './pods.ts';

/** Printers by `<group>/<Kind>` (core group is ''); the version does not matter. */
const PRINTERS: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/PodTemplate': podTemplatePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Namespace': namespacePrinter,
  '/Node': nodePrinter,
  '/Event': eventPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  '/ReplicationController': replicationControllerPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'certificates.k8s.io/CertificateSigningRequest': csrPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'events.k8s.io/Event': eventsV1Printer,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': roleBindingPrinter,
  // LimitRange has no printer upstream either: it gets the default table.
};

/** Upstream's fallback table: the name and the creation time as an RFC 3339 date. */
export const defaultPrinter: Printer = {
  columns: [
    col('Name', 'string', 'Name of the object, unique within its namespace.', { format: 'name' }),
    col('Created At', 'date', 'When the object was created.'),
  ],
  row: (obj) => [nameOf(obj), rfc3339(obj?.metadata?.creationTimestamp)],
};

export function printerFor(res: Pick<ResourceInfo, 'group' | 'kind'>): Printer {
  return PRINTERS[`${res.group}/${res.kind}`] ?? defaultPrinter;
}

/**
 * Builds the Table for `objs` of resource `res`. `now` (ms since the epoch)
 * is the reference for every age. All columns are filled, priority>0 ones
 * included; each row carries the full object.
 */
export function printTable(res: ResourceInfo, objs: any[], now: number): { columnDefinitions: TableColumnDefinition[]; rows: TableRow[] } {
  const p = printerFor(res);
  const rows = objs.map((obj): TableRow => {
    const row: TableRow = { cells: p.row(obj, now), object: obj };
    const conditions = p.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    return row;
  });
  const table: Table = { columnDefinitions: p.columns.map((c) => ({ ...c })), rows };
  return table;
}
