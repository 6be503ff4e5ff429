import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { EnvConfigError, resolveEnv, type EnvLookups } from './env.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const lookups: EnvLookups = {
  configMap: async (ns, name) => (ns === 'default' && name === 'cfg' ? { data: { MODE: 'fast', 'bad key': 'x', word: 'hi' } } as ConfigMap : undefined),
  secret: async (ns, name) => (name === 'sec' ? { data: { PASSWORD: b64('s3cret') } } as Secret : undefined),
};

function pod(env: NonNullable<Pod['spec']>['containers'][0]): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1', labels: { app: 'web' } },
    spec: { nodeName: 'n1', serviceAccountName: 'default', containers: [env] },
  };
}

test('env: envFrom first (prefix, invalid names skipped), then env with $(VAR) and valueFrom', async () => {
  const c = {
    name: 'c',
    resources: { limits: { memory: '64Mi', cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }],
    env: [
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)-$(MODE)-$(MISSING)-$$(A)' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'W', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'word' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'MODE', value: 'slow' },
    ],
  };
  const env = await resolveEnv(pod(c), c, lookups, { podIP: '10.42.0.9' });
  assert.deepEqual(env, [
    { name: 'MODE', value: 'slow' }, { name: 'word', value: 'hi' }, { name: 'S_PASSWORD', value: 's3cret' },
    { name: 'A', value: 'x' }, { name: 'B', value: 'x-fast-$(MISSING)-$(A)' }, { name: 'POD', value: 'p' }, { name: 'APP', value: 'web' },
    { name: 'IP', value: '10.42.0.9' }, { name: 'NODE', value: 'n1' }, { name: 'W', value: 'hi' }, { name: 'PW', value: 's3cret' },
    { name: 'MEM', value: '64' }, { name: 'CPU', value: '1' },
  ]);
});

test('env: missing ConfigMap, Secret or key is a CreateContainerConfigError unless optional', async () => {
  const c1 = { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] };
  await assert.rejects(resolveEnv(pod(c1), c1, lookups), (e: Error) => e instanceof EnvConfigError && e.message === 'configmap "nope" not found');
  const c2 = { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'sec', key: 'nokey' } } }] };
  await assert.rejects(resolveEnv(pod(c2), c2, lookups), /couldn't find key nokey in Secret default\/sec/);
  const c3 = { name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] };
  await assert.rejects(resolveEnv(pod(c3), c3, lookups), /secret "gone" not found/);
  const c4 = { name: 'c', envFrom: [{ secretRef: { name: 'gone', optional: true } }] };
  assert.deepEqual(await resolveEnv(pod(c4), c4, lookups), []);
});
