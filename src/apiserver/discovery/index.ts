// Discovery documents, legacy (APIVersions, APIGroupList, APIResourceList) and
// aggregated (apidiscovery.k8s.io v2/v2beta1), all derived from RESOURCES.

import { RESOURCES, apiVersionOf, groupVersions, type ResourceInfo } from '../../api/resources.ts';

type Obj = Record<string, unknown>;

function preferred(group: string): string {
  return groupVersions().find((gv) => gv.group === group)!.version;
}

function groupsExceptCore(): string[] {
  const out: string[] = [];
  for (const gv of groupVersions()) if (gv.group && !out.includes(gv.group)) out.push(gv.group);
  return out;
}

export function apiVersions(serverAddress: string): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): Obj {
  const versions = groupVersions().filter((gv) => gv.group === group).map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  const pv = preferred(group);
  return { name: group, versions, preferredVersion: { groupVersion: `${group}/${pv}`, version: pv } };
}

export function apiGroupList(): Obj {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsExceptCore().map(apiGroup) };
}

export function apiGroupDoc(group: string): Obj | undefined {
  if (!groupsExceptCore().includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

function resourceEntries(res: ResourceInfo): Obj[] {
  const main: Obj = {
    name: res.plural, singularName: res.singular, namespaced: res.namespaced, kind: res.kind, verbs: res.verbs,
  };
  if (res.shortNames.length) main.shortNames = res.shortNames;
  if (res.categories.length) main.categories = res.categories;
  main.storageVersionHash = storageVersionHash(res);
  const subs = res.subresources.map((s) => {
    const e: Obj = { name: `${res.plural}/${s.name}`, singularName: '', namespaced: res.namespaced, kind: s.kind, verbs: s.verbs };
    if (s.group) e.group = s.group;
    if (s.version) e.version = s.version;
    return e;
  });
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string): Obj | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: rs.flatMap(resourceEntries) };
}

// ---- aggregated discovery ----------------------------------------------------

function discoveryResource(res: ResourceInfo): Obj {
  const d: Obj = {
    resource: res.plural,
    responseKind: { group: res.group, version: res.version, kind: res.kind },
    scope: res.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: res.singular,
    verbs: res.verbs,
  };
  if (res.shortNames.length) d.shortNames = res.shortNames;
  if (res.categories.length) d.categories = res.categories;
  if (res.subresources.length) {
    d.subresources = res.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? res.group, version: s.version ?? res.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return d;
}

function discoveryGroup(group: string): Obj {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: groupVersions().filter((gv) => gv.group === group).map((gv) => ({
      version: gv.version,
      resources: RESOURCES.filter((r) => r.group === group && r.version === gv.version).map(discoveryResource),
      freshness: 'Current',
    })),
  };
}

/** `/api` (core only) or `/apis` (every named group) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(prefix: 'api' | 'apis', version: 'v2' | 'v2beta1'): Obj {
  const groups = prefix === 'api' ? [''] : groupsExceptCore();
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: groups.map(discoveryGroup) };
}

/** Stable per kind: kubectl only compares it for equality. */
function storageVersionHash(res: ResourceInfo): string {
  let h = 2166136261;
  for (const ch of `${apiVersionOf(res)}/${res.kind}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return Buffer.from(h.toString(16).padStart(8, '0')).toString('base64').slice(0, 11);
}
