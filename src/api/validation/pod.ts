// Pods and pod templates: the pod spec as a whole, and which fields a pod
// update may touch.

import {
  type Errs, child, index, invalid, required, forbidden, duplicate, notFound, notSupported, isObj, arr, str, obj,
  goStringSlice,
} from './field.ts';
import { dns1123SubdomainErrors, dns1123LabelErrors, inclusiveRangeError, ipErrors, nameIsDNSSubdomain } from './names.ts';
import { validateLabels, validateQualifiedName } from './selector.ts';
import { validateAnnotations, validateObjectMeta } from './meta.ts';
import { validateVolumes } from './volumes.ts';
import { validateContainerCommon, validateProbesAndLifecycle, checkHostPortConflicts } from './container.ts';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './affinity.ts';
import { quantityAt, validateNonNegativeQuantity } from './resources.ts';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const MAX_INT32 = 2147483647;
const MAX_UID = 2147483647;

function validateContainers(containers: unknown, volumes: Set<string>, path: string): Errs {
  const list = arr(containers);
  if (!list.length) return [required(path)];
  const errs: Errs = [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip));
    const name = str(c?.name);
    if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else names.add(name);
    errs.push(...validateProbesAndLifecycle(c, ip));
    if (c?.restartPolicy !== undefined && c?.restartPolicy !== null) {
      errs.push(forbidden(child(ip, 'restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...checkHostPortConflicts(list, path));
  return errs;
}

function validateInitContainers(inits: unknown, regular: unknown, volumes: Set<string>, path: string): Errs {
  const errs: Errs = [];
  const names = new Set(arr(regular).map((c) => str(c?.name)));
  arr(inits).forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip));
    const rp = c?.restartPolicy;
    if (rp !== undefined && rp !== null && rp !== 'Always') {
      errs.push(notSupported(child(ip, 'restartPolicy'), rp, ['Always']));
    }
    const name = str(c?.name);
    if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else if (name) names.add(name);
    errs.push(...checkHostPortConflicts([c], path));
    if (rp === 'Always') {
      errs.push(...validateProbesAndLifecycle(c, ip));
    } else {
      const msg = 'may not be set for init containers without restartPolicy=Always';
      if (c?.lifecycle) errs.push(forbidden(child(ip, 'lifecycle'), msg));
      if (c?.livenessProbe) errs.push(forbidden(child(ip, 'livenessProbe'), msg));
      if (c?.readinessProbe) errs.push(forbidden(child(ip, 'readinessProbe'), msg));
      if (c?.startupProbe) errs.push(forbidden(child(ip, 'startupProbe'), msg));
    }
  });
  return errs;
}

const EPHEMERAL_ALLOWED = new Set(['name', 'image', 'command', 'args', 'workingDir', 'env', 'envFrom', 'volumeMounts',
  'volumeDevices', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin',
  'stdinOnce', 'tty', 'targetContainerName']);

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObj(v) && Object.values(v).every(isZero);
}

function validateEphemeralContainers(spec: Record<string, any>, volumes: Set<string>, path: string): Errs {
  const list = arr(spec.ephemeralContainers);
  if (!list.length) return [];
  const errs: Errs = [];
  const others = new Set([...arr(spec.containers), ...arr(spec.initContainers)].map((c) => str(c?.name)));
  const all = new Set(others);
  list.forEach((ec, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(ec, volumes, ip));
    const img = str(ec?.image);
    if (img.trim() !== img) errs.push(invalid(child(ip, 'image'), img, 'must not have leading or trailing whitespace'));
    const name = str(ec?.name);
    if (all.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else all.add(name);
    const target = str(ec?.targetContainerName);
    if (target && !others.has(target)) errs.push(notFound(child(ip, 'targetContainerName'), target));
    for (const [k, v] of Object.entries(obj(ec))) {
      if (!EPHEMERAL_ALLOWED.has(k) && !isZero(v)) errs.push(forbidden(child(ip, k), 'cannot be set for an Ephemeral Container'));
    }
    arr(ec?.volumeMounts).forEach((vm, j) => {
      for (const f of ['subPath', 'subPathExpr']) {
        if (str(vm?.[f])) errs.push(forbidden(child(index(child(ip, 'volumeMounts'), j), f), 'cannot be set for an Ephemeral Container'));
      }
    });
  });
  return errs;
}

