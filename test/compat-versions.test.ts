// A quick pass with every kubectl release on the machine (1.27 … 1.33): older
// ones use legacy discovery only, newer ones aggregated discovery and
// OpenAPI v3. Each gets its own discovery cache.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Pilot, run } from './helpers/pilot.ts';

// These tests pin what the API server itself returns for workload objects, so
// the workload controllers (tested in workloads-*.test.ts) do not act on them.
const API_ONLY_WORKLOADS = ['--controllers', '*,-replicaset,-deployment'];
import { cmYaml } from './helpers/kube-http.ts';

const SDK = '/usr/lib/google-cloud-sdk/bin';
const versions = fs.existsSync(SDK)
  ? fs.readdirSync(SDK).filter((f) => /^kubectl\.1\.\d+$/.test(f)).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
  : [];

describe('kubectl versions', () => {
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: API_ONLY_WORKLOADS });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-kver-'));

  before(async () => { await pilot.start(); });
  after(async () => {
    await pilot.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('kubectl releases are installed', () => {
    assert.ok(versions.length >= 7, `found ${versions.join(', ')} in ${SDK}`);
  });

  for (const bin of versions) {
    const minor = bin.split('.')[2];
    test(`${bin}: get ns, create -f, get -o yaml, api-resources`, async () => {
      const k = async (args: string[], input?: string): Promise<string> => {
        const r = await run(path.join(SDK, bin), ['--kubeconfig', pilot.kubeconfig, '--cache-dir', path.join(tmp, minor), ...args], { input });
        assert.equal(r.code, 0, `${bin} ${args.join(' ')}:\n${r.stderr}\n${r.stdout}`);
        assert.doesNotMatch(r.stderr, /error|unable|fail/i, `${bin} ${args.join(' ')} stderr:\n${r.stderr}`);
        return r.stdout;
      };
      const ns = await k(['get', 'ns']);
      assert.match(ns, /^NAME\s+STATUS\s+AGE$/m);
      assert.match(ns, /^default\s+Active\s+\S+$/m);
      assert.match(ns, /^kube-system\s+Active\s+\S+$/m);

      const name = `v${minor}`;
      assert.equal((await k(['create', '-f', '-'], cmYaml(name, { minor }))).trim(), `configmap/${name} created`);
      const y = parseYaml(await k(['get', 'cm', name, '-o', 'yaml'])) as { kind: string; metadata: { name: string; namespace: string; resourceVersion: string; uid: string }; data: Record<string, string> };
      assert.equal(y.kind, 'ConfigMap');
      assert.equal(y.metadata.name, name);
      assert.equal(y.metadata.namespace, 'default');
      assert.match(y.metadata.resourceVersion, /^\d+$/);
      assert.deepEqual(y.data, { minor });

      const res = await k(['api-resources']);
      assert.match(res, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
      assert.match(res, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
      assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
      const list = await k(['get', 'cm', '-o', 'name']);
      assert.match(list, new RegExp(`^configmap/${name}$`, 'm'));
    });
  }
});
