import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printTable, printerFor, defaultPrinter } from './index.ts';
import { RESOURCES, isVirtual, findResource, type ResourceInfo } from '../resources.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const meta = (name: string, extra: any = {}): any => ({ name, namespace: 'default', creationTimestamp: ago(5 * MIN), ...extra });
const res = (group: string, plural: string): ResourceInfo => findResource(group, 'v1', plural)!;
const names = (r: ResourceInfo): string[] => printTable(r, [], NOW).columnDefinitions.map((c) => c.name);
const wide = (r: ResourceInfo): string[] => printTable(r, [], NOW).columnDefinitions.filter((c) => c.priority > 0).map((c) => c.name);
const row = (r: ResourceInfo, obj: any): unknown[] => printTable(r, [obj], NOW).rows[0].cells;
const tpl = { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'log', image: 'busybox' }] } };

void test('every served resource has a printer whose rows fit its columns', () => {
  for (const r of RESOURCES) {
    const t = printTable(r, [{ metadata: { name: 'x' } }], NOW);
    assert.equal(t.rows[0].cells.length, t.columnDefinitions.length, `${r.group}/${r.kind}`);
    assert.ok(t.columnDefinitions.some((c) => c.format === 'name'), `${r.kind} has a name column`);
    for (const c of t.columnDefinitions) {
      assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type']);
    }
  }
  // Only these (and the create-only virtual resources, never listed) use the default table:
  // upstream prints LimitRange that way, and Roles/ClusterRoles with the same two columns.
  const fallback = RESOURCES.filter((r) => printerFor(r) === defaultPrinter && !isVirtual(r)).map((r) => r.kind);
  assert.deepEqual(fallback.sort(), ['ClusterRole', 'LimitRange', 'Role']);
});

void test('default table: Name and Created At (date, RFC 3339 UTC)', () => {
  const r = res('', 'limitranges');
  const t = printTable(r, [{ metadata: meta('lr', { creationTimestamp: '2024-05-01T11:00:00.123Z' }) }, { metadata: { name: 'none' } }], NOW);
  assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
  assert.deepEqual(t.rows.map((x) => x.cells), [['lr', '2024-05-01T11:00:00Z'], ['none', '0001-01-01T00:00:00Z']]);
});

