// Endpoints subsets in the shape upstream stores them (RepackSubsets): one
// subset per distinct set of (address, ready) pairs, carrying every port those
// addresses serve; an address ready for a port is never also listed not-ready
// for it. Everything sorted so that equal content compares equal. And the
// 1000-address cap (truncateEndpoints).

import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from 'kubernetes-types/core/v1.js';

/** Most addresses (ready + not ready) one Endpoints object carries. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

const addrKey = (a: EndpointAddress): string => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort): string => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return (a.name ?? '') !== (b.name ?? '') ? ((a.name ?? '') < (b.name ?? '') ? -1 : 1) : a.port !== b.port ? a.port - b.port : ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Regroups subsets; a subset without ports keeps its addresses (headless Services without ports). */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  // port key → (address key → ready)
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, boolean> }>();
  const note = (port: EndpointPort | undefined, a: EndpointAddress, ready: boolean): void => {
    const pk = port ? portKey(port) : '<none>';
    let e = byPort.get(pk);
    if (!e) byPort.set(pk, (e = { port, addrs: new Map() }));
    const ak = addrKey(a);
    addrs.set(ak, a);
    if (ready) e.addrs.set(ak, true);
    else if (!e.addrs.has(ak)) e.addrs.set(ak, false);
  };
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports?.length ? ss.ports : [undefined];
    for (const p of ports) {
      for (const a of ss.addresses ?? []) note(p, a, true);
      for (const a of ss.notReadyAddresses ?? []) note(p, a, false);
    }
  }
  // Group ports by their identical (address, ready) sets.
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs: set } of byPort.values()) {
    const key = [...set.entries()].map(([k, r]) => `${k}=${r}`).sort().join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.set) (r ? ready : notReady).push(addrs.get(k)!);
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready.sort(compareAddresses);
    if (notReady.length) ss.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length) ss.ports = g.ports.sort(comparePorts);
    out.push(ss);
  }
  return out.sort((a, b) => {
    const ka = subsetKey(a);
    const kb = subsetKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function subsetKey(ss: EndpointSubset): string {
  return `${(ss.ports ?? []).map(portKey).join(',')}|${(ss.addresses ?? []).map(addrKey).join(',')}|${(ss.notReadyAddresses ?? []).map(addrKey).join(',')}`;
}

/**
 * Caps the addresses at MAX_ENDPOINTS_CAPACITY, ready ones first: when the
 * ready ones alone are too many, not-ready ones all go and ready ones are cut
 * in proportion per subset; otherwise only not-ready ones are cut. Mutates
 * `ep`; true when something was cut.
 */
export function truncateEndpoints(ep: Endpoints, max = MAX_ENDPOINTS_CAPACITY): boolean {
  const subsets = ep.subsets ?? [];
  let ready = 0;
  let notReady = 0;
  for (const ss of subsets) {
    ready += ss.addresses?.length ?? 0;
    notReady += ss.notReadyAddresses?.length ?? 0;
  }
  if (ready + notReady <= max) return false;
  const cutReady = ready > max;
  const room = cutReady ? max : max - ready;
  const total = cutReady ? ready : notReady;
  let left = room;
  for (const ss of subsets) {
    const n = (cutReady ? ss.addresses?.length : ss.notReadyAddresses?.length) ?? 0;
    const share = Math.min(Math.ceil((n / total) * room), left);
    if (cutReady) {
      ss.addresses = ss.addresses?.slice(0, share);
      delete ss.notReadyAddresses;
      left -= ss.addresses?.length ?? 0;
    } else {
      ss.notReadyAddresses = ss.notReadyAddresses?.slice(0, share);
      left -= ss.notReadyAddresses?.length ?? 0;
    }
    if (!ss.addresses?.length) delete ss.addresses;
    if (!ss.notReadyAddresses?.length) delete ss.notReadyAddresses;
  }
  // A subset must keep some address.
  ep.subsets = subsets.filter((ss) => ss.addresses?.length || ss.notReadyAddresses?.length);
  return true;
}
