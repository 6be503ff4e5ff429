// The LimitRanger admission plugin (upstream plugin/pkg/admission/limitranger).
// Mutating: a new pod's containers (and init containers) get the requests and
// limits they leave out from the namespace's LimitRanges of type Container
// (default → limits, defaultRequest → requests), noted in the annotation
// kubernetes.io/limit-ranger. Validating: min, max and maxLimitRequestRatio of
// Container, Pod and PersistentVolumeClaim items, refused with 403 in
// upstream's words ("minimum cpu usage per Container is 100m, but request is 50m").
// Pods are only checked on create: their containers' resources cannot change.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../base/errors.ts';
import { limitRangeDefaults } from '../../api/defaults/core.ts';
import { compareQuantities, formatQuantity, parseQuantity, type Quantity } from '../../api/validation/quantity.ts';
import { podLimits, podRequests, type ResourceList } from '../../api/quota/index.ts';
import { qualifiedName } from '../../api/resources.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';

type Obj = Record<string, any>;

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

export interface LimitRangeSource {
  list(namespace: string): Promise<Obj[]>;
}

/** The items of the namespace's LimitRanges, with the API's defaulting applied (default from max, defaultRequest from default/min). */
function itemsOf(ranges: Obj[]): Obj[] {
  const out: Obj[] = [];
  for (const lr of ranges) {
    const copy = structuredClone(lr) as Obj;
    limitRangeDefaults(copy);
    out.push(...((copy.spec?.limits ?? []) as Obj[]));
  }
  return out;
}

// ---- defaults ---------------------------------------------------------------

function mergeContainer(c: Obj, defaults: { limits: ResourceList; requests: ResourceList }, prefix: string, notes: string[]): void {
  const res = (c.resources ??= {});
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(defaults.limits)) {
    if (res.limits?.[k] !== undefined) continue;
    (res.limits ??= {})[k] = v;
    setLimits.push(k);
  }
  for (const [k, v] of Object.entries(defaults.requests)) {
    if (res.requests?.[k] !== undefined) continue;
    (res.requests ??= {})[k] = v;
    setRequests.push(k);
  }
  if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${String(c.name)}`);
  if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${String(c.name)}`);
}

/** Fills a pod's missing requests/limits from the Container items; returns the annotation's value (or undefined). */
export function applyContainerDefaults(pod: Obj, ranges: Obj[]): string | undefined {
  const defaults = { limits: {} as ResourceList, requests: {} as ResourceList };
  for (const item of itemsOf(ranges)) {
    if (item.type !== 'Container') continue;
    Object.assign(defaults.limits, item.default ?? {});
    Object.assign(defaults.requests, item.defaultRequest ?? {});
  }
  if (!Object.keys(defaults.limits).length && !Object.keys(defaults.requests).length) return undefined;
  const notes: string[] = [];
  for (const c of (pod.spec?.containers ?? []) as Obj[]) mergeContainer(c, defaults, 'container', notes);
  for (const c of (pod.spec?.initContainers ?? []) as Obj[]) mergeContainer(c, defaults, 'init container', notes);
  if (!notes.length) return undefined;
  const value = `LimitRanger plugin set: ${notes.join('; ')}`;
  (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = value;
  return value;
}

// ---- constraints ------------------------------------------------------------

const q = (v: unknown): Quantity | undefined => parseQuantity(v);
const show = (v: unknown): string => { const x = q(v); return x ? formatQuantity(x) : String(v); };

function minConstraint(type: string, name: string, enforced: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const e = q(enforced)!;
  if (requests[name] === undefined) return `minimum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (compareQuantities(q(requests[name])!, e) < 0) return `minimum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(requests[name])}`;
  if (limits[name] !== undefined && compareQuantities(q(limits[name])!, e) < 0) return `minimum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(limits[name])}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const e = q(enforced)!;
  if (limits[name] === undefined) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No limit is specified`;
  if (compareQuantities(q(limits[name])!, e) > 0) return `maximum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(limits[name])}`;
  if (requests[name] !== undefined && compareQuantities(q(requests[name])!, e) > 0) return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(requests[name])}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: unknown, requests: ResourceList): string | undefined {
  if (requests[name] === undefined) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (compareQuantities(q(requests[name])!, q(enforced)!) > 0) return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(requests[name])}`;
  return undefined;
}

