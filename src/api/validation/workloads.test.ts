import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const template = () => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } });
const deploy = (): any => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template() } });
const rs = (): any => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
const sts = (): any => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' },
  spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: template(),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } });
const ds = (): any => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
const rc = (): any => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec: { template: template() } });
const cr = (): any => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-1', namespace: 'default' }, data: { spec: {} }, revision: 1 });
const pt = (): any => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'web', namespace: 'default' }, template: template() });

test('workloads: valid objects pass', () => {
  for (const f of [deploy, rs, sts, ds, rc, cr, pt]) expectValid(create(f()));
});

const MISMATCH = 'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`';

const cases: [string, () => any, Case][] = [
  ['deployment', deploy, { name: 'selector required', mutate: (o) => { delete o.spec.selector; }, field: 'spec.selector', message: 'Required value' }],
  ['deployment', deploy, { name: 'selector mismatch', mutate: (o) => { o.spec.template.metadata.labels = { app: 'other' }; }, field: 'spec.template.metadata.labels', message: MISMATCH }],
  ['deployment', deploy, { name: 'no selector also mismatches', mutate: (o) => { delete o.spec.selector; }, field: 'spec.template.metadata.labels',
    message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`' }],
  ['deployment', deploy, { name: 'empty selector', mutate: (o) => { o.spec.selector = {}; }, field: 'spec.selector',
    message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment' }],
  ['deployment', deploy, { name: 'negative replicas', mutate: (o) => { o.spec.replicas = -1; }, field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }],
  ['deployment', deploy, { name: 'restartPolicy must be Always', mutate: (o) => { o.spec.template.spec.restartPolicy = 'Never'; }, field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Never": supported values: "Always"' }],
  ['deployment', deploy, { name: 'template pod spec is validated', mutate: (o) => { delete o.spec.template.spec.containers[0].image; }, field: 'spec.template.spec.containers[0].image', message: 'Required value' }],
  ['deployment', deploy, { name: 'template labels path', mutate: (o) => { o.spec.template.metadata.labels.x = 'a b'; }, field: 'spec.template.labels',
    message: "Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" }],
  ['deployment', deploy, { name: 'surge and unavailable both 0', mutate: (o) => { o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }; },
    field: 'spec.strategy.rollingUpdate.maxUnavailable', message: 'Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0' }],
  ['deployment', deploy, { name: 'Recreate with rollingUpdate', mutate: (o) => { o.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }; },
    field: 'spec.strategy.rollingUpdate', message: "Forbidden: may not be specified when strategy `type` is 'Recreate'" }],
  ['deployment', deploy, { name: 'bad percent', mutate: (o) => { o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '10', maxUnavailable: 1 } }; },
    field: 'spec.strategy.rollingUpdate.maxSurge',
    message: "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"10\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')" }],
  ['deployment', deploy, { name: 'maxUnavailable over 100%', mutate: (o) => { o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } }; },
    field: 'spec.strategy.rollingUpdate.maxUnavailable', message: 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%' }],
  ['deployment', deploy, { name: 'bad strategy type', mutate: (o) => { o.spec.strategy = { type: 'BlueGreen' }; }, field: 'spec.strategy',
    message: 'Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"' }],
  ['deployment', deploy, { name: 'progressDeadline vs minReady', mutate: (o) => { o.spec.minReadySeconds = 700; }, field: 'spec.progressDeadlineSeconds', message: 'Invalid value: 600: must be greater than minReadySeconds' }],
  ['deployment', deploy, { name: 'bad selector operator', mutate: (o) => { o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] }; },
    field: 'spec.selector.matchExpressions[0].operator', message: 'Invalid value: "Is": not a valid selector operator' }],
  ['deployment', deploy, { name: 'activeDeadlineSeconds', mutate: (o) => { o.spec.template.spec.activeDeadlineSeconds = 5; }, field: 'spec.template.spec.activeDeadlineSeconds',
    message: 'Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported' }],
  ['replicaset', rs, { name: 'selector mismatch', mutate: (o) => { o.spec.template.metadata.labels = { app: 'other' }; }, field: 'spec.template.metadata.labels', message: MISMATCH }],
  ['replicaset', rs, { name: 'empty selector wording', mutate: (o) => { o.spec.selector = {}; }, field: 'spec.selector',
    message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment' }],
  ['statefulset', sts, { name: 'name is a DNS label', mutate: (o) => { o.metadata.name = 'db.1'; }, field: 'metadata.name', message: 'Invalid value: "db.1": must not contain dots' }],
  ['statefulset', sts, { name: 'selector mismatch', mutate: (o) => { o.spec.template.metadata.labels = { app: 'other' }; }, field: 'spec.template.metadata.labels', message: MISMATCH }],
  ['statefulset', sts, { name: 'podManagementPolicy', mutate: (o) => { o.spec.podManagementPolicy = 'Random'; }, field: 'spec.podManagementPolicy', message: "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'" }],
  ['statefulset', sts, { name: 'updateStrategy', mutate: (o) => { o.spec.updateStrategy = { type: 'Blue' }; }, field: 'spec.updateStrategy',
    message: "Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Blue\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'" }],
  ['statefulset', sts, { name: 'partition', mutate: (o) => { o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: -1 } }; }, field: 'spec.updateStrategy.rollingUpdate.partition',
    message: 'Invalid value: -1: must be greater than or equal to 0' }],
  ['statefulset', sts, { name: 'retention policy', mutate: (o) => { o.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Keep', whenScaled: 'Retain' }; },
    field: 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted', message: 'Unsupported value: "Keep": supported values: "Retain", "Delete"' }],
  ['daemonset', ds, { name: 'selector mismatch', mutate: (o) => { o.spec.template.metadata.labels = { app: 'other' }; }, field: 'spec.template.metadata.labels', message: MISMATCH }],
  ['daemonset', ds, { name: 'surge and unavailable', mutate: (o) => { o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } }; },
    field: 'spec.updateStrategy.rollingUpdate.maxSurge', message: 'Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero' }],
  ['daemonset', ds, { name: 'both zero', mutate: (o) => { o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }; },
    field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', message: 'Required value: cannot be 0 when maxSurge is 0' }],
  ['daemonset', ds, { name: 'empty selector', mutate: (o) => { o.spec.selector = {}; }, field: 'spec.selector',
    message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset' }],
  ['replicationcontroller', rc, { name: 'selector mismatch', mutate: (o) => { o.spec.selector = { app: 'x' }; }, field: 'spec.template.metadata.labels',
    message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`' }],
  ['replicationcontroller', rc, { name: 'selector required', mutate: (o) => { o.spec.template.metadata.labels = {}; }, field: 'spec.selector', message: 'Required value' }],
  ['controllerrevision', cr, { name: 'data required', mutate: (o) => { delete o.data; }, field: 'data', message: 'Required value: data is mandatory' }],
  ['controllerrevision', cr, { name: 'negative revision', mutate: (o) => { o.revision = -1; }, field: 'revision', message: 'Invalid value: -1: must be greater than or equal to 0' }],
  ['podtemplate', pt, { name: 'template validated', mutate: (o) => { o.template.spec.containers = []; }, field: 'template.spec.containers', message: 'Required value' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

function changed(base: () => any, mutate: (o: any) => void) {
  const old = stored(base);
  const next = structuredClone(old);
  mutate(next);
  return update(next, old);
}

test('deployment update: selector is immutable', () => {
  expectError(changed(deploy, (o) => { o.spec.selector = { matchLabels: { app: 'web', tier: 'fe' } }; o.spec.template.metadata.labels.tier = 'fe'; }), 'spec.selector',
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable');
});
test('deployment update: replicas and image may change', () => expectValid(changed(deploy, (o) => { o.spec.replicas = 5; o.spec.template.spec.containers[0].image = 'nginx:2'; })));
test('replicaset update: selector is immutable', () => {
  expectError(changed(rs, (o) => { o.spec.selector.matchLabels.x = 'y'; o.spec.template.metadata.labels.x = 'y'; }), 'spec.selector',
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "x":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable');
});
test('daemonset update: selector is immutable', () => {
  const errs = changed(ds, (o) => { o.spec.selector.matchLabels.x = 'y'; o.spec.template.metadata.labels.x = 'y'; });
  if (!errs.some((e) => e.field === 'spec.selector' && e.message.endsWith(': field is immutable'))) throw new Error(JSON.stringify(errs));
});
test('statefulset update: only some fields may change', () => {
  expectValid(changed(sts, (o) => { o.spec.replicas = 3; o.spec.template.spec.containers[0].image = 'x:2'; o.spec.updateStrategy = { type: 'OnDelete' }; }));
  expectError(changed(sts, (o) => { o.spec.serviceName = 'other'; }), 'spec',
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
});
test('controllerrevision update: data is immutable', () => {
  expectError(changed(cr, (o) => { o.data = { spec: { x: 1 } }; }), 'data', 'Invalid value: {"spec":{"x":1}}: field is immutable');
});
