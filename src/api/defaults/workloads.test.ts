import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';
import { findByKind } from '../resources.ts';

const tpl = () => ({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
const defaultedTpl = {
  metadata: { labels: { app: 'a' }, creationTimestamp: null },
  spec: {
    containers: [{ name: 'c', image: 'x:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} }],
    dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler',
  },
};
const sel = { matchLabels: { app: 'a' } };

const table: [string, string, any, any][] = [
  ['apps/v1', 'Deployment', { selector: sel, template: tpl() }, {
    selector: sel, template: defaultedTpl, replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
  }],
  ['apps/v1', 'Deployment', { selector: sel, template: tpl(), strategy: { type: 'Recreate' }, replicas: 0 }, {
    selector: sel, template: defaultedTpl, strategy: { type: 'Recreate' }, replicas: 0, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
  }],
  ['apps/v1', 'ReplicaSet', { selector: sel, template: tpl() }, { selector: sel, template: defaultedTpl, replicas: 1 }],
  ['apps/v1', 'StatefulSet', { selector: sel, serviceName: 's', template: tpl(),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } }] }, {
    selector: sel, serviceName: 's', template: defaultedTpl,
    volumeClaimTemplates: [{ metadata: { name: 'data', creationTimestamp: null },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, replicas: 1, revisionHistoryLimit: 10,
  }],
  ['apps/v1', 'StatefulSet', { selector: sel, template: tpl(), updateStrategy: { type: 'OnDelete' } }, {
    selector: sel, template: defaultedTpl, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'OnDelete' },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, replicas: 1, revisionHistoryLimit: 10,
  }],
  ['apps/v1', 'DaemonSet', { selector: sel, template: tpl() }, {
    selector: sel, template: defaultedTpl, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10,
  }],
  ['v1', 'ReplicationController', { template: tpl() }, { template: defaultedTpl, selector: { app: 'a' }, replicas: 1 }],
];
for (const [apiVersion, kind, spec, want] of table) {
  test(`defaults: ${kind} ${JSON.stringify(spec).slice(0, 60)}`, () => {
    const obj: any = { apiVersion, kind, metadata: { name: 'x' }, spec };
    applyDefaults(findByKind(apiVersion, kind)!, obj);
    assert.deepEqual(obj.spec, want);
    const again = structuredClone(obj);
    applyDefaults(findByKind(apiVersion, kind)!, again);
    assert.deepEqual(again, obj);
  });
}

test('defaults: ReplicationController takes its labels from the template', () => {
  const rc: any = { metadata: { name: 'x' }, spec: { template: tpl() } };
  applyDefaults(findByKind('v1', 'ReplicationController')!, rc);
  assert.deepEqual(rc.metadata.labels, { app: 'a' });
});
