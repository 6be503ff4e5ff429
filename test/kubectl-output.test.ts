// kubectl's read side against a real Pilot server: server-side printed tables
// (columns as upstream prints them), describe, every -o format, label and field
// selectors, categories (`get all`), several kinds at once, explain,
// api-resources and api-versions.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { Pilot } from './helpers/pilot.ts';

// These tests pin what the API server itself returns for workload objects, so
// the workload controllers (tested in workloads-*.test.ts) do not act on them.
const API_ONLY_WORKLOADS = ['--controllers', '*,-replicaset,-deployment'];
import { configMapObj, describeFields, headers, namespaceObj, parseTable, podObj, webStack, yamlDocs } from './helpers/manifests.ts';

const NS = 'out';
const AGE = /^\d+s$/;

describe('kubectl output', () => {
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: API_ONLY_WORKLOADS });
  let clusterIP = '';

  before(async () => {
    await pilot.start();
    await pilot.k(['create', '-f', '-'], { input: webStack(NS, 2) });
    await pilot.k(['create', '-f', '-'], { input: yamlDocs(podObj('p1', NS, { app: 'web' }), podObj('p2', NS, { app: 'db' })) });
    clusterIP = (await pilot.k(['get', 'svc', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  });
  after(async () => { await pilot.dispose(); });

  test('get deployments: default and wide columns', async () => {
    const out = await pilot.k(['get', 'deploy', '-n', NS]);
    assert.deepEqual(headers(out), ['NAME | READY | UP-TO-DATE | AVAILABLE | AGE']);
    const t = parseTable(out);
    assert.equal(t.rows.length, 1);
    assert.deepEqual({ ...t.rows[0], AGE: undefined }, { NAME: 'web', READY: '0/2', 'UP-TO-DATE': '0', AVAILABLE: '0', AGE: undefined });
    assert.match(t.rows[0].AGE, AGE);

    const wide = await pilot.k(['get', 'deploy', '-n', NS, '-o', 'wide']);
    assert.deepEqual(headers(wide), ['NAME | READY | UP-TO-DATE | AVAILABLE | AGE | CONTAINERS | IMAGES | SELECTOR']);
    const w = parseTable(wide).rows[0];
    assert.equal(w.CONTAINERS, 'main');
    assert.equal(w.IMAGES, 'nginx:1.25');
    assert.equal(w.SELECTOR, 'app=web');
  });

  test('get services: CLUSTER-IP from the service range, ports, wide selector', async () => {
    assert.match(clusterIP, /^10\.43\.\d{1,3}\.\d{1,3}$/);
    assert.notEqual(clusterIP, '10.43.0.1', '10.43.0.1 belongs to the kubernetes Service');
    const out = await pilot.k(['get', 'svc', '-n', NS]);
    assert.deepEqual(headers(out), ['NAME | TYPE | CLUSTER-IP | EXTERNAL-IP | PORT(S) | AGE']);
    const row = parseTable(out).rows[0];
    assert.deepEqual({ ...row, AGE: undefined }, { NAME: 'web', TYPE: 'ClusterIP', 'CLUSTER-IP': clusterIP, 'EXTERNAL-IP': '<none>', 'PORT(S)': '80/TCP', AGE: undefined });

    const wide = await pilot.k(['get', 'svc', 'web', '-n', NS, '-o', 'wide']);
    assert.deepEqual(headers(wide), ['NAME | TYPE | CLUSTER-IP | EXTERNAL-IP | PORT(S) | AGE | SELECTOR']);
    assert.equal(parseTable(wide).rows[0].SELECTOR, 'app=web');

    const def = parseTable(await pilot.k(['get', 'svc', 'kubernetes', '-n', 'default']));
    assert.equal(def.rows[0]['CLUSTER-IP'], '10.43.0.1');
    assert.equal(def.rows[0]['PORT(S)'], '443/TCP');
  });

  test('get pods: default and wide columns', async () => {
    const out = await pilot.k(['get', 'pods', '-n', NS]);
    assert.deepEqual(headers(out), ['NAME | READY | STATUS | RESTARTS | AGE']);
    const rows = parseTable(out).rows;
    assert.deepEqual(rows.map((r) => r.NAME), ['p1', 'p2']);
    assert.deepEqual({ ...rows[0], AGE: undefined }, { NAME: 'p1', READY: '0/1', STATUS: 'Pending', RESTARTS: '0', AGE: undefined });

    const wide = await pilot.k(['get', 'pods', 'p1', '-n', NS, '-o', 'wide']);
    assert.deepEqual(headers(wide), ['NAME | READY | STATUS | RESTARTS | AGE | IP | NODE | NOMINATED NODE | READINESS GATES']);
    const w = parseTable(wide).rows[0];
    assert.equal(w.IP, '<none>');
    assert.equal(w.NODE, '<none>');
  });

  test('get configmaps and namespaces; -A adds NAMESPACE; --show-labels and -L', async () => {
    const cm = await pilot.k(['get', 'cm', 'web-config', '-n', NS]);
    assert.deepEqual(headers(cm), ['NAME | DATA | AGE']);
    assert.equal(parseTable(cm).rows[0].DATA, '2');

    const ns = await pilot.k(['get', 'ns', NS]);
    assert.deepEqual(headers(ns), ['NAME | STATUS | AGE']);
    assert.equal(parseTable(ns).rows[0].STATUS, 'Active');

    const all = await pilot.k(['get', 'deploy', '-A']);
    assert.deepEqual(headers(all), ['NAMESPACE | NAME | READY | UP-TO-DATE | AVAILABLE | AGE']);
    assert.deepEqual(parseTable(all).rows.map((r) => `${r.NAMESPACE}/${r.NAME}`), [`${NS}/web`]);

    const labels = await pilot.k(['get', 'deploy', 'web', '-n', NS, '--show-labels']);
    assert.equal(parseTable(labels).rows[0].LABELS, 'app=web,tier=front');
    const cols = parseTable(await pilot.k(['get', 'deploy', 'web', '-n', NS, '-L', 'tier,missing']));
    assert.deepEqual(cols.header.slice(-2), ['TIER', 'MISSING']);
    assert.equal(cols.rows[0].TIER, 'front');
  });

  test('describe deployment', async () => {
    const out = await pilot.k(['describe', 'deployment', 'web', '-n', NS]);
    const f = describeFields(out);
    assert.equal(f.get('Name'), 'web');
    assert.equal(f.get('Namespace'), NS);
    assert.equal(f.get('Selector'), 'app=web');
    assert.equal(f.get('Replicas'), '2 desired | 0 updated | 0 total | 0 available | 0 unavailable');
    assert.equal(f.get('StrategyType'), 'RollingUpdate');
    assert.equal(f.get('MinReadySeconds'), '0');
    assert.equal(f.get('RollingUpdateStrategy'), '25% max unavailable, 25% max surge');
    assert.match(out, /^Labels:\s+app=web\n\s+tier=front$/m);
    assert.match(out, /^Pod Template:\n\s+Labels:\s+app=web\n\s+Containers:\n\s+main:\n\s+Image:\s+nginx:1\.25\n\s+Port:\s+80\/TCP$/m);
    assert.match(out, /^Events:\s+<none>$/m);
  });

  test('describe service', async () => {
    const out = await pilot.k(['describe', 'svc', 'web', '-n', NS]);
    const f = describeFields(out);
    assert.equal(f.get('Name'), 'web');
    assert.equal(f.get('Namespace'), NS);
    assert.equal(f.get('Selector'), 'app=web');
    assert.equal(f.get('Type'), 'ClusterIP');
    assert.equal(f.get('IP'), clusterIP);
    assert.equal(f.get('IPs'), clusterIP);
    assert.equal(f.get('IP Families'), 'IPv4');
    assert.match(f.get('Port') ?? '', /^http\s+80\/TCP$/);
    assert.equal(f.get('TargetPort'), '80/TCP');
    assert.equal(f.get('Session Affinity'), 'None');
  });

  test('describe namespace and configmap', async () => {
    const ns = describeFields(await pilot.k(['describe', 'ns', NS]));
    assert.equal(ns.get('Name'), NS);
    assert.equal(ns.get('Status'), 'Active');
    assert.equal(ns.get('Labels'), `kubernetes.io/metadata.name=${NS}`);

    const cm = await pilot.k(['describe', 'cm', 'web-config', '-n', NS]);
    const f = describeFields(cm);
    assert.equal(f.get('Name'), 'web-config');
    assert.equal(f.get('Labels'), 'app=web');
    // kubectl prints the keys in Go map order (random), so check each block.
    assert.match(cm, /^Data\n====\n/m);
    assert.match(cm, /^index\.html:\n----\nhello\n$/m);
    assert.match(cm, /^mode:\n----\nprod\n$/m);
  });

  test('-o json and -o yaml, single objects and lists', async () => {
    const d = await pilot.json(['get', 'deploy', 'web', '-n', NS]);
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.spec.replicas, 2);
    assert.match(d.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(d.metadata.resourceVersion, /^\d+$/);
    assert.equal(d.metadata.managedFields, undefined, 'kubectl hides managedFields unless --show-managed-fields');

    const list = await pilot.json(['get', 'cm,deploy', '-n', NS]);
    assert.equal(list.kind, 'List');
    // kube-root-ca.crt is published into every namespace once that controller exists.
    const kinds = list.items.map((i: { kind: string; metadata: { name: string } }) => `${i.kind}/${i.metadata.name}`).filter((x: string) => x !== 'ConfigMap/kube-root-ca.crt');
    assert.deepEqual(kinds, ['ConfigMap/web-config', 'Deployment/web']);

    const y = parseYaml(await pilot.k(['get', 'svc', 'web', '-n', NS, '-o', 'yaml'])) as { kind: string; spec: { clusterIP: string; ports: { port: number; protocol: string; targetPort: number }[] } };
    assert.equal(y.kind, 'Service');
    assert.equal(y.spec.clusterIP, clusterIP);
    assert.deepEqual(y.spec.ports.map((p) => [p.port, p.protocol, p.targetPort]), [[80, 'TCP', 80]]);

    const withMf = await pilot.json(['get', 'deploy', 'web', '-n', NS, '--show-managed-fields']);
    assert.ok(Array.isArray(withMf.metadata.managedFields) && withMf.metadata.managedFields.length > 0);
    assert.equal(withMf.metadata.managedFields[0].manager, 'kubectl-create');
  });

  test('-o name, jsonpath and custom-columns', async () => {
    assert.equal(await pilot.k(['get', 'deploy', '-n', NS, '-o', 'name']), 'deployment.apps/web\n');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-o', 'name']), 'pod/p1\npod/p2\n');
    assert.equal(await pilot.k(['get', 'deploy', 'web', '-n', NS, '-o', 'jsonpath={.spec.replicas}']), '2');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-o', 'jsonpath={.items[*].metadata.name}']), 'p1 p2');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.app}{"\\n"}{end}']), 'p1=web\np2=db\n');
    const cc = await pilot.k(['get', 'deploy', '-n', NS, '-o', 'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas,IMAGE:.spec.template.spec.containers[0].image']);
    assert.deepEqual(parseTable(cc), { header: ['NAME', 'REPLICAS', 'IMAGE'], rows: [{ NAME: 'web', REPLICAS: '2', IMAGE: 'nginx:1.25' }] });
  });

  test('label selectors (-l) and field selectors (--field-selector)', async () => {
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'name']), 'pod/p1\n');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-l', 'app!=web', '-o', 'name']), 'pod/p2\n');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '-l', 'app in (db,cache)', '-o', 'name']), 'pod/p2\n');
    assert.equal(await pilot.k(['get', 'deploy,cm,svc', '-n', NS, '-l', 'tier=front', '-o', 'name']), 'deployment.apps/web\n');
    assert.equal(await pilot.k(['get', 'cm', '-n', NS, '-l', 'app', '-o', 'name']), 'configmap/web-config\n');
    const none = await pilot.kubectl(['get', 'deploy', '-n', NS, '-l', '!app']);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr.trim(), `No resources found in ${NS} namespace.`);

    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '--field-selector', 'metadata.name=p2', '-o', 'name']), 'pod/p2\n');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '--field-selector', 'metadata.name!=p2', '-o', 'name']), 'pod/p1\n');
    assert.equal(await pilot.k(['get', 'pods', '-n', NS, '--field-selector', 'status.phase=Pending,metadata.name=p1', '-o', 'name']), 'pod/p1\n');
    assert.equal(await pilot.k(['get', 'deploy', '-A', '--field-selector', `metadata.namespace=${NS}`, '-o', 'name']), 'deployment.apps/web\n');
    const bad = await pilot.kubectl(['get', 'deploy', '-n', NS, '--field-selector', 'spec.replicas=2']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^Error from server \(BadRequest\): .*"spec\.replicas" is not a known field selector/m);
  });

  test('get all (category) and get cm,svc (several kinds)', async () => {
    const out = await pilot.k(['get', 'all', '-n', NS]);
    const names = parseTable(out).rows.map((r) => r.NAME).sort();
    assert.deepEqual(names, ['deployment.apps/web', 'pod/p1', 'pod/p2', 'service/web']);
    assert.ok(headers(out).includes('NAME | READY | UP-TO-DATE | AVAILABLE | AGE'));
    assert.ok(headers(out).includes('NAME | TYPE | CLUSTER-IP | EXTERNAL-IP | PORT(S) | AGE'));
    assert.doesNotMatch(out, /configmap/, 'configmaps are not in the "all" category');

    const two = await pilot.k(['get', 'cm,svc', '-n', NS]);
    const hs = headers(two);
    assert.deepEqual(hs, ['NAME | DATA | AGE', 'NAME | TYPE | CLUSTER-IP | EXTERNAL-IP | PORT(S) | AGE']);
    const rows = parseTable(two).rows.map((r) => r.NAME);
    assert.ok(rows.includes('configmap/web-config'), two);
    assert.ok(rows.includes('service/web'), two);
  });

  test('explain', async () => {
    const r = await pilot.k(['explain', 'deployment.spec.replicas']);
    assert.match(r, /^GROUP:\s+apps$/m);
    assert.match(r, /^KIND:\s+Deployment$/m);
    assert.match(r, /^VERSION:\s+v1$/m);
    assert.match(r, /^FIELD: replicas <integer>$/m);

    const c = await pilot.k(['explain', 'pods.spec.containers']);
    assert.match(c, /^KIND:\s+Pod$/m);
    assert.match(c, /^FIELD: containers <\[\]Container>$/m);
    const fields = [...c.matchAll(/^ {2}(\w+)\t<([^>]+)>(.*)$/gm)].map((m) => `${m[1]} <${m[2]}>${m[3]}`);
    for (const want of ['name <string> -required-', 'image <string>', 'env <[]EnvVar>', 'ports <[]ContainerPort>', 'resources <ResourceRequirements>', 'volumeMounts <[]VolumeMount>']) {
      assert.ok(fields.includes(want), `missing "${want}" in:\n${fields.join('\n')}`);
    }
    const missing = await pilot.kubectl(['explain', 'deployment.spec.nosuchfield']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /field "nosuchfield" does not exist/);
  });

  test('api-resources and api-versions', async () => {
    const t = parseTable(await pilot.k(['api-resources']));
    assert.deepEqual(t.header, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const find = (name: string): Record<string, string> | undefined => t.rows.find((r) => r.NAME === name);
    assert.deepEqual(find('deployments'), { NAME: 'deployments', SHORTNAMES: 'deploy', APIVERSION: 'apps/v1', NAMESPACED: 'true', KIND: 'Deployment' });
    assert.deepEqual(find('services'), { NAME: 'services', SHORTNAMES: 'svc', APIVERSION: 'v1', NAMESPACED: 'true', KIND: 'Service' });
    assert.deepEqual(find('namespaces'), { NAME: 'namespaces', SHORTNAMES: 'ns', APIVERSION: 'v1', NAMESPACED: 'false', KIND: 'Namespace' });
    assert.deepEqual(find('cronjobs'), { NAME: 'cronjobs', SHORTNAMES: 'cj', APIVERSION: 'batch/v1', NAMESPACED: 'true', KIND: 'CronJob' });

    assert.equal(await pilot.k(['api-resources', '--api-group=apps', '--namespaced=true', '-o', 'name', '--sort-by=name']),
      ['controllerrevisions.apps', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps'].join('\n') + '\n');

    const versions = (await pilot.k(['api-versions'])).trim().split('\n');
    for (const v of ['apps/v1', 'batch/v1', 'v1']) assert.ok(versions.includes(v), `api-versions lacks ${v}: ${versions.join(' ')}`);
    assert.deepEqual(versions, [...versions].sort(), 'api-versions prints sorted');
  });

  test('paged lists (--chunk-size) and --sort-by', async () => {
    const ns = 'out-pages';
    const cms = Array.from({ length: 5 }, (_, i) => configMapObj(`c${i + 1}`, ns, { num: String(5 - i) }));
    await pilot.k(['create', '-f', '-'], { input: yamlDocs(namespaceObj(ns), ...cms) });
    const only = (out: string): string => out.split('\n').filter((l) => !l.includes('kube-root-ca.crt')).join('\n');
    // kubectl follows the continue tokens: every page arrives, once, in order.
    const paged = await pilot.kubectl(['get', 'cm', '-n', ns, '--chunk-size=2', '-o', 'name', '-v=6']);
    assert.equal(paged.code, 0, paged.stderr);
    assert.equal(only(paged.stdout), 'configmap/c1\nconfigmap/c2\nconfigmap/c3\nconfigmap/c4\nconfigmap/c5\n');
    assert.ok((paged.stderr.match(/continue=/g) ?? []).length >= 2, `expected continued requests:\n${paged.stderr}`);
    const table = parseTable(await pilot.k(['get', 'cm', '-n', ns, '--chunk-size=2']));
    assert.deepEqual(table.rows.map((r) => r.NAME).filter((n) => n !== 'kube-root-ca.crt'), ['c1', 'c2', 'c3', 'c4', 'c5']);
    // Sorting needs whole objects in the Table rows (includeObject=Object).
    assert.equal(only(await pilot.k(['get', 'cm', '-n', ns, '--sort-by=.data.num', '-o', 'name'])),
      'configmap/c5\nconfigmap/c4\nconfigmap/c3\nconfigmap/c2\nconfigmap/c1\n');
    const sortedTable = parseTable(await pilot.k(['get', 'cm', '-n', ns, '--sort-by=.data.num']));
    assert.deepEqual(sortedTable.rows.map((r) => r.NAME).filter((n) => n !== 'kube-root-ca.crt'), ['c5', 'c4', 'c3', 'c2', 'c1']);
  });

  test('a namespace can be created from YAML and listed', async () => {
    await pilot.k(['create', '-f', '-'], { input: yamlDocs(namespaceObj('out-extra', { team: 'a' })) });
    assert.equal(await pilot.k(['get', 'ns', '-l', 'team=a', '-o', 'name']), 'namespace/out-extra\n');
  });
});
