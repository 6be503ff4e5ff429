// One container: name, image, ports, env, mounts, probes, resources and
// security context, with the paths and messages upstream reports.

import {
  type Errs, child, index, key, invalid, invalidOmit, required, forbidden, notFound, notSupported, duplicate,
  nonNegative, isObj, arr, str, obj,
} from './field.ts';
import {
  dns1123LabelErrors, dns1123SubdomainErrors, envVarNameErrors, configMapKeyErrors, portNameErrors, portNumErrors,
  inclusiveRangeError,
} from './names.ts';
import { validateQualifiedName } from './selector.ts';
import { compareQuantities, formatQuantity, type Quantity } from './quantity.ts';
import {
  validateContainerResourceName, validateResourceQuantityValue, quantityAt, isOvercommitAllowed, isHugePageResourceName,
} from './resources.ts';

export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'].sort();
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const MAX_UID = 2147483647;

export function validateDNS1123Label(v: string, path: string): Errs {
  return dns1123LabelErrors(v).map((m) => invalid(path, v, m));
}

export function validatePortNumOrName(port: unknown, path: string): Errs {
  if (typeof port === 'number') return portNumErrors(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return portNameErrors(port).map((m) => invalid(path, port, m));
  return [invalid(path, port ?? null, 'must be an integer or a port name')];
}

function validateContainerPorts(ports: unknown, path: string): Errs {
  const errs: Errs = [];
  const names = new Set<string>();
  arr(ports).forEach((p, i) => {
    const ip = index(path, i);
    const name = str(p?.name);
    if (name) {
      const msgs = portNameErrors(name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(child(ip, 'name'), name, m));
      else if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
      else names.add(name);
    }
    const cp = p?.containerPort;
    if (!cp) errs.push(required(child(ip, 'containerPort')));
    else for (const m of portNumErrors(cp)) errs.push(invalid(child(ip, 'containerPort'), cp, m));
    const hp = p?.hostPort;
    if (hp) for (const m of portNumErrors(hp)) errs.push(invalid(child(ip, 'hostPort'), hp, m));
    const proto = str(p?.protocol);
    if (!proto) errs.push(required(child(ip, 'protocol')));
    else if (!PORT_PROTOCOLS.includes(proto)) errs.push(notSupported(child(ip, 'protocol'), proto, PORT_PROTOCOLS));
  });
  return errs;
}

/** Host ports must be unique per protocol/IP; init containers are checked one at a time. */
export function checkHostPortConflicts(containers: any[], path: string, seen = new Set<string>()): Errs {
  const errs: Errs = [];
  containers.forEach((c, ci) => {
    arr(c?.ports).forEach((p, pi) => {
      const hp = p?.hostPort;
      if (!hp) return;
      const k = `${str(p?.protocol)}/${str(p?.hostIP)}/${hp}`;
      if (seen.has(k)) errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

const CONVERTIBLE_FIELD_PATHS = new Set(['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace',
  'metadata.uid', 'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']);

function splitSubscript(p: string): [string, string] | undefined {
  if (!p.endsWith("']")) return undefined;
  const s = p.slice(0, -2);
  const i = s.indexOf("['");
  return i > 0 ? [s.slice(0, i), s.slice(i + 2)] : undefined;
}

/** Downward API field references (env valueFrom.fieldRef and downwardAPI volume items). */
export function validateObjectFieldSelector(fs: any, validPaths: string[], path: string): Errs {
  const apiVersion = str(fs?.apiVersion);
  const fieldPath = str(fs?.fieldPath);
  if (!apiVersion) return [required(child(path, 'apiVersion'))];
  if (!fieldPath) return [required(child(path, 'fieldPath'))];
  const sub = splitSubscript(fieldPath);
  let convErr = '';
  if (apiVersion !== 'v1') convErr = `unsupported pod version: ${apiVersion}`;
  else if (sub && sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels') convErr = `field label does not support subscript: ${fieldPath}`;
  else if (!sub && !CONVERTIBLE_FIELD_PATHS.has(fieldPath)) convErr = `field label not supported: ${fieldPath}`;
  if (convErr) return [invalid(child(path, 'fieldPath'), fieldPath, `error converting fieldPath: ${convErr}`)];
  if (sub) return validateQualifiedName(sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1], path);
  if (!validPaths.includes(fieldPath)) return [notSupported(child(path, 'fieldPath'), fieldPath, validPaths)];
  return [];
}

export function validateResourceFieldSelector(rf: any, path: string, requireContainer: boolean): Errs {
  const errs: Errs = [];
  if (requireContainer && !str(rf?.containerName)) errs.push(required(child(path, 'containerName')));
  const res = str(rf?.resource);
  if (!res) errs.push(required(child(path, 'resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(res) && !/^(limits|requests)\.hugepages-/.test(res)) {
    errs.push(notSupported(child(path, 'resource'), res, RESOURCE_FIELD_PATHS));
  }
  if (rf?.divisor !== undefined) {
    const q = quantityAt(rf.divisor, child(path, 'divisor'), errs);
    if (q && !['0', '1', '1m', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'].includes(formatQuantity(q))) {
      const cpu = res.endsWith('.cpu');
      if (cpu) errs.push(invalid(child(path, 'divisor'), formatQuantity(q), 'only divisor\'s values 1m and 1 are supported with the cpu resource'));
      else errs.push(invalid(child(path, 'divisor'), formatQuantity(q), 'only divisor\'s values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource'));
    }
  }
  return errs;
}

function validateKeySelector(s: any, path: string): Errs {
  const errs: Errs = [];
  const name = str(s?.name);
  for (const m of dns1123SubdomainErrors(name)) errs.push(invalid(child(path, 'name'), name, m));
  const k = str(s?.key);
  if (!k) errs.push(required(child(path, 'key')));
  else for (const m of configMapKeyErrors(k)) errs.push(invalid(child(path, 'key'), k, m));
  return errs;
}

function validateEnv(env: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(env).forEach((ev, i) => {
    const ip = index(path, i);
    const name = str(ev?.name);
    if (!name) errs.push(required(child(ip, 'name')));
    else for (const m of envVarNameErrors(name)) errs.push(invalid(child(ip, 'name'), name, m));
    const vf = ev?.valueFrom;
    if (vf === undefined || vf === null) return;
    const vp = child(ip, 'valueFrom');
    let n = 0;
    if (vf.fieldRef) { n++; errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, child(vp, 'fieldRef'))); }
    if (vf.resourceFieldRef) { n++; errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, child(vp, 'resourceFieldRef'), false)); }
    if (vf.configMapKeyRef) { n++; errs.push(...validateKeySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef'))); }
    if (vf.secretKeyRef) { n++; errs.push(...validateKeySelector(vf.secretKeyRef, child(vp, 'secretKeyRef'))); }
    if (n === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev?.value)) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(envFrom).forEach((ef, i) => {
    const ip = index(path, i);
    const prefix = str(ef?.prefix);
    if (prefix) for (const m of envVarNameErrors(prefix)) errs.push(invalid(child(ip, 'prefix'), prefix, m));
    let n = 0;
    for (const src of ['configMapRef', 'secretRef']) {
      if (!ef?.[src]) continue;
      n++;
      const name = str(ef[src].name);
      if (!name) errs.push(required(child(ip, src, 'name')));
      else for (const m of dns1123SubdomainErrors(name)) errs.push(invalid(child(ip, src, 'name'), name, m));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateLocalDescendingPath(p: string, path: string): Errs {
  const errs: Errs = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: unknown, devices: unknown, volumes: Set<string>, privileged: unknown, path: string): Errs {
  const errs: Errs = [];
  const devNames = new Set(arr(devices).map((d) => str(d?.name)));
  const devPaths = new Set(arr(devices).map((d) => str(d?.devicePath)));
  const mountPoints = new Set<string>();
  arr(mounts).forEach((m, i) => {
    const ip = index(path, i);
    const name = str(m?.name);
    const mp = str(m?.mountPath);
    if (!name) errs.push(required(child(ip, 'name')));
    if (!volumes.has(name)) errs.push(notFound(child(ip, 'name'), name));
    if (!mp) errs.push(required(child(ip, 'mountPath')));
    if (mountPoints.has(mp)) errs.push(invalid(child(ip, 'mountPath'), mp, 'must be unique'));
    mountPoints.add(mp);
    if (devNames.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeDevices'));
    if (devPaths.has(mp)) errs.push(invalid(child(ip, 'mountPath'), mp, 'must not already exist as a path in volumeDevices'));
    const sub = str(m?.subPath);
    if (sub) errs.push(...validateLocalDescendingPath(sub, child(path, 'subPath')));
    const subExpr = str(m?.subPathExpr);
    if (subExpr) {
      if (sub) errs.push(invalid(child(ip, 'subPathExpr'), subExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subExpr, child(path, 'subPathExpr')));
    }
    const prop = m?.mountPropagation;
    if (prop !== undefined && prop !== null) {
      if (!['Bidirectional', 'HostToContainer', 'None'].includes(prop)) {
        errs.push(notSupported(child(path, 'mountPropagation'), prop, ['Bidirectional', 'HostToContainer', 'None']));
      }
      if (prop === 'Bidirectional' && privileged !== true) {
        errs.push(forbidden(child(path, 'mountPropagation'), 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
  });
  return errs;
}

function validateHandler(h: any, path: string, allowSleep: boolean): Errs {
  const errs: Errs = [];
  let n = 0;
  const kinds = allowSleep ? ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] : ['exec', 'httpGet', 'tcpSocket', 'grpc'];
  for (const k of kinds) {
    const v = h?.[k];
    if (v === undefined || v === null) continue;
    if (n > 0) { errs.push(forbidden(child(path, k), 'may not specify more than 1 handler type')); continue; }
    n++;
    const p = child(path, k);
    switch (k) {
      case 'exec':
        if (arr(v.command).length === 0) errs.push(required(child(p, 'command')));
        break;
      case 'httpGet': {
        if (!str(v.path)) errs.push(required(child(p, 'path')));
        errs.push(...validatePortNumOrName(v.port, child(p, 'port')));
        const scheme = str(v.scheme);
        if (!['HTTP', 'HTTPS'].includes(scheme)) errs.push(notSupported(child(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
        for (const hd of arr(v.httpHeaders)) {
          const hn = str(hd?.name);
          if (!/^[-A-Za-z0-9]+$/.test(hn)) {
            errs.push(invalid(child(p, 'httpHeaders'), hn, "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"));
          }
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(v.port, child(p, 'port')));
        break;
      case 'grpc':
        for (const m of portNumErrors(v.port)) errs.push(invalid(child(p, 'port'), v.port, m));
        break;
      case 'sleep':
        if (typeof v.seconds !== 'number' || v.seconds < 0) errs.push(invalid(child(p, 'seconds'), v.seconds ?? null, 'must be non-negative integer'));
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: any, path: string, kind: 'liveness' | 'readiness' | 'startup'): Errs {
  if (probe === undefined || probe === null) return [];
  const errs = validateHandler(probe, path, false);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(probe[f], child(path, f)));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0) errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind === 'readiness') {
    if (tgps !== undefined && tgps !== null) errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  } else if (probe.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold ?? 0, 'must be 1'));
  }
  return errs;
}

/** Probes and lifecycle hooks, allowed on regular and restartable init containers. */
export function validateProbesAndLifecycle(c: any, path: string): Errs {
  const errs: Errs = [];
  if (c?.lifecycle) {
    for (const hook of ['postStart', 'preStop']) {
      if (c.lifecycle[hook]) errs.push(...validateHandler(c.lifecycle[hook], child(path, 'lifecycle', hook), true));
    }
  }
  errs.push(...validateProbe(c?.livenessProbe, child(path, 'livenessProbe'), 'liveness'));
  errs.push(...validateProbe(c?.readinessProbe, child(path, 'readinessProbe'), 'readiness'));
  errs.push(...validateProbe(c?.startupProbe, child(path, 'startupProbe'), 'startup'));
  return errs;
}

/** Container resources: names, non-negative values, requests ≤ limits. */
export function validateResourceRequirements(r: unknown, path: string): Errs {
  const errs: Errs = [];
  const res = obj(r);
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, v] of Object.entries(obj(res.limits))) {
    const fp = key(limPath, name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(v, fp, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, fp));
    limits.set(name, q);
    if (isHugePageResourceName(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  for (const [name, v] of Object.entries(obj(res.requests))) {
    const fp = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, fp));
    const q = quantityAt(v, fp, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, fp));
    const lim = limits.get(name);
    if (lim) {
      const cmp = compareQuantities(q, lim);
      if (cmp !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(lim)}`));
      } else if (cmp > 0) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  if (hugePages && !cpuOrMemory) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

function idErrors(v: unknown, path: string): Errs {
  if (typeof v !== 'number') return [];
  return v >= 0 && v <= MAX_UID && Number.isInteger(v) ? [] : [invalid(path, v, inclusiveRangeError(0, MAX_UID))];
}

function validateSecurityContext(sc: unknown, path: string): Errs {
  if (!isObj(sc)) return [];
  const errs: Errs = [];
  errs.push(...idErrors(sc.runAsUser, child(path, 'runAsUser')));
  errs.push(...idErrors(sc.runAsGroup, child(path, 'runAsGroup')));
  if (sc.procMount !== undefined && sc.procMount !== null && !['Default', 'Unmasked'].includes(sc.procMount)) {
    errs.push(notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  }
  if (sc.allowPrivilegeEscalation === false && sc.privileged === true) {
    errs.push(invalidOmit(path, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  return errs;
}

/** The checks every kind of container shares (upstream's validateContainerCommon). */
export function validateContainerCommon(c: any, volumes: Set<string>, path: string): Errs {
  const errs: Errs = [];
  const name = str(c?.name);
  if (!name) errs.push(required(child(path, 'name')));
  else errs.push(...validateDNS1123Label(name, child(path, 'name')));
  if (!str(c?.image)) errs.push(required(child(path, 'image')));
  const tmp = str(c?.terminationMessagePolicy);
  if (!tmp) errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(c?.ports, child(path, 'ports')));
  errs.push(...validateEnv(c?.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c?.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c?.volumeMounts, c?.volumeDevices, volumes, c?.securityContext?.privileged, child(path, 'volumeMounts')));
  const pp = str(c?.imagePullPolicy);
  if (!pp) errs.push(required(child(path, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pp)) errs.push(notSupported(child(path, 'imagePullPolicy'), pp, PULL_POLICIES));
  errs.push(...validateResourceRequirements(c?.resources, child(path, 'resources')));
  errs.push(...validateSecurityContext(c?.securityContext, child(path, 'securityContext')));
  return errs;
}