void test('deployments', () => {
  const r = res('apps', 'deployments');
  assert.deepEqual(names(r), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(wide(r), ['Containers', 'Images', 'Selector']);
  const d = { metadata: meta('web'), spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] }, template: tpl },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(row(r, d), ['web', '2/3', 3, 2, '5m', 'web,log', 'nginx:1,busybox', 'app=web,tier in (a,b)']);
  assert.equal(row(r, { metadata: meta('x'), spec: {} })[7], '');
  assert.equal(row(r, { metadata: meta('x'), spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bad' }] } } })[7], '<invalid>');
});

void test('replica sets, replication controllers, stateful sets, daemon sets', () => {
  const rs = res('apps', 'replicasets');
  assert.deepEqual(names(rs), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(row(rs, { metadata: meta('rs'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: tpl }, status: { replicas: 2, readyReplicas: 1 } }),
    ['rs', 2, 2, 1, '5m', 'web,log', 'nginx:1,busybox', 'app=web']);
  assert.equal(row(rs, { metadata: meta('rs'), spec: { selector: {} } })[7], '<none>');

  const rc = res('', 'replicationcontrollers');
  assert.deepEqual(names(rc), names(rs));
  assert.deepEqual(row(rc, { metadata: meta('rc'), spec: { replicas: 1, selector: { app: 'x' } } }), ['rc', 1, 0, 0, '5m', '', '', 'app=x']);

  const sts = res('apps', 'statefulsets');
  assert.deepEqual(names(sts), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  assert.deepEqual(row(sts, { metadata: meta('db'), spec: { replicas: 3, template: tpl }, status: { readyReplicas: 3 } }), ['db', '3/3', '5m', 'web,log', 'nginx:1,busybox']);

  const ds = res('apps', 'daemonsets');
  assert.deepEqual(names(ds), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(row(ds, { metadata: meta('agent'), spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { ...tpl.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 } }),
  ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5m', 'web,log', 'nginx:1,busybox', 'a=b']);
});

void test('controller revisions name their controller as kind.group/name', () => {
  const r = res('apps', 'controllerrevisions');
  assert.deepEqual(names(r), ['Name', 'Controller', 'Revision', 'Age']);
  const cr = { metadata: meta('agent-5d8', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', controller: true }] }), revision: 2 };
  assert.deepEqual(row(r, cr), ['agent-5d8', 'daemonset.apps/agent', 2, '5m']);
  assert.equal(row(r, { metadata: meta('x') })[1], '<none>');
});

void test('jobs: status, completions, duration', () => {
  const r = res('batch', 'jobs');
  assert.deepEqual(names(r), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
  const done = { metadata: meta('pi'), spec: { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, template: tpl },
    status: { succeeded: 1, startTime: ago(4 * MIN), completionTime: ago(4 * MIN - 37_000), conditions: [{ type: 'Complete', status: 'True' }] } };
  assert.deepEqual(row(r, done), ['pi', 'Complete', '1/1', '37s', '5m', 'web,log', 'nginx:1,busybox', 'batch.kubernetes.io/controller-uid=u1']);
  const runningJob = { metadata: meta('w'), spec: { parallelism: 3 }, status: { startTime: ago(3 * MIN), active: 3 } };
  assert.deepEqual(row(r, runningJob).slice(1, 4), ['Running', '0/1 of 3', '3m']);
  assert.deepEqual(row(r, { metadata: meta('n'), spec: {} }).slice(1, 4), ['Running', '0/1', '']);
  const status = (conds: any[], extra: any = {}): unknown => row(r, { metadata: meta('j', extra), spec: {}, status: { conditions: conds } })[1];
  assert.equal(status([{ type: 'Failed', status: 'True' }]), 'Failed');
  assert.equal(status([{ type: 'Suspended', status: 'True' }]), 'Suspended');
  assert.equal(status([{ type: 'Suspended', status: 'True' }], { deletionTimestamp: ago(0) }), 'Terminating');
  assert.equal(status([{ type: 'FailureTarget', status: 'True' }]), 'FailureTarget');
  assert.equal(status([{ type: 'Complete', status: 'False' }]), 'Running');
});

void test('cron jobs', () => {
  const r = res('batch', 'cronjobs');
  assert.deepEqual(names(r), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers', 'Images', 'Selector']);
  assert.equal(printTable(r, [], NOW).columnDefinitions[3].type, 'boolean');
  const cj = { metadata: meta('nightly'), spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template: tpl } } },
    status: { active: [{ name: 'a' }], lastScheduleTime: ago(5 * HOUR) } };
  assert.deepEqual(row(r, cj), ['nightly', '0 3 * * *', '<none>', 'False', 1, '5h', '5m', 'web,log', 'nginx:1,busybox', '<none>']);
  assert.deepEqual(row(r, { metadata: meta('x'), spec: { schedule: '@daily', timeZone: 'Etc/UTC' } }).slice(2, 6), ['Etc/UTC', '<unset>', 0, '<none>']);
});

void test('services: types, external IPs, ports, selector', () => {
  const r = res('', 'services');
  assert.deepEqual(names(r), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  assert.deepEqual(wide(r), ['Selector']);
  const svc = (spec: any, status: any = {}): unknown[] => row(r, { metadata: meta('s'), spec, status });
  assert.deepEqual(svc({ type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } }),
    ['s', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '5m', 'k8s=dns']);
  assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.43.1.1'], externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).slice(1, 5),
    ['NodePort', '10.43.1.1', '1.2.3.4', '80:30080/TCP']);
  assert.equal(svc({ type: 'LoadBalancer', clusterIPs: ['10.43.1.2'] })[3], '<pending>');
  assert.equal(svc({ type: 'LoadBalancer', externalIPs: ['9.9.9.9'] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }, { ip: '5.6.7.8' }] } })[3],
    '5.6.7.8,lb.example.com,9.9.9.9');
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(2, 5), ['<none>', 'db.example.com', '<none>']);
  assert.deepEqual(svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }).slice(2, 7), ['None', '<none>', '<none>', '5m', '<none>']);
});

