// Endpoints and EndpointSlices.

import { type Errs, child, index, invalid, required, duplicate, notSupported, tooMany, arr, obj, str, FIELD_IMMUTABLE } from './field.ts';
import { nameIsDNSSubdomain, ipErrors, isIPv4, isIPv6, dns1123SubdomainErrors, dns1123LabelErrors, portNumErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateLabels, validateQualifiedName } from './selector.ts';
import { validateDNS1123Label, PORT_PROTOCOLS } from './container.ts';
import { nonSpecialIPErrors } from './service.ts';

function validateEndpointAddress(a: any, path: string): Errs {
  const errs: Errs = [];
  const ip = str(a?.ip);
  for (const m of ipErrors(ip)) errs.push(invalid(child(path, 'ip'), ip, m));
  const hn = str(a?.hostname);
  if (hn) errs.push(...validateDNS1123Label(hn, child(path, 'hostname')));
  if (typeof a?.nodeName === 'string') for (const m of nameIsDNSSubdomain(a.nodeName, false)) errs.push(invalid(child(path, 'nodeName'), a.nodeName, m));
  errs.push(...nonSpecialIPErrors(ip, child(path, 'ip')));
  return errs;
}

function validateEndpointPort(p: any, requireName: boolean, path: string): Errs {
  const errs: Errs = [];
  const name = str(p?.name);
  if (requireName && !name) errs.push(required(child(path, 'name')));
  else if (name) errs.push(...validateDNS1123Label(name, child(path, 'name')));
  for (const m of portNumErrors(p?.port)) errs.push(invalid(child(path, 'port'), p?.port ?? 0, m));
  const proto = str(p?.protocol);
  if (!proto) errs.push(required(child(path, 'protocol')));
  else if (!PORT_PROTOCOLS.includes(proto)) errs.push(notSupported(child(path, 'protocol'), proto, PORT_PROTOCOLS));
  if (typeof p?.appProtocol === 'string') errs.push(...validateQualifiedName(p.appProtocol, child(path, 'appProtocol')));
  return errs;
}

export function validateEndpoints(ep: any): Errs {
  const errs = validateObjectMeta(ep?.metadata, true, nameIsDNSSubdomain);
  arr(ep?.subsets).forEach((ss, i) => {
    const sp = index('subsets', i);
    if (!arr(ss?.addresses).length && !arr(ss?.notReadyAddresses).length) {
      errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    }
    arr(ss?.addresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, index(child(sp, 'addresses'), j))));
    arr(ss?.notReadyAddresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, index(child(sp, 'notReadyAddresses'), j))));
    const ports = arr(ss?.ports);
    ports.forEach((p, j) => errs.push(...validateEndpointPort(p, ports.length > 1, index(child(sp, 'ports'), j))));
  });
  return errs;
}

export function validateEndpointsUpdate(ep: any, old: any): Errs {
  return [...validateObjectMetaUpdate(ep?.metadata, old?.metadata), ...validateEndpoints(ep)];
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function fqdnErrors(name: string, path: string): Errs {
  if (!name) return [required(path)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = dns1123SubdomainErrors(n);
  if (sub.length) return [invalid(path, n, sub.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [invalid(path, n, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const e = dns1123LabelErrors(l);
    if (e.length) return [invalid(path, l, e.join(','))];
  }
  return [];
}

function validateSliceEndpoints(endpoints: unknown, addrType: string): Errs {
  const list = arr(endpoints);
  if (list.length > 1000) return [tooMany('endpoints', list.length, 1000)];
  const errs: Errs = [];
  list.forEach((ep, i) => {
    const ip = index('endpoints', i);
    const ap = child(ip, 'addresses');
    const addrs = arr(ep?.addresses).map(String);
    if (!addrs.length) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(ap, addrs.length, 100));
    addrs.forEach((a, j) => {
      const p = index(ap, j);
      if (addrType === 'IPv4') {
        if (!isIPv4(a)) errs.push(invalid(p, a, 'must be a valid IPv4 address'));
        errs.push(...nonSpecialIPErrors(a, p));
      } else if (addrType === 'IPv6') {
        if (!isIPv6(a)) errs.push(invalid(p, a, 'must be a valid IPv6 address'));
        errs.push(...nonSpecialIPErrors(a, p));
      } else if (addrType === 'FQDN') {
        errs.push(...fqdnErrors(a, p));
      }
    });
    if (typeof ep?.nodeName === 'string') for (const m of nameIsDNSSubdomain(ep.nodeName, false)) errs.push(invalid(child(ip, 'nodeName'), ep.nodeName, m));
    const topo = obj(ep?.deprecatedTopology);
    if (Object.keys(topo).length > 16) errs.push(tooMany(child(ip, 'deprecatedTopology'), Object.keys(topo).length, 16));
    errs.push(...validateLabels(ep?.deprecatedTopology, child(ip, 'deprecatedTopology')));
    if (typeof ep?.hostname === 'string') errs.push(...validateDNS1123Label(ep.hostname, child(ip, 'hostname')));
  });
  return errs;
}

function validateSlicePorts(ports: unknown): Errs {
  const list = arr(ports);
  if (list.length > 20000) return [tooMany('ports', list.length, 20000)];
  const errs: Errs = [];
  const names = new Set<string>();
  list.forEach((p, i) => {
    const ip = index('ports', i);
    const name = str(p?.name);
    if (name) errs.push(...validateDNS1123Label(name, child(ip, 'name')));
    if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else names.add(name);
    const proto = p?.protocol;
    if (proto === undefined || proto === null) errs.push(required(child(ip, 'protocol')));
    else if (!PORT_PROTOCOLS.includes(proto)) errs.push(notSupported(child(ip, 'protocol'), proto, PORT_PROTOCOLS));
    if (typeof p?.appProtocol === 'string') errs.push(...validateQualifiedName(p.appProtocol, child(ip, 'appProtocol')));
  });
  return errs;
}

function validateSlice(es: any): Errs {
  return [
    ...validateObjectMeta(es?.metadata, true, nameIsDNSSubdomain),
    ...validateSliceEndpoints(es?.endpoints, str(es?.addressType)),
    ...validateSlicePorts(es?.ports),
  ];
}

export function validateEndpointSlice(es: any): Errs {
  const errs = validateSlice(es);
  const at = str(es?.addressType);
  if (!at) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(notSupported('addressType', at, ADDRESS_TYPES));
  return errs;
}

export function validateEndpointSliceUpdate(es: any, old: any): Errs {
  const errs = [...validateObjectMetaUpdate(es?.metadata, old?.metadata), ...validateSlice(es)];
  if (str(es?.addressType) !== str(old?.addressType)) errs.push(invalid('addressType', str(es?.addressType), FIELD_IMMUTABLE));
  return errs;
}