/** Milli-units of a quantity, exactly (as a float for the ratio). */
function milli(x: Quantity): number { return Number(x.unscaled) * 10 ** (x.scale + 3); }

function ratioConstraint(type: string, name: string, enforced: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name] !== undefined ? q(requests[name]) : undefined;
  const lim = limits[name] !== undefined ? q(limits[name]) : undefined;
  if (!req || req.unscaled === 0n) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no request is specified or request is 0`;
  if (!lim || lim.unscaled === 0n) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no limit is specified or limit is 0`;
  const ratio = milli(lim) / milli(req);
  // Compared in milli-units, as upstream, so a ratio of 1.5 can be enforced.
  if (ratio * 1000 > milli(q(enforced)!)) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

const sortedEntries = (m: Obj | undefined): [string, unknown][] => Object.entries((m ?? {}) as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function checkItem(item: Obj, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  const push = (e: string | undefined): void => { if (e && !errs.includes(e)) errs.push(e); };
  for (const [k, v] of sortedEntries(item.min)) push(minConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.max)) push(maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) push(ratioConstraint(type, k, v, requests, limits));
}

/** The violations of a pod against the items (upstream PodValidateLimitFunc). */
export function podViolations(pod: Obj, ranges: Obj[]): string[] {
  const errs: string[] = [];
  for (const item of itemsOf(ranges)) {
    if (item.type === 'Container') {
      for (const c of [...((pod.spec?.containers ?? []) as Obj[]), ...((pod.spec?.initContainers ?? []) as Obj[])]) {
        checkItem(item, 'Container', (c.resources?.requests ?? {}) as ResourceList, (c.resources?.limits ?? {}) as ResourceList, errs);
      }
    } else if (item.type === 'Pod') {
      checkItem(item, 'Pod', podRequests(pod as Pod), podLimits(pod as Pod), errs);
    }
  }
  return errs;
}

export function pvcViolations(pvc: Obj, ranges: Obj[]): string[] {
  const errs: string[] = [];
  const requests = (pvc.spec?.resources?.requests ?? {}) as ResourceList;
  for (const item of itemsOf(ranges)) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of sortedEntries(item.min)) { const e = minConstraint('PersistentVolumeClaim', k, v, requests, {}); if (e && !errs.includes(e)) errs.push(e); }
    for (const [k, v] of sortedEntries(item.max)) { const e = maxRequestConstraint('PersistentVolumeClaim', k, v, requests); if (e && !errs.includes(e)) errs.push(e); }
  }
  return errs;
}

/** Upstream's aggregate error text: one message alone, several in brackets. */
function aggregate(errs: string[]): string { return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`; }

export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';

  constructor(private readonly src: LimitRangeSource) {}

  private isPodCreate(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.subresource === '' && a.info.group === '' && a.info.kind === 'Pod';
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.isPodCreate(a)) return;
    const ranges = await this.src.list(a.namespace);
    if (ranges.length) applyContainerDefaults(a.obj, ranges);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const isPvc = a.info.group === '' && a.info.kind === 'PersistentVolumeClaim' && a.subresource === '' && a.operation !== 'DELETE';
    if (!this.isPodCreate(a) && !isPvc) return;
    const ranges = await this.src.list(a.namespace);
    if (!ranges.length) return;
    const errs = isPvc ? pvcViolations(a.obj, ranges) : podViolations(a.obj, ranges);
    if (!errs.length) return;
    const name = String(a.obj.metadata?.name ?? '');
    throw ApiError.forbidden(`${qualifiedName(a.info)} "${name}" is forbidden: ${aggregate(errs)}`, { name, kind: a.info.plural });
  }
}