void test('endpoints and endpoint slices', () => {
  const ep = res('', 'endpoints');
  assert.deepEqual(names(ep), ['Name', 'Endpoints', 'Age']);
  assert.equal(row(ep, { metadata: meta('e') })[1], '<none>');
  assert.equal(row(ep, { metadata: meta('e'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], ports: [{ port: 80 }] }] })[1], '10.0.0.1:80,[fd00::1]:80');
  assert.equal(row(ep, { metadata: meta('e'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] })[1],
    '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
  assert.equal(row(ep, { metadata: meta('e'), subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] })[1], '10.0.0.9');

  const es = res('discovery.k8s.io', 'endpointslices');
  assert.deepEqual(names(es), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  assert.deepEqual(row(es, { metadata: meta('web-abc'), addressType: 'IPv4', ports: [{ port: 80 }, { name: 'x' }, {}],
    endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }] }),
  ['web-abc', 'IPv4', '80,x,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '5m']);
  assert.deepEqual(row(es, { metadata: meta('e'), addressType: 'IPv4', endpoints: [] }).slice(2, 4), ['<unset>', '<unset>']);
});

void test('namespaces, config maps, secrets, service accounts', () => {
  assert.deepEqual(names(res('', 'namespaces')), ['Name', 'Status', 'Age']);
  assert.deepEqual(row(res('', 'namespaces'), { metadata: { name: 'kube-system', creationTimestamp: ago(3 * 24 * HOUR + 2 * HOUR) }, status: { phase: 'Active' } }), ['kube-system', 'Active', '3d2h']);
  assert.deepEqual(names(res('', 'configmaps')), ['Name', 'Data', 'Age']);
  assert.deepEqual(row(res('', 'configmaps'), { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['cm', 3, '5m']);
  assert.deepEqual(names(res('', 'secrets')), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(row(res('', 'secrets'), { metadata: meta('s'), type: 'Opaque', data: { k: 'dg==' } }), ['s', 'Opaque', 1, '5m']);
  assert.deepEqual(names(res('', 'serviceaccounts')), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(row(res('', 'serviceaccounts'), { metadata: meta('default') }), ['default', 0, '5m']);
});

void test('nodes', () => {
  const r = res('', 'nodes');
  assert.deepEqual(names(r), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  const n = { metadata: { name: 'n1', creationTimestamp: ago(20 * 24 * HOUR), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/role': 'edge' } },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.168.1.10' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7' } } };
  assert.deepEqual(row(r, n), ['n1', 'Ready,SchedulingDisabled', 'control-plane,edge,master', '20d', 'v1.32.0', '192.168.1.10', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'containerd://1.7']);
  assert.deepEqual(row(r, { metadata: { name: 'n2' } }), ['n2', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(row(r, { metadata: { name: 'n3' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })[1], 'NotReady');
});

void test('persistent volumes and claims', () => {
  const pv = res('', 'persistentvolumes');
  assert.deepEqual(names(pv), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode']);
  assert.deepEqual(wide(pv), ['VolumeMode']);
  assert.deepEqual(row(pv, { metadata: { name: 'pv1', creationTimestamp: ago(MIN) }, spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' }, status: { phase: 'Bound' } }),
  ['pv1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '60s', 'Filesystem']);

  const pvc = res('', 'persistentvolumeclaims');
  assert.deepEqual(names(pvc), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  assert.deepEqual(row(pvc, { metadata: meta('data', { annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }), spec: { storageClassName: 'new', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } }),
    ['data', 'Pending', '', '', '', 'old', '<unset>', '5m', '<unset>']);
  assert.deepEqual(row(pvc, { metadata: meta('data', { deletionTimestamp: ago(0) }), spec: { volumeName: 'pv1', storageClassName: 'local' }, status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] } }),
    ['data', 'Terminating', 'pv1', '10Gi', 'RWO', 'local', '<unset>', '5m', '<unset>']);
});

void test('resource quotas split requests and limits', () => {
  const r = res('', 'resourcequotas');
  assert.deepEqual(names(r), ['Name', 'Request', 'Limit', 'Age']);
  assert.deepEqual(row(r, { metadata: meta('q'), status: { hard: { 'limits.cpu': '2', pods: '10', 'requests.cpu': '1', 'limits.memory': '2Gi' }, used: { pods: '3', 'requests.cpu': '500m' } } }),
    ['q', 'pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 0/2, limits.memory: 0/2Gi', '5m']);
});

void test('core events and events.k8s.io events print the same table', () => {
  const core = res('', 'events');
  const v1 = res('events.k8s.io', 'events');
  const cols = printTable(core, [], NOW).columnDefinitions;
  assert.deepEqual(cols.map((c) => [c.name, c.priority]), [['Last Seen', 0], ['Type', 0], ['Reason', 0], ['Object', 0], ['Subobject', 1], ['Source', 1],
    ['Message', 0], ['First Seen', 1], ['Count', 1], ['Name', 1]]);
  assert.equal(cols[9].format, 'name');
  assert.deepEqual(printTable(v1, [], NOW).columnDefinitions, cols);

  const e = { metadata: meta('web.17a'), involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' }, reason: 'BackOff', type: 'Warning',
    message: ' Back-off restarting failed container \n', source: { component: 'kubelet', host: 'n1' }, firstTimestamp: ago(HOUR), lastTimestamp: ago(2 * MIN), count: 12 };
  assert.deepEqual(row(core, e), ['2m', 'Warning', 'BackOff', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'Back-off restarting failed container', '60m', 12, 'web.17a']);

  const ne = { metadata: meta('web.17b'), regarding: { kind: 'Pod', name: 'web' }, reason: 'Scheduled', type: 'Normal', note: 'assigned', eventTime: ago(3 * MIN),
    reportingController: 'default-scheduler', reportingInstance: 'sched-1' };
  assert.deepEqual(row(v1, ne), ['3m', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler, sched-1', 'assigned', '3m', 1, 'web.17b']);
  const series = { ...ne, series: { count: 4, lastObservedTime: ago(30_000) } };
  assert.deepEqual(row(v1, series).slice(0, 1).concat(row(v1, series).slice(8, 9)), ['30s', 4]);
  assert.equal(row(core, { metadata: meta('x'), involvedObject: { kind: 'Node' } })[3], 'node');
  assert.equal(row(core, { metadata: meta('x') })[0], '<unknown>');
});

void test('leases, disruption budgets, priority classes', () => {
  assert.deepEqual(names(res('coordination.k8s.io', 'leases')), ['Name', 'Holder', 'Age']);
  assert.deepEqual(row(res('coordination.k8s.io', 'leases'), { metadata: meta('kube-scheduler'), spec: { holderIdentity: 'h1_abc' } }), ['kube-scheduler', 'h1_abc', '5m']);

  const pdb = res('policy', 'poddisruptionbudgets');
  assert.deepEqual(names(pdb), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  assert.deepEqual(row(pdb, { metadata: meta('p'), spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }), ['p', '2', 'N/A', 1, '5m']);
  assert.deepEqual(row(pdb, { metadata: meta('p'), spec: { maxUnavailable: '25%' } }), ['p', 'N/A', '25%', 0, '5m']);

  const pc = res('scheduling.k8s.io', 'priorityclasses');
  assert.deepEqual(names(pc), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  assert.deepEqual(row(pc, { metadata: { name: 'system-node-critical', creationTimestamp: ago(MIN) }, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }),
    ['system-node-critical', 2000001000, false, '60s', 'PreemptLowerPriority']);
});

void test('rolebindings and clusterrolebindings: role, and who is bound with -o wide', () => {
  for (const plural of ['rolebindings', 'clusterrolebindings']) {
    const r = res('rbac.authorization.k8s.io', plural);
    assert.deepEqual(names(r), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
    assert.deepEqual(wide(r), ['Users', 'Groups', 'ServiceAccounts']);
    const b = {
      metadata: meta('b'), roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'u1' }, { kind: 'User', name: 'u2' }, { kind: 'Group', name: 'g' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }],
    };
    assert.deepEqual(printTable(r, [b], NOW).rows[0].cells.slice(1), ['ClusterRole/view', '5m', 'u1, u2', 'g', 'ns/sa']);
  }
});
