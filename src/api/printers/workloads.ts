// Controllers that own pods: Deployments, ReplicaSets, ReplicationControllers,
// StatefulSets, DaemonSets, and the ControllerRevisions they keep.

import { selectorToString } from '../selectors/labels.ts';
import {
  AGE, CONTAINERS, IMAGES, NAME, ageOf, col, containerCells, formatLabels, formatSelector, nameOf, num, str,
  wideSelector, type Printer,
} from './common.ts';

/** spec.replicas as stored; the API defaults it to 1. */
const desired = (obj: any): number => (typeof obj?.spec?.replicas === 'number' ? obj.spec.replicas : 1);

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Ready pods out of desired pods.'),
    col('Up-to-date', 'string', 'Pods running the latest pod template.'),
    col('Available', 'string', 'Pods ready for at least minReadySeconds.'),
    AGE, CONTAINERS, IMAGES, wideSelector('deployment'),
  ],
  row(obj, now) {
    const st = obj?.status ?? {};
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    let selector: string;
    try {
      selector = selectorToString(obj?.spec?.selector);
    } catch {
      selector = '<invalid>';
    }
    return [nameOf(obj), `${num(st.readyReplicas)}/${desired(obj)}`, num(st.updatedReplicas), num(st.availableReplicas),
      ageOf(obj, now), names, images, selector];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'Number of pods wanted.'),
    col('Current', 'integer', 'Number of pods that exist.'),
    col('Ready', 'integer', 'Number of pods that are ready.'),
    AGE, CONTAINERS, IMAGES, wideSelector('replica set'),
  ],
  row(obj, now) {
    const st = obj?.status ?? {};
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    return [nameOf(obj), desired(obj), num(st.replicas), num(st.readyReplicas), ageOf(obj, now),
      names, images, formatSelector(obj?.spec?.selector)];
  },
};

export const replicationControllerPrinter: Printer = {
  columns: replicaSetPrinter.columns.map((c) => (c.name === 'Selector' ? wideSelector('replication controller') : c)),
  row(obj, now) {
    const st = obj?.status ?? {};
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    return [nameOf(obj), desired(obj), num(st.replicas), num(st.readyReplicas), ageOf(obj, now),
      names, images, formatLabels(obj?.spec?.selector)];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'string', 'Ready pods out of desired pods.'), AGE, CONTAINERS, IMAGES],
  row(obj, now) {
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    return [nameOf(obj), `${num(obj?.status?.readyReplicas)}/${desired(obj)}`, ageOf(obj, now), names, images];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    col('Current', 'integer', 'Nodes running at least one daemon pod.'),
    col('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    col('Up-to-date', 'integer', 'Nodes running the latest daemon pod.'),
    col('Available', 'integer', 'Nodes whose daemon pod is available.'),
    col('Node Selector', 'string', 'Node labels the daemon pods are limited to.'),
    AGE, CONTAINERS, IMAGES, wideSelector('daemon set'),
  ],
  row(obj, now) {
    const st = obj?.status ?? {};
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    return [nameOf(obj), num(st.desiredNumberScheduled), num(st.currentNumberScheduled), num(st.numberReady),
      num(st.updatedNumberScheduled), num(st.numberAvailable), formatLabels(obj?.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now), names, images, formatSelector(obj?.spec?.selector)];
  },
};

/** `kind.group/name` of the controlling owner, lower-cased like kubectl's resource names. */
function controllerName(obj: any): string {
  const ref = (obj?.metadata?.ownerReferences ?? []).find((r: any) => r?.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = str(ref.kind);
  if (!kind && !group) return str(ref.name);
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME,
    col('Controller', 'string', 'The object that owns this revision.'),
    col('Revision', 'string', 'Revision number of the recorded state.'),
    AGE,
  ],
  row(obj, now) {
    return [nameOf(obj), controllerName(obj), num(obj?.revision), ageOf(obj, now)];
  },
};
