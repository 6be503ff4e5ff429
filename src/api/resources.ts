// The resource registry: what each served resource is called and what it
// supports. Discovery, OpenAPI paths, routing, and kubectl's short names all come
// from this one table.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface SubresourceInfo {
  name: 'status' | 'scale' | 'binding' | 'eviction' | 'log' | 'exec' | 'attach' | 'portforward' | 'proxy' | 'finalize' | 'ephemeralcontainers' | 'token' | 'approval';
  /** Kind of the subresource's body (e.g. Scale in autoscaling/v1). */
  kind: string;
  group?: string;
  version?: string;
  verbs: Verb[];
}

export interface ResourceInfo {
  group: string;           // '' for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceInfo[];
}

const ALL: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS: SubresourceInfo = { name: 'status', kind: '', verbs: ['get', 'patch', 'update'] };
const SCALE: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

function r(group: string, version: string, kind: string, plural: string, namespaced: boolean,
  opts: { short?: string[]; cat?: string[]; verbs?: Verb[]; sub?: SubresourceInfo[] } = {}): ResourceInfo {
  return {
    group, version, kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), namespaced,
    shortNames: opts.short ?? [], categories: opts.cat ?? [], verbs: opts.verbs ?? ALL,
    subresources: (opts.sub ?? []).map((s) => (s.name === 'status' ? { ...s, kind } : s)),
  };
}

export const RESOURCES: ResourceInfo[] = [
  r('', 'v1', 'Namespace', 'namespaces', false, { short: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    sub: [STATUS, { name: 'finalize', kind: 'Namespace', verbs: ['update'] }] }),
  r('', 'v1', 'Pod', 'pods', true, { short: ['po'], cat: ['all'], sub: [STATUS,
    { name: 'binding', kind: 'Binding', verbs: ['create'] },
    { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] }] }),
  r('', 'v1', 'Binding', 'bindings', true, { verbs: ['create'] }),
  r('', 'v1', 'Service', 'services', true, { short: ['svc'], cat: ['all'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], sub: [STATUS] }),
  r('', 'v1', 'Endpoints', 'endpoints', true, { short: ['ep'] }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, { short: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { short: ['sa'], sub: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }] }),
  r('', 'v1', 'Node', 'nodes', false, { short: ['no'], sub: [STATUS, { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }] }),
  r('', 'v1', 'Event', 'events', true, { short: ['ev'] }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { short: ['pvc'], sub: [STATUS] }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { short: ['pv'], sub: [STATUS] }),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, { short: ['quota'], sub: [STATUS] }),
  r('', 'v1', 'LimitRange', 'limitranges', true, { short: ['limits'] }),
  r('', 'v1', 'ReplicationController', 'replicationcontrollers', true, { short: ['rc'], cat: ['all'], sub: [STATUS, SCALE] }),
  r('', 'v1', 'PodTemplate', 'podtemplates', true),
  r('apps', 'v1', 'Deployment', 'deployments', true, { short: ['deploy'], cat: ['all'], sub: [STATUS, SCALE] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, { short: ['rs'], cat: ['all'], sub: [STATUS, SCALE] }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, { short: ['sts'], cat: ['all'], sub: [STATUS, SCALE] }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, { short: ['ds'], cat: ['all'], sub: [STATUS] }),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  r('batch', 'v1', 'Job', 'jobs', true, { cat: ['all'], sub: [STATUS] }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, { short: ['cj'], cat: ['all'], sub: [STATUS] }),
  r('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, { verbs: ['create'] }),
  r('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, { verbs: ['create'] }),
  r('certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, { short: ['csr'], sub: [STATUS,
    { name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] }] }),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  r('events.k8s.io', 'v1', 'Event', 'events', true, { short: ['ev'] }),
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { short: ['pdb'], sub: [STATUS] }),
  r('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, { short: ['pc'] }),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
];

/** Create-only resources that answer a question instead of storing an object. */
export function isVirtual(res: { group: string; plural: string }): boolean {
  return res.plural === 'bindings' || res.group === 'authentication.k8s.io' || res.group === 'authorization.k8s.io';
}

/** Group/version pairs in the order discovery lists them (core first, like upstream). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const res of RESOURCES) {
    const k = `${res.group}/${res.version}`;
    if (!seen.has(k)) { seen.add(k); out.push({ group: res.group, version: res.version }); }
  }
  return out;
}

export function apiVersionOf(res: { group: string; version: string }): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((x) => x.group === group && x.version === version && x.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((x) => apiVersionOf(x) === apiVersion && x.kind === kind);
}

/** "pods", "deployments.apps" — how upstream names a resource in messages. */
export function qualifiedName(res: ResourceInfo): string {
  return res.group ? `${res.plural}.${res.group}` : res.plural;
}
