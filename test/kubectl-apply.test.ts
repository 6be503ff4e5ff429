// kubectl apply against a real Pilot server: client-side (three-way strategic
// merge from last-applied-configuration), server-side (managedFields, conflicts,
// --force-conflicts), --dry-run=server and diff; and the same basics with the
// oldest and newest kubectl on the machine, which discover the API differently.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pilot, run, type RunResult } from './helpers/pilot.ts';

// These tests pin what the API server itself returns for workload objects, so
// the workload controllers (tested in workloads-*.test.ts) do not act on them.
const API_ONLY_WORKLOADS = ['--controllers', '*,-replicaset,-deployment'];
import { deploymentObj, namespaceObj, parseTable, serviceObj, webStack, yamlDocs, type DeploymentSpec } from './helpers/manifests.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface ManagedFieldsEntry { manager: string; operation: string; apiVersion: string; subresource?: string; fieldsV1: Record<string, unknown> }

describe('kubectl apply', () => {
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: API_ONLY_WORKLOADS });

  before(async () => { await pilot.start(); });
  after(async () => { await pilot.dispose(); });

  const ns = (name: string): Promise<string> => pilot.k(['create', '-f', '-'], { input: yamlDocs(namespaceObj(name)) });
  const apply = (spec: DeploymentSpec, extra: string[] = []): Promise<RunResult> =>
    pilot.kubectl(['apply', ...extra, '-f', '-'], { input: yamlDocs(deploymentObj(spec)) });
  const mustApply = async (spec: DeploymentSpec, extra: string[] = []): Promise<string> => {
    const r = await apply(spec, extra);
    assert.equal(r.code, 0, `apply ${extra.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getDeploy = (name: string, namespace: string, managed = false): Promise<any> =>
    pilot.json(['get', 'deploy', name, '-n', namespace, ...(managed ? ['--show-managed-fields'] : [])]);
  const envOf = (d: { spec: { template: { spec: { containers: { env?: unknown }[] } } } }): unknown => d.spec.template.spec.containers[0].env;

  test('client-side: create, unchanged, then modify — the live object follows the config exactly', async () => {
    await ns('csa');
    const v1: DeploymentSpec = {
      name: 'web', namespace: 'csa', replicas: 2, labels: { app: 'web', tier: 'front' },
      containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1', B: '2' } }],
    };
    assert.equal(await mustApply(v1), 'deployment.apps/web created\n');
    let d = await getDeploy('web', 'csa');
    const annotation = JSON.parse(d.metadata.annotations[LAST_APPLIED]) as { spec: { replicas: number }; metadata: { labels: Record<string, string> } };
    assert.equal(annotation.spec.replicas, 2);
    assert.deepEqual(annotation.metadata.labels, { app: 'web', tier: 'front' });
    assert.equal(await mustApply(v1), 'deployment.apps/web unchanged\n');
    const rv = d.metadata.resourceVersion as string;
    assert.equal((await getDeploy('web', 'csa')).metadata.resourceVersion, rv, 'unchanged means no write');

    // Someone else adds a label: apply must keep what it never managed.
    await pilot.k(['label', 'deploy', 'web', '-n', 'csa', 'owner=ops']);

    const v2: DeploymentSpec = { ...v1, replicas: 3, labels: { app: 'web' }, containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1', C: '3' } }] };
    assert.equal(await mustApply(v2), 'deployment.apps/web configured\n');
    d = await getDeploy('web', 'csa');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.metadata.labels, { app: 'web', owner: 'ops' }, 'tier removed (was applied), owner kept (was not)');
    assert.deepEqual(envOf(d), [{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
    assert.equal(d.metadata.generation, 2);
    const ann2 = JSON.parse(d.metadata.annotations[LAST_APPLIED]) as { spec: { replicas: number; template: { spec: { containers: { env: { name: string }[] }[] } } } };
    assert.equal(ann2.spec.replicas, 3);
    assert.deepEqual(ann2.spec.template.spec.containers[0].env.map((e) => e.name), ['A', 'C']);

    // Removing the env list altogether removes it from the live object.
    const v3: DeploymentSpec = { ...v2, containers: [{ name: 'main', image: 'nginx:1.26' }] };
    assert.equal(await mustApply(v3), 'deployment.apps/web configured\n');
    d = await getDeploy('web', 'csa');
    assert.equal(envOf(d), undefined);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'defaults stay');
  });

  test('client-side: a multi-document stack applies, then re-applies as unchanged', async () => {
    assert.equal(await pilot.k(['apply', '-f', '-'], { input: webStack('csa-stack') }), [
      'namespace/csa-stack created', 'configmap/web-config created', 'deployment.apps/web created', 'service/web created',
    ].join('\n') + '\n');
    assert.equal(await pilot.k(['apply', '-f', '-'], { input: webStack('csa-stack') }), [
      'namespace/csa-stack unchanged', 'configmap/web-config unchanged', 'deployment.apps/web unchanged', 'service/web unchanged',
    ].join('\n') + '\n');
    assert.equal(await pilot.k(['apply', '-f', '-'], { input: webStack('csa-stack', 4) }), [
      'namespace/csa-stack unchanged', 'configmap/web-config unchanged', 'deployment.apps/web configured', 'service/web unchanged',
    ].join('\n') + '\n');
    assert.equal((await getDeploy('web', 'csa-stack')).spec.replicas, 4);
  });

  test('client-side: a Service keeps its allocated clusterIP across applies; removed ports go', async () => {
    await ns('csa-svc');
    const svc = (ports: { name: string; port: number; targetPort: number }[]): string => yamlDocs(serviceObj('s', 'csa-svc', { app: 's' }, ports));
    await pilot.k(['apply', '-f', '-'], { input: svc([{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }]) });
    const ip = (await pilot.json(['get', 'svc', 's', '-n', 'csa-svc'])).spec.clusterIP as string;
    assert.match(ip, /^10\.43\.\d+\.\d+$/);
    assert.equal(await pilot.k(['apply', '-f', '-'], { input: svc([{ name: 'http', port: 80, targetPort: 9090 }]) }), 'service/s configured\n');
    const s = await pilot.json(['get', 'svc', 's', '-n', 'csa-svc']);
    assert.equal(s.spec.clusterIP, ip);
    assert.deepEqual(s.spec.ports, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 9090 }]);
  });

  test('diff: exit 1 with a diff when the config differs, 0 when it matches; nothing is written', async () => {
    await ns('diff');
    const spec: DeploymentSpec = { name: 'web', namespace: 'diff', replicas: 2 };
    const fresh = await pilot.kubectl(['diff', '-f', '-'], { input: yamlDocs(deploymentObj(spec)) });
    assert.equal(fresh.code, 1, fresh.stderr);
    assert.match(fresh.stdout, /^\+ {2}name: web$/m, 'a new object diffs against nothing');
    assert.equal((await pilot.kubectl(['get', 'deploy', 'web', '-n', 'diff'])).code, 1, 'diff does not create');

    await mustApply(spec);
    const rv = (await getDeploy('web', 'diff')).metadata.resourceVersion as string;
    const same = await pilot.kubectl(['diff', '-f', '-'], { input: yamlDocs(deploymentObj(spec)) });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, '');

    const changed = await pilot.kubectl(['diff', '-f', '-'], { input: yamlDocs(deploymentObj({ ...spec, replicas: 5, labels: { app: 'web', extra: 'yes' } })) });
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^- {2}replicas: 2$/m);
    assert.match(changed.stdout, /^\+ {2}replicas: 5$/m);
    assert.match(changed.stdout, /^\+ {4}extra: "yes"$/m);
    assert.match(changed.stdout, /^-  generation: 1$/m);
    assert.match(changed.stdout, /^\+  generation: 2$/m);
    const d = await getDeploy('web', 'diff');
    assert.equal(d.metadata.resourceVersion, rv);
    assert.equal(d.spec.replicas, 2);

    const ssa = await pilot.kubectl(['diff', '--server-side', '-f', '-'], { input: yamlDocs(deploymentObj({ ...spec, replicas: 6 })) });
    assert.equal(ssa.code, 1, ssa.stderr);
    assert.match(ssa.stdout, /^\+ {2}replicas: 6$/m);
  });

  test('apply --dry-run=server changes nothing', async () => {
    await ns('dry');
    const spec: DeploymentSpec = { name: 'web', namespace: 'dry', replicas: 2 };
    assert.equal(await mustApply(spec, ['--dry-run=server']), 'deployment.apps/web created (server dry run)\n');
    assert.equal((await pilot.kubectl(['get', 'deploy', 'web', '-n', 'dry'])).code, 1);
    await mustApply(spec);
    const before = await getDeploy('web', 'dry');
    assert.equal(await mustApply({ ...spec, replicas: 9 }, ['--dry-run=server']), 'deployment.apps/web configured (server dry run)\n');
    assert.equal(await mustApply({ ...spec, replicas: 9 }, ['--server-side', '--dry-run=server']), 'deployment.apps/web serverside-applied (server dry run)\n');
    const afterDry = await getDeploy('web', 'dry');
    assert.equal(afterDry.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(afterDry.spec.replicas, 2);
    assert.equal(afterDry.metadata.annotations[LAST_APPLIED], before.metadata.annotations[LAST_APPLIED]);
  });

  test('server-side: create, modify, dropped fields removed; managedFields name kubectl', async () => {
    await ns('ssa');
    const v1: DeploymentSpec = {
      name: 'web', namespace: 'ssa', replicas: 2, labels: { app: 'web', tier: 'front' },
      containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1', B: '2' } }],
    };
    assert.equal(await mustApply(v1, ['--server-side']), 'deployment.apps/web serverside-applied\n');
    let d = await getDeploy('web', 'ssa', true);
    assert.equal(d.metadata.annotations?.[LAST_APPLIED], undefined, 'server-side apply keeps no last-applied annotation');
    const mf = d.metadata.managedFields as ManagedFieldsEntry[];
    assert.deepEqual(mf.map((e) => [e.manager, e.operation, e.apiVersion]), [['kubectl', 'Apply', 'apps/v1']]);
    const owned = mf[0].fieldsV1 as { 'f:spec': Record<string, unknown>; 'f:metadata': { 'f:labels': Record<string, unknown> } };
    assert.ok('f:replicas' in owned['f:spec']);
    assert.deepEqual(Object.keys(owned['f:metadata']['f:labels']).sort(), ['f:app', 'f:tier']);

    const v2: DeploymentSpec = { ...v1, replicas: 3, labels: { app: 'web' }, containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1' } }] };
    assert.equal(await mustApply(v2, ['--server-side']), 'deployment.apps/web serverside-applied\n');
    d = await getDeploy('web', 'ssa', true);
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.metadata.labels, { app: 'web' });
    assert.deepEqual(envOf(d), [{ name: 'A', value: '1' }]);
    assert.equal(d.metadata.generation, 2);
    const labels = (d.metadata.managedFields as ManagedFieldsEntry[])[0].fieldsV1 as { 'f:metadata': { 'f:labels': Record<string, unknown> } };
    assert.deepEqual(Object.keys(labels['f:metadata']['f:labels']), ['f:app']);

    // Another field manager may not change what kubectl applied...
    const steal = await apply({ ...v2, containers: [{ name: 'main', image: 'nginx:1.27', env: { A: '1' } }] }, ['--server-side', '--field-manager=ci']);
    assert.equal(steal.code, 1);
    assert.match(steal.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl": \.spec\.template\.spec\.containers\[name="main"\]\.image$/m);
    // ...but may add fields of its own with a partial configuration.
    const partial = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ssa', labels: { ci: 'true' } } };
    assert.equal(await pilot.k(['apply', '--server-side', '--field-manager=ci', '-f', '-'], { input: yamlDocs(partial) }), 'deployment.apps/web serverside-applied\n');
    d = await getDeploy('web', 'ssa', true);
    assert.deepEqual(d.metadata.labels, { app: 'web', ci: 'true' });
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.spec.replicas, 3, 'fields ci does not mention are left alone');
    assert.deepEqual((d.metadata.managedFields as ManagedFieldsEntry[]).map((e) => `${e.manager}/${e.operation}`).sort(), ['ci/Apply', 'kubectl/Apply']);
  });

  test('client-side then server-side: kubectl migrates ownership, so fields dropped later are removed', async () => {
    await ns('csa-to-ssa');
    const v1: DeploymentSpec = {
      name: 'web', namespace: 'csa-to-ssa', replicas: 2, labels: { app: 'web', tier: 'front' },
      containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1', B: '2' } }],
    };
    await mustApply(v1);
    const v2: DeploymentSpec = { ...v1, labels: { app: 'web' }, containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1' } }] };
    assert.equal(await mustApply(v2, ['--server-side']), 'deployment.apps/web serverside-applied\n');
    const d = await getDeploy('web', 'csa-to-ssa', true);
    assert.deepEqual(d.metadata.labels, { app: 'web' });
    assert.deepEqual(envOf(d), [{ name: 'A', value: '1' }]);
    const managers = (d.metadata.managedFields as ManagedFieldsEntry[]).map((e) => e.manager);
    assert.ok(managers.includes('kubectl'), managers.join(','));
    assert.ok(!managers.includes('kubectl-client-side-apply'), `client-side ownership was migrated: ${managers.join(',')}`);
  });

  test('server-side: conflicts with kubectl scale and with another manager; --force-conflicts wins', async () => {
    await ns('ssa-conflict');
    const spec: DeploymentSpec = { name: 'web', namespace: 'ssa-conflict', replicas: 2 };
    await mustApply(spec, ['--server-side']);
    await pilot.k(['scale', 'deploy', 'web', '-n', 'ssa-conflict', '--replicas=7']);

    // The same value as the live one is co-ownership, not a conflict.
    assert.equal(await mustApply({ ...spec, replicas: 7 }, ['--server-side']), 'deployment.apps/web serverside-applied\n');
    await pilot.k(['scale', 'deploy', 'web', '-n', 'ssa-conflict', '--replicas=8']);

    const conflict = await apply({ ...spec, replicas: 3 }, ['--server-side']);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /^error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas$/m);
    assert.match(conflict.stderr, /--force-conflicts/);
    assert.equal((await getDeploy('web', 'ssa-conflict')).spec.replicas, 8);

    assert.equal(await mustApply({ ...spec, replicas: 3 }, ['--server-side', '--force-conflicts']), 'deployment.apps/web serverside-applied\n');
    let d = await getDeploy('web', 'ssa-conflict', true);
    assert.equal(d.spec.replicas, 3);
    const ownersOfReplicas = (d.metadata.managedFields as ManagedFieldsEntry[])
      .filter((e) => 'f:replicas' in ((e.fieldsV1['f:spec'] ?? {}) as Record<string, unknown>)).map((e) => `${e.manager}/${e.operation}`);
    assert.deepEqual(ownersOfReplicas, ['kubectl/Apply']);

    // A patch by another field manager takes the field too.
    await pilot.k(['patch', 'deploy', 'web', '-n', 'ssa-conflict', '--type=merge', '--field-manager=hpa', '-p', '{"spec":{"replicas":4}}']);
    const c2 = await apply({ ...spec, replicas: 5 }, ['--server-side']);
    assert.equal(c2.code, 1);
    assert.match(c2.stderr, /Apply failed with 1 conflict: conflict with "hpa" using apps\/v1: \.spec\.replicas/);
    await mustApply({ ...spec, replicas: 5 }, ['--server-side', '--force-conflicts']);
    d = await getDeploy('web', 'ssa-conflict');
    assert.equal(d.spec.replicas, 5);
  });

  test('server-side: a Service keeps its clusterIP; ports are a map keyed by port and protocol', async () => {
    await ns('ssa-svc');
    const svc = (ports: { name: string; port: number; targetPort: number }[]): string => yamlDocs(serviceObj('s', 'ssa-svc', { app: 's' }, ports));
    await pilot.k(['apply', '--server-side', '-f', '-'], { input: svc([{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }]) });
    const ip = (await pilot.json(['get', 'svc', 's', '-n', 'ssa-svc'])).spec.clusterIP as string;
    await pilot.k(['apply', '--server-side', '-f', '-'], { input: svc([{ name: 'https', port: 443, targetPort: 9443 }]) });
    const s = await pilot.json(['get', 'svc', 's', '-n', 'ssa-svc']);
    assert.equal(s.spec.clusterIP, ip);
    assert.deepEqual(s.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 9443 }]);
  });
});

// Older kubectl releases discover through the legacy endpoints only, newer ones
// through aggregated discovery; each gets its own discovery cache.
const SDK = '/usr/lib/google-cloud-sdk/bin';
for (const minor of ['27', '33']) {
  const bin = path.join(SDK, `kubectl.1.${minor}`);
  describe(`kubectl 1.${minor}: create, get, apply`, { skip: !fs.existsSync(bin) && `${bin} is not installed` }, () => {
    const pilot = new Pilot({ datastore: 'memory://', extraArgs: API_ONLY_WORKLOADS });
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), `pilot-kc${minor}-`));
    const k = async (args: string[], input?: string): Promise<RunResult> =>
      run(bin, ['--kubeconfig', pilot.kubeconfig, '--cache-dir', cache, ...args], { input });
    const ok = async (args: string[], input?: string): Promise<string> => {
      const r = await k(args, input);
      assert.equal(r.code, 0, `kubectl.1.${minor} ${args.join(' ')}:\n${r.stderr}`);
      return r.stdout;
    };

    before(async () => { await pilot.start(); });
    after(async () => {
      await pilot.dispose();
      fs.rmSync(cache, { recursive: true, force: true });
    });

    test('create -f (multi-document) and get', async () => {
      const ns = `v${minor}`;
      assert.equal(await ok(['create', '-f', '-'], webStack(ns)), [
        `namespace/${ns} created`, 'configmap/web-config created', 'deployment.apps/web created', 'service/web created',
      ].join('\n') + '\n');
      const t = parseTable(await ok(['get', 'deploy', '-n', ns]));
      assert.deepEqual(t.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      assert.equal(t.rows[0].READY, '0/2');
      const svc = parseTable(await ok(['get', 'svc', 'web', '-n', ns]));
      assert.match(svc.rows[0]['CLUSTER-IP'], /^10\.43\.\d+\.\d+$/);
      assert.equal(await ok(['get', 'all', '-n', ns, '-o', 'name']), 'service/web\ndeployment.apps/web\n');
      assert.equal(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '2');
      const missing = await k(['get', 'deploy', 'nope', '-n', ns]);
      assert.equal(missing.stderr.trim(), 'Error from server (NotFound): deployments.apps "nope" not found');
    });

    test('apply client-side and server-side, diff', async () => {
      const ns = `a${minor}`;
      await ok(['create', '-f', '-'], yamlDocs(namespaceObj(ns)));
      const spec: DeploymentSpec = { name: 'web', namespace: ns, replicas: 2, labels: { app: 'web', tier: 'front' } };
      assert.equal(await ok(['apply', '-f', '-'], yamlDocs(deploymentObj(spec))), 'deployment.apps/web created\n');
      assert.equal(await ok(['apply', '-f', '-'], yamlDocs(deploymentObj({ ...spec, replicas: 3, labels: { app: 'web' } }))), 'deployment.apps/web configured\n');
      let d = JSON.parse(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json'])) as { spec: { replicas: number }; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      assert.equal(d.spec.replicas, 3);
      assert.deepEqual(d.metadata.labels, { app: 'web' });
      assert.ok(d.metadata.annotations[LAST_APPLIED]);

      const diff = await k(['diff', '-f', '-'], yamlDocs(deploymentObj({ ...spec, replicas: 4, labels: { app: 'web' } })));
      assert.equal(diff.code, 1, diff.stderr);
      assert.match(diff.stdout, /^\+ {2}replicas: 4$/m);

      const ssa = await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], yamlDocs(deploymentObj({ ...spec, replicas: 5, labels: { app: 'web' } })));
      assert.equal(ssa, 'deployment.apps/web serverside-applied\n');
      d = JSON.parse(await ok(['get', 'deploy', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as typeof d & { metadata: { managedFields: ManagedFieldsEntry[] } };
      assert.equal(d.spec.replicas, 5);
      assert.ok((d.metadata as unknown as { managedFields: ManagedFieldsEntry[] }).managedFields.some((e) => e.manager === 'kubectl' && e.operation === 'Apply'));
    });
  });
}