function validateDNSConfig(cfg: unknown, dnsPolicy: string, path: string): Errs {
  const errs: Errs = [];
  if (dnsPolicy === 'None') {
    if (!isObj(cfg)) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!arr(cfg.nameservers).length) return [required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObj(cfg)) return errs;
  const ns = arr(cfg.nameservers).map(String);
  if (ns.length > 3) errs.push(invalid(child(path, 'nameservers'), goStringSlice(ns), 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => { for (const m of ipErrors(n)) errs.push(invalid(index(child(path, 'nameservers'), i), n, m)); });
  const searches = arr(cfg.searches).map(String);
  if (searches.length > 32) errs.push(invalid(child(path, 'searches'), goStringSlice(searches), 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(invalid(child(path, 'searches'), goStringSlice(searches), 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    const t = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const m of dns1123SubdomainErrors(t)) errs.push(invalid(index(child(path, 'searches'), i), t, m));
  });
  arr(cfg.options).forEach((o, i) => { if (!str(o?.name)) errs.push(required(index(child(path, 'options'), i), 'must not be empty')); });
  return errs;
}

function idErr(v: unknown, path: string): Errs {
  if (typeof v !== 'number') return [];
  return Number.isInteger(v) && v >= 0 && v <= MAX_UID ? [] : [invalid(path, v, inclusiveRangeError(0, MAX_UID))];
}

function validatePodSecurityContext(sc: unknown, path: string): Errs {
  if (!isObj(sc)) return [];
  const errs: Errs = [];
  errs.push(...idErr(sc.runAsUser, child(path, 'runAsUser')));
  errs.push(...idErr(sc.runAsGroup, child(path, 'runAsGroup')));
  errs.push(...idErr(sc.fsGroup, child(path, 'fsGroup')));
  arr(sc.supplementalGroups).forEach((g, i) => errs.push(...idErr(g, index(child(path, 'supplementalGroups'), i))));
  const p = sc.fsGroupChangePolicy;
  if (p !== undefined && p !== null && !['OnRootMismatch', 'Always'].includes(p)) {
    errs.push(notSupported(child(path, 'fsGroupChangePolicy'), p, ['OnRootMismatch', 'Always']));
  }
  return errs;
}

export function validatePreemptionPolicy(p: unknown, path: string): Errs {
  const v = str(p);
  if (!v) return [required(path)];
  return v === 'PreemptLowerPriority' || v === 'Never' ? [] : [notSupported(path, v, ['PreemptLowerPriority', 'Never'])];
}

/** Upstream's ValidatePodSpec. Expects defaults to have been applied. */
export function validatePodSpec(spec: unknown, path: string): Errs {
  const s = obj(spec);
  const errs: Errs = [];
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    errs.push(required(child(path, 'terminationGracePeriodSeconds')));
  }
  const vols = validateVolumes(s.volumes, child(path, 'volumes'));
  errs.push(...vols.errs);
  errs.push(...validateContainers(s.containers, vols.names, child(path, 'containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, vols.names, child(path, 'initContainers')));
  errs.push(...validateEphemeralContainers(s, vols.names, child(path, 'ephemeralContainers')));
  const rp = str(s.restartPolicy);
  if (!rp) errs.push(required(child(path, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(notSupported(child(path, 'restartPolicy'), rp, RESTART_POLICIES));
  const dp = str(s.dnsPolicy);
  if (!dp) errs.push(required(child(path, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dp)) errs.push(notSupported(child(path, 'dnsPolicy'), dp, DNS_POLICIES));
  errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(s.securityContext, child(path, 'securityContext')));
  errs.push(...validateAffinity(s.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(s.dnsConfig, dp, child(path, 'dnsConfig')));
  arr(s.readinessGates).forEach((g, i) => errs.push(...validateQualifiedName(str(g?.conditionType), child(index(child(path, 'readinessGates'), i), 'conditionType'))));
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g, i) => {
    const gp = index(child(path, 'schedulingGates'), i);
    const n = str(g?.name);
    errs.push(...validateQualifiedName(n, gp));
    if (gates.has(n)) errs.push(duplicate(gp, n));
    gates.add(n);
  });
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, child(path, 'topologySpreadConstraints')));
  const sa = str(s.serviceAccountName);
  if (sa) for (const m of nameIsDNSSubdomain(sa, false)) errs.push(invalid(child(path, 'serviceAccountName'), sa, m));
  const nn = str(s.nodeName);
  if (nn) for (const m of nameIsDNSSubdomain(nn, false)) errs.push(invalid(child(path, 'nodeName'), nn, m));
  const ads = s.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && !(typeof ads === 'number' && ads >= 1 && ads <= MAX_INT32)) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = str(s[f]);
    if (v) for (const m of dns1123LabelErrors(v)) errs.push(invalid(child(path, f), v, m));
  }
  errs.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  arr(s.hostAliases).forEach((ha, i) => {
    const hp = index(child(path, 'hostAliases'), i);
    for (const m of ipErrors(str(ha?.ip))) errs.push(invalid(child(hp, 'ip'), str(ha?.ip), m));
    for (const h of arr(ha?.hostnames)) for (const m of dns1123SubdomainErrors(String(h))) errs.push(invalid(child(hp, 'hostnames'), h, m));
  });
  const pcn = str(s.priorityClassName);
  if (pcn) for (const m of nameIsDNSSubdomain(pcn, false)) errs.push(invalid(child(path, 'priorityClassName'), pcn, m));
  if (typeof s.runtimeClassName === 'string') {
    for (const m of nameIsDNSSubdomain(s.runtimeClassName, false)) errs.push(invalid(child(path, 'runtimeClassName'), s.runtimeClassName, m));
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) errs.push(...validatePreemptionPolicy(s.preemptionPolicy, child(path, 'preemptionPolicy')));
  for (const v of Object.values(obj(s.overhead))) {
    const q = quantityAt(v, child(path, 'overhead'), errs);
    if (q) errs.push(...validateNonNegativeQuantity(q, child(path, 'overhead')));
  }
  if (isObj(s.os) && !['linux', 'windows'].includes(str(s.os.name))) {
    errs.push(notSupported(child(path, 'os', 'name'), str(s.os.name), ['linux', 'windows']));
  }
  return errs;
}

/** Upstream's ValidatePodTemplateSpec; note labels are reported at <path>.labels. */
export function validatePodTemplateSpec(tpl: unknown, path: string): Errs {
  const t = obj(tpl);
  const meta = obj(t.metadata);
  const errs: Errs = [];
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec')));
  if (arr(obj(t.spec).ephemeralContainers).length) {
    errs.push(forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

function imageWhitespace(containers: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(containers).forEach((c, i) => {
    const img = str(c?.image);
    if (img.trim() !== img) errs.push(invalid(child(index(path, i), 'image'), img, 'must not have leading or trailing whitespace'));
  });
  return errs;
}

export function validatePodMetadataAndSpec(pod: any): Errs {
  const errs = validateObjectMeta(pod?.metadata, true, nameIsDNSSubdomain);
  errs.push(...validatePodSpec(pod?.spec, 'spec'));
  errs.push(...imageWhitespace(pod?.spec?.containers, 'spec.containers'));
  errs.push(...imageWhitespace(pod?.spec?.initContainers, 'spec.initContainers'));
  return errs;
}

export function validatePod(pod: any): Errs {
  const errs = validatePodMetadataAndSpec(pod);
  const spec = obj(pod?.spec);
  if (arr(spec.ephemeralContainers).length) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(spec.nodeName) && arr(spec.schedulingGates).length) {
    errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}
