// kubectl's write side against a real Pilot server: create (file, stdin,
// multi-document), the errors users see (AlreadyExists, NotFound, Invalid,
// strict field validation), edit, patch (strategic, merge, json), label,
// annotate, scale, replace and delete in its variants.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pilot } from './helpers/pilot.ts';

// These tests pin what the API server itself returns for workload objects, so
// the workload controllers (tested in workloads-*.test.ts) do not act on them.
const API_ONLY_WORKLOADS = ['--controllers', '*,-replicaset,-deployment'];
import { configMapObj, deploymentObj, namespaceObj, parseTable, podObj, webStack, yamlDocs } from './helpers/manifests.ts';

describe('kubectl create, edit, patch, label, scale, delete', () => {
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: API_ONLY_WORKLOADS });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-kcrud-'));

  before(async () => { await pilot.start(); });
  after(async () => {
    await pilot.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ns = (name: string): Promise<string> => pilot.k(['create', '-f', '-'], { input: yamlDocs(namespaceObj(name)) });
  const deploy = (name: string, namespace: string, replicas = 2): Promise<string> =>
    pilot.k(['create', '-f', '-'], { input: yamlDocs(deploymentObj({ name, namespace, replicas })) });
  const jp = async (args: string[], expr: string): Promise<string> => pilot.k([...args, '-o', `jsonpath=${expr}`]);
  const write = (name: string, text: string): string => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };

  test('create -f FILE with several documents, in order', async () => {
    const file = write('stack.yaml', webStack('crud-file'));
    assert.equal(await pilot.k(['create', '-f', file]), [
      'namespace/crud-file created',
      'configmap/web-config created',
      'deployment.apps/web created',
      'service/web created',
    ].join('\n') + '\n');
    assert.equal(await pilot.k(['get', 'cm,deploy,svc', '-n', 'crud-file', '-l', 'app=web', '-o', 'name']),
      'configmap/web-config\ndeployment.apps/web\n');
    assert.equal(await jp(['get', 'cm', 'web-config', '-n', 'crud-file'], '{.data.mode}'), 'prod');
    assert.equal(await jp(['get', 'svc', 'web', '-n', 'crud-file'], '{.spec.ports[0].port}/{.spec.ports[0].protocol}'), '80/TCP');
    const d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-file']);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.metadata.labels, { app: 'web', tier: 'front' });
    assert.equal(d.metadata.generation, 1);
  });

  test('create -f - (stdin) with several documents', async () => {
    const out = await pilot.k(['create', '-f', '-'], { input: webStack('crud-stdin', 3) });
    assert.equal(out.split('\n').filter(Boolean).length, 4, out);
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-stdin'], '{.spec.replicas}'), '3');
    // A namespace given on the command line applies to objects without one.
    assert.equal(await pilot.k(['create', '-n', 'crud-stdin', '-f', '-'], { input: yamlDocs({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nons' }, data: { k: 'v' } }) }),
      'configmap/nons created\n');
    assert.equal(await jp(['get', 'cm', 'nons', '-n', 'crud-stdin'], '{.metadata.namespace}'), 'crud-stdin');
  });

  test('errors: AlreadyExists, NotFound, missing namespace', async () => {
    await ns('crud-err');
    await deploy('web', 'crud-err');
    const again = await pilot.kubectl(['create', '-f', '-'], { input: yamlDocs(deploymentObj({ name: 'web', namespace: 'crud-err' })) });
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "web" already exists');

    const missing = await pilot.kubectl(['get', 'deploy', 'nope', '-n', 'crud-err']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): deployments.apps "nope" not found');

    const missingCm = await pilot.kubectl(['get', 'configmap', 'nope', '-n', 'crud-err']);
    assert.equal(missingCm.stderr.trim(), 'Error from server (NotFound): configmaps "nope" not found');

    const noNs = await pilot.kubectl(['create', '-f', '-'], { input: yamlDocs(configMapObj('x', 'no-such-ns', { a: 'b' })) });
    assert.equal(noNs.code, 1);
    assert.equal(noNs.stderr.trim(), 'Error from server (NotFound): error when creating "STDIN": namespaces "no-such-ns" not found');

    const noType = await pilot.kubectl(['get', 'nosuchkind']);
    assert.equal(noType.code, 1);
    assert.match(noType.stderr, /the server doesn't have a resource type "nosuchkind"/);
  });

  test('errors: invalid objects are 422 with upstream messages', async () => {
    await ns('crud-invalid');
    const mismatch = await pilot.kubectl(['create', '-f', '-'], {
      input: yamlDocs(deploymentObj({ name: 'x', namespace: 'crud-invalid', selector: { app: 'x' }, templateLabels: { app: 'other' } })),
    });
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stderr.trim(),
      'The Deployment "x" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`');

    const two = await pilot.kubectl(['create', '-f', '-'], {
      input: yamlDocs(deploymentObj({ name: 'y', namespace: 'crud-invalid', replicas: -1, containers: [{ name: 'c', image: '' }] })),
    });
    assert.equal(two.code, 1);
    assert.equal(two.stderr.trim(), [
      'The Deployment "y" is invalid: ',
      '* spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      '* spec.template.spec.containers[0].image: Required value',
    ].join('\n'));

    const badName = await pilot.kubectl(['create', '-f', '-'], { input: yamlDocs(configMapObj('Bad_Name', 'crud-invalid', {})) });
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /^The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);

    assert.equal((await pilot.kubectl(['get', 'deploy', 'x', 'y', '-n', 'crud-invalid', '-o', 'name'])).stdout, '', 'nothing was stored');
  });

  test('field validation: --validate=strict, warn and false', async () => {
    await ns('crud-validate');
    const withUnknown = (name: string): string => yamlDocs(deploymentObj({ name, namespace: 'crud-validate', extraSpec: { foo: 'bar' } }));

    const strict = await pilot.kubectl(['create', '--validate=strict', '-f', '-'], { input: withUnknown('s') });
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /^Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.foo"$/m);
    assert.equal((await pilot.kubectl(['get', 'deploy', 's', '-n', 'crud-validate'])).code, 1, 'strict rejection stores nothing');

    // Strict is kubectl's default.
    const dflt = await pilot.kubectl(['create', '-f', '-'], { input: withUnknown('d') });
    assert.equal(dflt.code, 1);
    assert.match(dflt.stderr, /unknown field "spec\.foo"/);

    const warn = await pilot.kubectl(['create', '--validate=warn', '-f', '-'], { input: withUnknown('w') });
    assert.equal(warn.code, 0, warn.stderr);
    assert.equal(warn.stdout, 'deployment.apps/w created\n');
    assert.match(warn.stderr, /^Warning: unknown field "spec\.foo"$/m);
    const stored = await pilot.json(['get', 'deploy', 'w', '-n', 'crud-validate']);
    assert.equal(stored.spec.foo, undefined, 'unknown fields are dropped');

    const ignore = await pilot.kubectl(['create', '--validate=false', '-f', '-'], { input: withUnknown('i') });
    assert.equal(ignore.code, 0, ignore.stderr);
    assert.doesNotMatch(ignore.stderr, /unknown field/);
  });

  test('edit with a non-interactive KUBE_EDITOR', async () => {
    await ns('crud-edit');
    await deploy('web', 'crud-edit', 2);
    const editor = write('editor.sh', '#!/bin/sh\nsed -i "s/replicas: 2/replicas: 5/" "$1"\n');
    fs.chmodSync(editor, 0o755);
    const r = await pilot.kubectl(['edit', 'deploy', 'web', '-n', 'crud-edit'], { env: { KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps/web edited\n');
    const d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-edit']);
    assert.equal(d.spec.replicas, 5);
    assert.equal(d.metadata.generation, 2);

    // An edit the server rejects is reported, and the object stays as it was.
    const bad = write('bad-editor.sh', '#!/bin/sh\nsed -i "s/replicas: 5/replicas: -3/" "$1"\n');
    fs.chmodSync(bad, 0o755);
    const rej = await pilot.kubectl(['edit', 'deploy', 'web', '-n', 'crud-edit'], { env: { KUBE_EDITOR: bad } });
    assert.notEqual(rej.code, 0);
    assert.match(rej.stderr, /deployments\.apps "web" is invalid/);
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-edit'], '{.spec.replicas}'), '5');

    // An editor that changes nothing: nothing is sent.
    const noop = await pilot.kubectl(['edit', 'deploy', 'web', '-n', 'crud-edit'], { env: { KUBE_EDITOR: 'true' } });
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(noop.stderr + noop.stdout, /Edit cancelled, no changes made\./);
  });

  test('patch --type=strategic merges containers by name; $patch: delete removes one', async () => {
    await ns('crud-smp');
    await pilot.k(['create', '-f', '-'], {
      input: yamlDocs(deploymentObj({ name: 'web', namespace: 'crud-smp', containers: [{ name: 'main', image: 'nginx:1.25', env: { A: '1' } }] })),
    });
    const add = { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } };
    assert.equal(await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-smp', '--type=strategic', '-p', JSON.stringify(add)]), 'deployment.apps/web patched\n');
    let d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-smp']);
    // Upstream puts patch-only list items first, then the original ones.
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`), ['sidecar=busybox:1.36', 'main=nginx:1.25']);
    assert.deepEqual(d.spec.template.spec.containers[1].env, [{ name: 'A', value: '1' }], 'the existing container is untouched');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'the new container is defaulted');

    // Same name: merged into the existing container, env merged by name.
    const upd = { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1.27', env: [{ name: 'B', value: '2' }] }] } } } };
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-smp', '-p', JSON.stringify(upd)]);
    d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-smp']);
    const main = d.spec.template.spec.containers.find((c: { name: string }) => c.name === 'main');
    assert.equal(main.image, 'nginx:1.27');
    assert.deepEqual(main.env.map((e: { name: string }) => e.name).sort(), ['A', 'B']);
    assert.equal(d.spec.template.spec.containers.length, 2);

    const del = { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } };
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-smp', '-p', JSON.stringify(del)]);
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-smp'], '{.spec.template.spec.containers[*].name}'), 'main');

    // `kubectl set image` is a strategic merge patch too.
    assert.equal(await pilot.k(['set', 'image', 'deploy/web', '-n', 'crud-smp', 'main=nginx:1.28']), 'deployment.apps/web image updated\n');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-smp'], '{.spec.template.spec.containers[0].image}'), 'nginx:1.28');
  });

  test('patch --type=merge and --type=json', async () => {
    await ns('crud-patch');
    await deploy('web', 'crud-patch', 2);
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-patch', '--type=merge', '-p', '{"metadata":{"labels":{"x":"1","app":null}},"spec":{"replicas":3}}']);
    let d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-patch']);
    assert.deepEqual(d.metadata.labels, { x: '1' });
    assert.equal(d.spec.replicas, 3);
    // A merge patch replaces lists wholesale.
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-patch', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox:1.36"}]}}}}']);
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-patch'], '{.spec.template.spec.containers[*].name}'), 'only');

    const ops = [
      { op: 'replace', path: '/spec/replicas', value: 4 },
      { op: 'add', path: '/metadata/labels/y', value: '2' },
      { op: 'remove', path: '/metadata/labels/x' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'second', image: 'busybox:1.36' } },
    ];
    assert.equal(await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-patch', '--type=json', '-p', JSON.stringify(ops)]), 'deployment.apps/web patched\n');
    d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-patch']);
    assert.equal(d.spec.replicas, 4);
    assert.deepEqual(d.metadata.labels, { y: '2' });
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string }) => c.name), ['only', 'second']);

    // Upstream answers a JSON patch that does not apply with a bare 422 (no
    // details), which kubectl prints as below.
    const failing = await pilot.kubectl(['patch', 'deploy', 'web', '-n', 'crud-patch', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/absent"}]']);
    assert.equal(failing.code, 1);
    assert.equal(failing.stderr.trim(), 'The request is invalid: the server rejected our request due to an error in our request');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-patch'], '{.spec.replicas}'), '4');

    const noop = await pilot.kubectl(['patch', 'deploy', 'web', '-n', 'crud-patch', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
    assert.equal(noop.stdout, 'deployment.apps/web patched (no change)\n');
  });

  test('label and annotate: add, overwrite needs --overwrite, remove with key-', async () => {
    await ns('crud-label');
    await deploy('web', 'crud-label');
    const args = ['deploy', 'web', '-n', 'crud-label'];
    assert.equal(await pilot.k(['label', ...args, 'env=dev']), 'deployment.apps/web labeled\n');
    const clash = await pilot.kubectl(['label', ...args, 'env=prod']);
    assert.equal(clash.code, 1);
    assert.equal(clash.stderr.trim(), "error: 'env' already has a value (dev), and --overwrite is false");
    assert.equal(await pilot.k(['label', ...args, 'env=prod', '--overwrite']), 'deployment.apps/web labeled\n');
    assert.deepEqual((await pilot.json(['get', ...args])).metadata.labels, { app: 'web', env: 'prod' });
    assert.equal(await pilot.k(['label', ...args, 'env-']), 'deployment.apps/web unlabeled\n');
    assert.deepEqual((await pilot.json(['get', ...args])).metadata.labels, { app: 'web' });

    assert.equal(await pilot.k(['annotate', ...args, 'note=hello world']), 'deployment.apps/web annotated\n');
    const aclash = await pilot.kubectl(['annotate', ...args, 'note=bye']);
    assert.equal(aclash.code, 1);
    assert.match(aclash.stderr, /--overwrite is false but found the following declared annotation\(s\): 'note' already has a value \(hello world\)/);
    await pilot.k(['annotate', ...args, 'note=bye', '--overwrite']);
    assert.equal(await jp(['get', ...args], '{.metadata.annotations.note}'), 'bye');
    await pilot.k(['annotate', ...args, 'note-']);
    assert.equal((await pilot.json(['get', ...args])).metadata.annotations, undefined);

    // Several objects at once, chosen by selector.
    await pilot.k(['create', '-f', '-'], { input: yamlDocs(configMapObj('a', 'crud-label', {}, { grp: 'x' }), configMapObj('b', 'crud-label', {}, { grp: 'x' })) });
    assert.equal(await pilot.k(['label', 'cm', '-n', 'crud-label', '-l', 'grp=x', 'seen=yes']), 'configmap/a labeled\nconfigmap/b labeled\n');
    assert.equal(await pilot.k(['get', 'cm', '-n', 'crud-label', '-l', 'seen=yes', '-o', 'name']), 'configmap/a\nconfigmap/b\n');
  });

  test('scale: spec.replicas through the scale subresource; --current-replicas must match', async () => {
    await ns('crud-scale');
    await deploy('web', 'crud-scale', 2);
    assert.equal(await pilot.k(['scale', 'deploy', 'web', '-n', 'crud-scale', '--replicas=4']), 'deployment.apps/web scaled\n');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-scale'], '{.spec.replicas}'), '4');
    const wrong = await pilot.kubectl(['scale', 'deploy', 'web', '-n', 'crud-scale', '--current-replicas=2', '--replicas=1']);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr.trim(), 'error: Expected replicas to be 2, was 4');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-scale'], '{.spec.replicas}'), '4');
    await pilot.k(['scale', 'deploy/web', '-n', 'crud-scale', '--current-replicas=4', '--replicas=0']);
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-scale'], '{.spec.replicas}'), '0');
    const scale = JSON.parse(await pilot.k(['get', '--raw', '/apis/apps/v1/namespaces/crud-scale/deployments/web/scale'])) as { kind: string; apiVersion: string; spec: { replicas?: number }; status: { replicas: number; selector?: string } };
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    // ScaleSpec.replicas is omitempty upstream: zero replicas is an absent field.
    assert.equal(scale.spec.replicas, undefined);
    assert.deepEqual(scale.spec, {});
    assert.equal(scale.status.selector, 'app=web');
  });

  test('replace: succeeds with a fresh object, Conflict with a stale resourceVersion', async () => {
    await ns('crud-replace');
    await deploy('web', 'crud-replace', 2);
    const live = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-replace']);
    live.spec.replicas = 3;
    assert.equal(await pilot.k(['replace', '-f', '-'], { input: JSON.stringify(live) }), 'deployment.apps/web replaced\n');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-replace'], '{.spec.replicas}'), '3');
    live.spec.replicas = 9; // still carries the old resourceVersion
    const stale = await pilot.kubectl(['replace', '-f', '-'], { input: JSON.stringify(live) });
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr.trim(), 'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
    assert.equal(await jp(['get', 'deploy', 'web', '-n', 'crud-replace'], '{.spec.replicas}'), '3');
  });

  test('delete: by name, -f, -l, --all; --dry-run=server keeps the object', async () => {
    const file = write('del.yaml', webStack('crud-del'));
    await pilot.k(['create', '-f', file]);
    await pilot.k(['create', '-f', '-'], { input: yamlDocs(podObj('p1', 'crud-del', { app: 'web' }), podObj('p2', 'crud-del', { app: 'db' }), configMapObj('keep', 'crud-del', {}, { app: 'db' })) });

    const dry = await pilot.k(['delete', 'deploy', 'web', '-n', 'crud-del', '--dry-run=server']);
    assert.equal(dry, 'deployment.apps "web" deleted (server dry run)\n');
    assert.equal(await pilot.k(['get', 'deploy', 'web', '-n', 'crud-del', '-o', 'name']), 'deployment.apps/web\n');

    assert.equal(await pilot.k(['delete', 'pod', 'p2', '-n', 'crud-del']), 'pod "p2" deleted\n');
    assert.equal(await pilot.k(['delete', 'cm,pods', '-n', 'crud-del', '-l', 'app=web']), 'configmap "web-config" deleted\npod "p1" deleted\n');
    assert.equal(await pilot.k(['get', 'pods,cm', '-n', 'crud-del', '-o', 'name']).then((s) => s.split('\n').filter((l) => l !== 'configmap/kube-root-ca.crt').join('\n')), 'configmap/keep\n');

    assert.equal(await pilot.k(['delete', 'cm', '--all', '-n', 'crud-del']).then((s) => s.split('\n').filter((l) => !l.includes('kube-root-ca.crt')).join('\n')), 'configmap "keep" deleted\n');

    // -f: everything the file names; what is already gone is NotFound, the rest is deleted.
    const r = await pilot.kubectl(['delete', '-f', file, '--wait=false']);
    assert.match(r.stdout, /^namespace "crud-del" deleted$/m);
    // The namespace goes first (file order); its controller may delete the rest before kubectl gets to it.
    assert.match(`${r.stdout}${r.stderr}`, /^deployment\.apps "web" deleted$|deployments\.apps "web" not found/m);
    assert.match(`${r.stdout}${r.stderr}`, /^service "web" deleted$|services "web" not found/m);
    assert.match(r.stderr, /Error from server \(NotFound\): error when deleting ".*del\.yaml": configmaps "web-config" not found/);
    const gone = await pilot.kubectl(['get', 'deploy', 'web', '-n', 'crud-del']);
    // kubectl ≥1.32 names the namespace instead when that is gone too.
    assert.match(gone.stderr.trim(), /^Error from server \(NotFound\): (deployments\.apps "web"|namespaces "crud-del") not found$/);
    // The namespace is Terminating, or already gone (its controller finished).
    const nsPhase = await pilot.kubectl(['get', 'ns', 'crud-del', '-o', 'jsonpath={.status.phase}']);
    assert.ok(nsPhase.code !== 0 || nsPhase.stdout === 'Terminating', `${nsPhase.stdout}${nsPhase.stderr}`);
  });

  // Upstream: foreground and orphan deletes hold the object with a finalizer
  // (foregroundDeletion / orphan) that the garbage collector removes, so these
  // complete only because `pilot server` runs the garbage-collector controller.
  test('delete --cascade=background|orphan|foreground: the garbage collector cascades', async () => {
    await ns('crud-cascade');
    for (const mode of ['background', 'orphan', 'foreground']) {
      await deploy(`d-${mode}`, 'crud-cascade');
      const uid = await jp(['get', 'deploy', `d-${mode}`, '-n', 'crud-cascade'], '{.metadata.uid}');
      // A dependent made by hand: the cascade acts on it whatever controllers run.
      await pilot.k(['create', '-f', '-'], { input: yamlDocs({
        ...configMapObj(`dep-${mode}`, 'crud-cascade', { k: 'v' }),
        metadata: { name: `dep-${mode}`, namespace: 'crud-cascade', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `d-${mode}`, uid, blockOwnerDeletion: true }] },
      }) });
      const r = await pilot.kubectl(['delete', 'deploy', `d-${mode}`, '-n', 'crud-cascade', `--cascade=${mode}`, '--timeout=20s'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, `--cascade=${mode}: ${r.stderr}`);
      assert.equal(r.stdout, `deployment.apps "d-${mode}" deleted\n`);
      const after = await pilot.kubectl(['get', 'deploy', `d-${mode}`, '-n', 'crud-cascade']);
      assert.equal(after.code, 1, `--cascade=${mode} left the object: ${after.stdout}`);
      if (mode === 'orphan') {
        // Kept, without the reference to its deleted owner.
        assert.equal(await jp(['get', 'cm', `dep-${mode}`, '-n', 'crud-cascade'], '{.metadata.ownerReferences}'), '');
      } else if (mode === 'foreground') {
        // Deleted before its owner was.
        const dep = await pilot.kubectl(['get', 'cm', `dep-${mode}`, '-n', 'crud-cascade']);
        assert.equal(dep.code, 1, `foreground left the dependent: ${dep.stdout}`);
      } else {
        const deadline = Date.now() + 20_000;
        while ((await pilot.kubectl(['get', 'cm', `dep-${mode}`, '-n', 'crud-cascade'])).code === 0) {
          assert.ok(Date.now() < deadline, 'background: the dependent was never collected');
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }
  });

  test('imperative create commands (protobuf request bodies)', async () => {
    await ns('crud-imperative');
    assert.equal(await pilot.k(['create', 'deployment', 'gen', '--image=nginx:1.25', '--replicas=2', '-n', 'crud-imperative']), 'deployment.apps/gen created\n');
    const d = await pilot.json(['get', 'deploy', 'gen', '-n', 'crud-imperative']);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'gen' });
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(await pilot.k(['create', 'configmap', 'lit', '--from-literal=a=1', '--from-literal=b=2', '-n', 'crud-imperative']), 'configmap/lit created\n');
    assert.deepEqual((await pilot.json(['get', 'cm', 'lit', '-n', 'crud-imperative'])).data, { a: '1', b: '2' });
    assert.equal(await pilot.k(['create', 'namespace', 'crud-imperative-2']), 'namespace/crud-imperative-2 created\n');
    assert.equal(await pilot.k(['create', 'secret', 'generic', 'pw', '--from-literal=password=hunter2', '-n', 'crud-imperative']), 'secret/pw created\n');
    const sec = await pilot.json(['get', 'secret', 'pw', '-n', 'crud-imperative']);
    assert.equal(sec.type, 'Opaque');
    assert.equal(Buffer.from(sec.data.password as string, 'base64').toString(), 'hunter2');
    const t = parseTable(await pilot.k(['get', 'secret', 'pw', '-n', 'crud-imperative']));
    assert.deepEqual({ ...t.rows[0], AGE: undefined }, { NAME: 'pw', TYPE: 'Opaque', DATA: '1', AGE: undefined });
  });

  test('rollout restart and patch --subresource=status', async () => {
    await ns('crud-rollout');
    await deploy('web', 'crud-rollout', 2);
    assert.equal(await pilot.k(['rollout', 'restart', 'deploy/web', '-n', 'crud-rollout']), 'deployment.apps/web restarted\n');
    const d = await pilot.json(['get', 'deploy', 'web', '-n', 'crud-rollout']);
    assert.match(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT/);
    assert.equal(d.metadata.generation, 2);

    // Status is written only through the status subresource, and the table reads it.
    const status = { status: { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 } };
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-rollout', '--type=merge', '-p', JSON.stringify({ status: { replicas: 9 } })]);
    assert.equal((await pilot.json(['get', 'deploy', 'web', '-n', 'crud-rollout'])).status.replicas, undefined, 'the main resource ignores status');
    await pilot.k(['patch', 'deploy', 'web', '-n', 'crud-rollout', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    const row = parseTable(await pilot.k(['get', 'deploy', 'web', '-n', 'crud-rollout'])).rows[0];
    assert.deepEqual([row.READY, row['UP-TO-DATE'], row.AVAILABLE], ['1/2', '2', '1']);
    assert.equal((await pilot.json(['get', 'deploy', 'web', '-n', 'crud-rollout'])).metadata.generation, 2, 'status writes do not bump generation');
  });
});
