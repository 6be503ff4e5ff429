// Core kinds with small defaults: Namespace, Node, Secret, LimitRange,
// ResourceQuota and PriorityClass.

import { type Obj, isObj, isSet, ensure, setDefault, each, canonicalResourceList } from './util.ts';

export function namespaceDefaults(ns: Obj): void {
  const meta = ensure(ns, 'metadata');
  // the name label is set for named namespaces only (generateName comes later)
  if (meta && typeof meta.name === 'string' && meta.name) {
    const labels = ensure(meta, 'labels');
    if (labels) labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const status = ensure(ns, 'status');
  if (status) setDefault(status, 'phase', 'Active');
  // New namespaces get the kubernetes finalizer. Only when the field was never
  // set on a live namespace: once emptied through finalize it stays empty.
  const spec = ensure(ns, 'spec');
  if (spec && !isSet(spec.finalizers) && !meta?.deletionTimestamp && status?.phase !== 'Terminating') spec.finalizers = ['kubernetes'];
}

export function nodeDefaults(node: Obj): void {
  const status = node.status;
  if (!isObj(status)) return;
  canonicalResourceList(status, 'capacity');
  canonicalResourceList(status, 'allocatable');
  if (!isSet(status.allocatable) && isObj(status.capacity)) status.allocatable = { ...status.capacity };
}

/** Secret type Opaque, and stringData folded into data (write-only, as upstream). */
export function secretDefaults(s: Obj): void {
  setDefault(s, 'type', 'Opaque');
  if (isObj(s.stringData)) {
    const data = isObj(s.data) ? s.data : (s.data = {});
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete s.stringData;
}

export function limitRangeDefaults(lr: Obj): void {
  each(lr.spec?.limits, (item) => {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalResourceList(item, k);
    if (item.type !== 'Container') return;
    const def: Obj = isObj(item.default) ? item.default : {};
    const defReq: Obj = isObj(item.defaultRequest) ? item.defaultRequest : {};
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in defReq)) defReq[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(defReq).length) item.defaultRequest = defReq;
  });
}

export function resourceQuotaDefaults(rq: Obj): void {
  if (isObj(rq.spec)) canonicalResourceList(rq.spec, 'hard');
  if (isObj(rq.status)) {
    canonicalResourceList(rq.status, 'hard');
    canonicalResourceList(rq.status, 'used');
  }
}

export function priorityClassDefaults(pc: Obj): void {
  if (!isSet(pc.preemptionPolicy)) pc.preemptionPolicy = 'PreemptLowerPriority';
}
