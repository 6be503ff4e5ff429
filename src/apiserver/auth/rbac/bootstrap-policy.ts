// The roles and bindings every cluster starts with, as upstream's bootstrap
// policy ships them (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the
// user-facing roles (cluster-admin; admin, edit and view built by
// aggregation), the system:* roles for discovery and for each component, and
// one system:controller:<name> role per controller, bound to the controller's
// service account in kube-system (the controller manager runs each controller
// with that account's credentials, like --use-service-account-credentials).
// All carry rbac.authorization.kubernetes.io/autoupdate=true: reconciled at
// every start (missing rules and subjects are added back).

import type { Obj, PolicyRule } from './rules.ts';

const RBAC = 'rbac.authorization.k8s.io';
const CERTIFICATES = 'certificates.k8s.io';
export const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule =>
  ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const EVENTS: PolicyRule[] = [rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])];

function clusterRole(name: string, rules: PolicyRule[], extra: { labels?: Record<string, string>; aggregate?: string } = {}): Obj {
  return {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...(extra.labels ?? {}) }, annotations: { [AUTOUPDATE]: 'true' } },
    ...(extra.aggregate ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${RBAC}/aggregate-to-${extra.aggregate}`]: 'true' } }] } } : {}),
    rules,
  };
}

function binding(name: string, role: string, subjects: Obj[]): Obj {
  return {
    apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE]: 'true' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects,
  };
}

const user = (name: string): Obj => ({ apiGroup: RBAC, kind: 'User', name });
const group = (name: string): Obj => ({ apiGroup: RBAC, kind: 'Group', name });
const sa = (name: string): Obj => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers',
    'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
  rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status',
    'resourcequotas', 'resourcequotas/status']),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
    'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets',
    'serviceaccounts', 'services', 'services/proxy']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale',
    'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...WRITE, ...READ], [RBAC], ['rolebindings', 'roles']),
];

/** Controller (as Pilot names it) → its service account in kube-system, as upstream names them. */
export const CONTROLLER_SERVICE_ACCOUNTS: Record<string, string> = {
  'clusterrole-aggregation': 'clusterrole-aggregation-controller',
  cronjob: 'cronjob-controller',
  csrapproving: 'certificate-controller',
  csrcleaner: 'certificate-controller',
  csrsigning: 'certificate-controller',
  daemonset: 'daemon-set-controller',
  deployment: 'deployment-controller',
  disruption: 'disruption-controller',
  endpoint: 'endpoint-controller',
  endpoints: 'endpoint-controller',
  endpointslice: 'endpointslice-controller',
  endpointslicemirroring: 'endpointslicemirroring-controller',
  'garbage-collector': 'generic-garbage-collector',
  garbagecollector: 'generic-garbage-collector',
  job: 'job-controller',
  namespace: 'namespace-controller',
  nodeipam: 'node-controller',
  'node-ipam': 'node-controller',
  nodelifecycle: 'node-controller',
  'node-lifecycle': 'node-controller',
  'pod-garbage-collector': 'pod-garbage-collector',
  podgc: 'pod-garbage-collector',
  replicaset: 'replicaset-controller',
  replicationcontroller: 'replication-controller',
  resourcequota: 'resourcequota-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
  serviceaccount: 'service-account-controller',
  statefulset: 'statefulset-controller',
  'taint-eviction-controller': 'taint-eviction-controller',
  tokencleaner: 'token-cleaner',
  'ttl-after-finished': 'ttl-after-finished-controller',
  ttlafterfinished: 'ttl-after-finished-controller',
};

/** The account a controller runs as: upstream's name when it has one, else `<name>-controller`. */
export function controllerServiceAccount(controller: string): string {
  return CONTROLLER_SERVICE_ACCOUNTS[controller] ?? `${controller}-controller`;
}

const CONTROLLER_ROLES: Record<string, PolicyRule[]> = {
  'clusterrole-aggregation-controller': [rule(['escalate', 'get', 'list', 'patch', 'update', 'watch'], [RBAC], ['clusterroles'])],
  'certificate-controller': [
    rule(['delete', 'get', 'list', 'watch'], [CERTIFICATES], ['certificatesigningrequests']),
    rule(['update'], [CERTIFICATES], ['certificatesigningrequests/status', 'certificatesigningrequests/approval']),
    rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
    rule(['sign'], [CERTIFICATES], ['signers'], ['kubernetes.io/legacy-unknown', 'kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ],
  'cronjob-controller': [
    rule(['get', 'list', 'update', 'watch'], ['batch'], ['cronjobs']),
    rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
    rule(['update'], ['batch'], ['cronjobs/status', 'cronjobs/finalizers']),
    rule(['delete', 'list'], [''], ['pods']),
  ],
  'daemon-set-controller': [
    rule(READ, ['apps'], ['daemonsets']),
    rule(['update'], ['apps'], ['daemonsets/status', 'daemonsets/finalizers']),
    rule(READ, [''], ['nodes']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['pods/binding']),
    rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']),
  ],
  'deployment-controller': [
    rule(['get', 'list', 'update', 'watch'], ['apps'], ['deployments']),
    rule(['update'], ['apps'], ['deployments/status', 'deployments/finalizers']),
    rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['replicasets']),
    rule(['get', 'list', 'update', 'watch'], [''], ['pods']),
  ],
  'disruption-controller': [
    rule(READ, ['apps'], ['deployments', 'replicasets', 'statefulsets']),
    rule(READ, [''], ['replicationcontrollers', 'pods']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(['update'], ['policy'], ['poddisruptionbudgets/status']),
    rule(['get'], ['*'], ['*/scale']),
    rule(['patch', 'update'], [''], ['pods/status']),
  ],
  'endpoint-controller': [
    rule(READ, [''], ['services', 'pods', 'nodes']),
    rule(['create', 'delete', 'get', 'list', 'update'], [''], ['endpoints']),
    rule(['create'], [''], ['endpoints/restricted']),
  ],
  'endpointslice-controller': [
    rule(READ, [''], ['services', 'pods', 'nodes']),
    rule(['update'], [''], ['services/finalizers']),
    rule(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']),
  ],
  'endpointslicemirroring-controller': [
    rule(READ, [''], ['services', 'endpoints']),
    rule(['update'], [''], ['services/finalizers', 'endpoints/finalizers']),
    rule(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']),
  ],
  'generic-garbage-collector': [rule(['delete', 'get', 'list', 'patch', 'update', 'watch'], ['*'], ['*'])],
  'job-controller': [
    rule(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
    rule(['update', 'patch'], ['batch'], ['jobs/status', 'jobs/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'update', 'watch'], [''], ['pods']),
  ],
  'namespace-controller': [
    rule(['delete', 'get', 'list', 'watch'], [''], ['namespaces']),
    rule(['update'], [''], ['namespaces/finalize', 'namespaces/status']),
    rule(['delete', 'deletecollection', 'get', 'list'], ['*'], ['*']),
  ],
  'node-controller': [
    rule(['delete', 'get', 'list', 'patch', 'update', 'watch'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    rule(READ, ['coordination.k8s.io'], ['leases']),
    rule(READ, ['apps'], ['daemonsets']),
  ],
  'pod-garbage-collector': [
    rule(['delete', 'list', 'watch'], [''], ['pods']),
    rule(['get', 'list', 'watch'], [''], ['nodes']),
    rule(['patch'], [''], ['pods/status']),
  ],
  'replicaset-controller': [
    rule(['get', 'list', 'update', 'watch'], ['apps'], ['replicasets']),
    rule(['update'], ['apps'], ['replicasets/status', 'replicasets/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
  ],
  'replication-controller': [
    rule(['get', 'list', 'update', 'watch'], [''], ['replicationcontrollers']),
    rule(['update'], [''], ['replicationcontrollers/status', 'replicationcontrollers/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
  ],
  'resourcequota-controller': [
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['update'], [''], ['resourcequotas/status']),
  ],
  'root-ca-cert-publisher': [rule(['create', 'update'], [''], ['configmaps'])],
  'service-account-controller': [rule(['create'], [''], ['serviceaccounts'])],
  'statefulset-controller': [
    rule(READ, [''], ['pods']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(['update'], ['apps'], ['statefulsets/status', 'statefulsets/finalizers']),
    rule(['create', 'delete', 'get', 'patch', 'update'], [''], ['pods']),
    rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']),
    rule(['create', 'get', 'update', 'patch', 'delete'], [''], ['persistentvolumeclaims']),
  ],
  'taint-eviction-controller': [
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
  ],
  // Upstream: a Role in kube-system (this policy holds cluster-wide roles only).
  'token-cleaner': [rule(['delete', 'get', 'list', 'watch'], [''], ['secrets'])],
  'ttl-after-finished-controller': [rule(['delete', 'get', 'list', 'watch'], ['batch'], ['jobs'])],
};

/** Every controller role also needs to record events. */
function controllerRules(name: string): PolicyRule[] { return [...(CONTROLLER_ROLES[name] ?? []), ...EVENTS]; }

export function bootstrapClusterRoles(): Obj[] {
  const roles: Obj[] = [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('admin', [], { aggregate: 'admin' }),
    clusterRole('edit', [], { aggregate: 'edit', labels: { [`${RBAC}/aggregate-to-admin`]: 'true' } }),
    clusterRole('view', [], { aggregate: 'view', labels: { [`${RBAC}/aggregate-to-edit`]: 'true' } }),
    clusterRole('system:aggregate-to-admin', ADMIN_RULES, { labels: { [`${RBAC}/aggregate-to-admin`]: 'true' } }),
    clusterRole('system:aggregate-to-edit', EDIT_RULES, { labels: { [`${RBAC}/aggregate-to-edit`]: 'true' } }),
    clusterRole('system:aggregate-to-view', VIEW_RULES, { labels: { [`${RBAC}/aggregate-to-view`]: 'true' } }),
    clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    clusterRole('system:monitoring', [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])]),
    clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks'])]),
    clusterRole('system:auth-delegator', [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ]),
    clusterRole('system:kube-scheduler', [
      ...EVENTS,
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
      rule(['create'], [''], ['endpoints']),
      rule(['get', 'update'], [''], ['endpoints'], ['kube-scheduler']),
      rule(READ, [''], ['nodes']),
      rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      rule(['create'], [''], ['bindings', 'pods/binding']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(READ, [''], ['replicationcontrollers', 'services', 'namespaces', 'persistentvolumeclaims', 'persistentvolumes']),
      rule(READ, ['apps'], ['replicasets', 'statefulsets']),
      rule(READ, ['policy'], ['poddisruptionbudgets']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(READ, ['storage.k8s.io'], ['csinodes', 'csidrivers', 'csistoragecapacities', 'storageclasses']),
    ]),
    clusterRole('system:volume-scheduler', [
      rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes', 'persistentvolumeclaims']),
      rule(READ, ['storage.k8s.io'], ['storageclasses']),
    ]),
    clusterRole('system:kube-controller-manager', [
      ...EVENTS,
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
      rule(['create'], [''], ['endpoints']),
      rule(['get', 'update'], [''], ['endpoints'], ['kube-controller-manager']),
      rule(['create'], [''], ['secrets', 'serviceaccounts']),
      rule(['delete'], [''], ['secrets']),
      rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
      rule(['update'], [''], ['secrets', 'serviceaccounts']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(['list', 'watch'], ['*'], ['*']),
      rule(['create'], [''], ['serviceaccounts/token']),
    ]),
    clusterRole('system:node', [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
      rule(READ, [''], ['services', 'nodes', 'pods', 'endpoints']),
      rule(['create', 'delete', 'get', 'patch', 'update'], [''], ['nodes']),
      rule(['patch', 'update'], [''], ['nodes/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create', 'delete'], [''], ['pods']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(['create'], [''], ['pods/eviction']),
      rule(['get'], [''], ['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes']),
      rule(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(['create', 'delete', 'get', 'patch', 'update', 'list', 'watch'], ['coordination.k8s.io'], ['leases']),
      rule(['get'], ['storage.k8s.io'], ['csidrivers', 'volumeattachments', 'csinodes']),
      rule(['get', 'list', 'watch'], ['node.k8s.io'], ['runtimeclasses']),
      rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    ]),
    // Node bootstrap (upstream's names): who may ask for certificates, and which requests are auto-approved.
    clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], [CERTIFICATES], ['certificatesigningrequests'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], [CERTIFICATES], ['certificatesigningrequests/nodeclient'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], [CERTIFICATES], ['certificatesigningrequests/selfnodeclient'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/kube-apiserver-client'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
    clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/kubelet-serving'])]),
    clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/legacy-unknown'])]),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [''], ['services', 'endpoints']),
      rule(['get', 'list', 'watch'], [''], ['nodes']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
      ...EVENTS,
    ]),
  ];
  for (const name of Object.keys(CONTROLLER_ROLES)) roles.push(clusterRole(`system:controller:${name}`, controllerRules(name)));
  return roles;
}

export function bootstrapClusterRoleBindings(): Obj[] {
  const out: Obj[] = [
    binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    binding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    binding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    binding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    binding('system:kube-scheduler', 'system:kube-scheduler', [user('system:kube-scheduler')]),
    binding('system:volume-scheduler', 'system:volume-scheduler', [user('system:kube-scheduler')]),
    binding('system:kube-controller-manager', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
    binding('system:node-proxier', 'system:node-proxier', [user('system:kube-proxy')]),
    // As kubeadm binds them for its bootstrap tokens (kubeadm:kubelet-bootstrap, kubeadm:node-autoapprove-*).
    binding('pilot:kubelet-bootstrap', 'system:node-bootstrapper', [group('system:bootstrappers')]),
    binding('pilot:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [group('system:bootstrappers')]),
    binding('pilot:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [group('system:nodes')]),
  ];
  for (const name of Object.keys(CONTROLLER_ROLES)) out.push(binding(`system:controller:${name}`, `system:controller:${name}`, [sa(name)]));
  return out;
}
