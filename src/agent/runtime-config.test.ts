import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { containerConfig, expandVars, linuxResources, podSandboxConfig, LABEL_POD_UID, LABEL_CONTAINER_NAME } from './runtime-config.ts';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u1', labels: { app: 'web' } },
  spec: {
    terminationGracePeriodSeconds: 5,
    securityContext: { runAsUser: 1000 },
    containers: [{
      name: 'c', image: 'img:1', command: ['sh', '-c'], args: ['echo $(GREETING)'], workingDir: '/w',
      ports: [{ containerPort: 80, hostPort: 8080 }],
      securityContext: { readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] } },
    }],
  },
};

test('sandbox config: metadata, hostname, labels for finding the pod again, namespaces, port mappings', () => {
  const c = podSandboxConfig(pod, 2, { logDirectory: '/logs/prod_web_u1', cgroupParent: '/pilot-x/podu1' });
  assert.deepEqual(c.metadata, { name: 'web', namespace: 'prod', uid: 'u1', attempt: 2 });
  assert.equal(c.hostname, 'web');
  assert.equal(c.labels?.[LABEL_POD_UID], 'u1');
  assert.equal(c.labels?.app, 'web');
  assert.deepEqual(c.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }]);
  assert.deepEqual(c.linux?.securityContext?.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  assert.equal(c.linux?.cgroupParent, '/pilot-x/podu1');
  const host = podSandboxConfig({ ...pod, spec: { ...pod.spec!, hostNetwork: true } }, 0, { logDirectory: '/l', cgroupParent: '/c' });
  assert.equal(host.hostname, '');
  assert.equal(host.linux?.securityContext?.namespaceOptions?.network, 'NODE');
});

test('container config: command/args with $(VAR), env, working dir, security, log path, labels', () => {
  const c = containerConfig(pod, pod.spec!.containers[0], { attempt: 3, kind: 'app', env: [{ name: 'GREETING', value: 'hi' }], imageRef: 'sha256:abc' });
  assert.deepEqual(c.command, ['sh', '-c']);
  assert.deepEqual(c.args, ['echo hi']);
  assert.equal(c.workingDir, '/w');
  assert.deepEqual(c.envs, [{ key: 'GREETING', value: 'hi' }]);
  assert.deepEqual(c.metadata, { name: 'c', attempt: 3 });
  assert.equal(c.image.image, 'sha256:abc');
  assert.equal(c.logPath, 'c/3.log');
  assert.equal(c.labels?.[LABEL_CONTAINER_NAME], 'c');
  assert.equal(c.annotations?.['io.kubernetes.container.restartCount'], '3');
  assert.equal(c.linux?.securityContext?.readonlyRootfs, true);
  assert.deepEqual(c.linux?.securityContext?.runAsUser, { value: 1000 });
  assert.deepEqual(c.linux?.securityContext?.capabilities?.addCapabilities, ['NET_ADMIN']);
});

test('resources: cpu request → shares, cpu limit → CFS quota, memory limit → bytes', () => {
  assert.deepEqual(linuxResources({ name: 'c', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } }),
    { cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 64 * 1024 * 1024 });
  assert.deepEqual(linuxResources({ name: 'c' }), { cpuShares: 2 });
  assert.equal(linuxResources({ name: 'c', resources: { limits: { cpu: '2' } } }).cpuShares, 2048);
});

test('$(VAR) expansion: defined names replaced, $$ escapes, unknown and unterminated kept', () => {
  const v = new Map([['A', '1'], ['B', '2']]);
  assert.equal(expandVars('$(A)$(B)', v), '12');
  assert.equal(expandVars('$$(A) $(C) $(A', v), '$(A) $(C) $(A');
  assert.equal(expandVars('cost $5 $', v), 'cost $5 $');
});
