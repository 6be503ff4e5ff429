// Namespaces and Nodes.

import { type Errs, child, index, key, invalid, forbidden, duplicate, arr, obj, str, raw, goStringSlice } from './field.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, isIP, isIPv6 } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate, validateKubeFinalizerName } from './meta.ts';
import { qualifiedNameErrors } from './names.ts';
import { validateNodeTaints } from './affinity.ts';
import { quantityAt, validateNonNegativeQuantity, validateResourceName } from './resources.ts';

export function validateNamespace(ns: any): Errs {
  const errs = validateObjectMeta(ns?.metadata, false, nameIsDNSLabel);
  for (const f of arr(ns?.spec?.finalizers)) {
    const name = String(f);
    for (const m of qualifiedNameErrors(name)) errs.push(invalid('spec.finalizers', name, m));
    errs.push(...validateKubeFinalizerName(name, 'spec.finalizers'));
  }
  return errs;
}

export function validateNamespaceUpdate(ns: any, old: any): Errs {
  return validateObjectMetaUpdate(ns?.metadata, old?.metadata);
}

function parseCIDR(s: string): boolean {
  const i = s.indexOf('/');
  if (i < 0) return false;
  const ip = s.slice(0, i);
  const bits = s.slice(i + 1);
  return isIP(ip) && /^[0-9]+$/.test(bits) && Number(bits) <= (isIPv6(ip) ? 128 : 32);
}

function validateNodeResources(node: any): Errs {
  const errs: Errs = [];
  for (const f of ['capacity', 'allocatable']) {
    for (const [r, v] of Object.entries(obj(node?.status?.[f]))) {
      const p = key(child('status', f), r);
      errs.push(...validateResourceName(r, p));
      const q = quantityAt(v, p, errs);
      if (q) errs.push(...validateNonNegativeQuantity(q, p));
    }
  }
  return errs;
}

function validatePodCIDRs(node: any): Errs {
  const cidrs = arr(node?.spec?.podCIDRs).map(String);
  const errs: Errs = [];
  cidrs.forEach((c, i) => {
    if (!parseCIDR(c)) errs.push(invalid(index('spec.podCIDRs', i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (!errs.length && cidrs.length > 1) {
    const fam = new Set(cidrs.map((c) => isIPv6(c.slice(0, c.indexOf('/')))));
    if (fam.size !== cidrs.length || cidrs.length > 2) {
      errs.push(invalid('spec.podCIDRs', goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    }
  }
  return errs;
}

export function validateNode(node: any): Errs {
  const errs = validateObjectMeta(node?.metadata, false, nameIsDNSSubdomain);
  // upstream reports taint problems under metadata.taints
  errs.push(...validateNodeTaints(node?.spec?.taints, 'metadata.taints'));
  errs.push(...validateNodeResources(node));
  errs.push(...validatePodCIDRs(node));
  return errs;
}

export function validateNodeUpdate(node: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(node?.metadata, old?.metadata);
  errs.push(...validateNodeResources(node));
  const seen = new Set<string>();
  arr(node?.status?.addresses).forEach((a, i) => {
    const k = `${str(a?.type)}/${str(a?.address)}`;
    if (seen.has(k)) errs.push(duplicate(index('status.addresses', i), raw(`core.NodeAddress{Type:${JSON.stringify(str(a?.type))}, Address:${JSON.stringify(str(a?.address))}}`)));
    seen.add(k);
  });
  const oldCidrs = arr(old?.spec?.podCIDRs).map(String);
  const newCidrs = arr(node?.spec?.podCIDRs).map(String);
  if (oldCidrs.length) {
    const msg = 'node updates may not change podCIDR except from "" to valid';
    if (oldCidrs.length !== newCidrs.length) errs.push(forbidden('spec.podCIDRs', msg));
    else oldCidrs.forEach((c, i) => { if (c !== newCidrs[i]) errs.push(forbidden('spec.podCIDRs', msg)); });
  }
  const oldPid = str(old?.spec?.providerID);
  if (oldPid && oldPid !== str(node?.spec?.providerID)) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateNodeTaints(node?.spec?.taints, 'metadata.taints'));
  if (str(node?.spec?.externalID) !== str(old?.spec?.externalID)) errs.push(forbidden('spec.externalID', 'may not be updated'));
  return errs;
}
