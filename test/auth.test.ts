// Authentication as clients see it: 401 Status for no or bad credentials
// (no certificate, a certificate from another CA, an unknown bearer token),
// kubectl's "must be logged in" message, static tokens from --token-auth-file,
// and the health and version endpoints that need no credentials.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { KUBECTL, Pilot, run } from './helpers/pilot.ts';
import { closeAgents, credsFromKubeconfig, request, watch, type Creds } from './helpers/kube-http.ts';
import { ensurePki } from '../src/server/pki.ts';

const TOKEN = 'c3VwZXItc2VjcmV0LXRva2VuLTEyMzQ1';

describe('authentication', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-auth-'));
  const tokenFile = path.join(tmp, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${TOKEN},alice,1001,"developers,testers"\nother-token-value,bob,1002\n`);
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: ['--token-auth-file', tokenFile] });
  let creds: Creds;

  /** A kubeconfig for this server with the given user entry. */
  const kubeconfigWith = (name: string, user: Record<string, string>): string => {
    const file = path.join(tmp, `${name}.kubeconfig`);
    fs.writeFileSync(file, toYaml({
      apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'pilot', cluster: { server: creds.server, 'certificate-authority-data': Buffer.from(creds.ca).toString('base64') } }],
      users: [{ name, user }],
      contexts: [{ name: 'ctx', context: { cluster: 'pilot', user: name } }],
      'current-context': 'ctx',
    }));
    return file;
  };
  const kubectlWith = (kubeconfig: string, args: string[]) => run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(tmp, 'cache'), ...args]);

  const assertUnauthorized = (r: { status: number; json: any }): void => {
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  };

  before(async () => {
    await pilot.start();
    creds = credsFromKubeconfig(pilot.kubeconfig);
  });
  after(async () => {
    closeAgents();
    await pilot.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the admin client certificate is accepted', async () => {
    const r = await request(creds, 'GET', '/api/v1/namespaces');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, 'NamespaceList');
  });

  test('no credentials: 401 with an Unauthorized Status, for reads, writes, discovery and watches', async () => {
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces', { auth: 'none' }));
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces/default/configmaps/x', { auth: 'none' }));
    assertUnauthorized(await request(creds, 'POST', '/api/v1/namespaces/default/configmaps', { auth: 'none', body: { metadata: { name: 'x' } } }));
    assertUnauthorized(await request(creds, 'GET', '/api', { auth: 'none' }));
    assertUnauthorized(await request(creds, 'GET', '/apis', { auth: 'none' }));
    assertUnauthorized(await request(creds, 'GET', '/openapi/v2', { auth: 'none' }));
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces?watch=true', { auth: 'none' }));
    const w = await watch(creds, '/api/v1/configmaps?watch=true', 'none');
    assert.equal(w.status, 401);
    w.close();
    // Nothing was written.
    const r = await request(creds, 'GET', '/api/v1/namespaces/default/configmaps/x');
    assert.equal(r.status, 404);
  });

  test('kubectl without a client certificate: "You must be logged in to the server"', async () => {
    // With no credentials at all kubectl prompts for a user name on stdin; a user
    // name alone (no certificate, no password) is a kubeconfig that identifies nobody.
    const kc = kubeconfigWith('nobody', { username: 'admin' });
    const cold = await run(KUBECTL, ['--kubeconfig', kc, '--cache-dir', path.join(tmp, 'cold-cache'), 'get', 'configmaps']);
    assert.notEqual(cold.code, 0);
    // Discovery reads the raw body, so kubectl prints client-go's generic 401 text (as it does against upstream).
    assert.match(cold.stderr, /^error: You must be logged in to the server \(the server has asked for the client to provide credentials\)$/m);
    // With discovery cached, the request itself fails and kubectl prints the Status.
    const warm = await kubectlWith(pilot.kubeconfig, ['get', 'configmaps']);
    assert.equal(warm.code, 0, warm.stderr);
    const r = await kubectlWith(kc, ['get', 'configmaps']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: You must be logged in to the server \(Unauthorized\)$/m);
  });

  test('a client certificate signed by another CA: 401', async () => {
    const other = await ensurePki(path.join(tmp, 'other-ca'), { hosts: [], ips: [] });
    assert.notEqual(other.caCertPem, creds.ca);
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces', { auth: { cert: other.adminCertPem, key: other.adminKeyPem } }));
    const kc = kubeconfigWith('impostor', {
      'client-certificate-data': Buffer.from(other.adminCertPem).toString('base64'),
      'client-key-data': Buffer.from(other.adminKeyPem).toString('base64'),
    });
    const r = await kubectlWith(kc, ['get', 'ns']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: You must be logged in to the server \(Unauthorized\)$/m);
  });

  test('a bearer token from --token-auth-file works; a wrong or empty one is 401', async () => {
    // Authenticated is not yet authorized: without a binding the answer is 403, not 401.
    const unbound = await request(creds, 'GET', '/api/v1/namespaces', { auth: { token: TOKEN } });
    assert.equal(unbound.status, 403, unbound.text);
    assert.equal(unbound.json.message, 'namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope');
    // Grant alice (through her group from the token file) and bob what the assertions below use.
    for (const [name, subject] of [['developers-edit', { kind: 'Group', name: 'developers' }], ['bob-edit', { kind: 'User', name: 'bob' }]] as const) {
      const b = await request(creds, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }] },
      });
      assert.equal(b.status, 201, b.text);
    }
    const deadline = Date.now() + 10_000;
    while ((await request(creds, 'GET', '/api/v1/namespaces', { auth: { token: TOKEN } })).status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = await request(creds, 'GET', '/api/v1/namespaces', { auth: { token: TOKEN } });
    assert.equal(ok.status, 200, ok.text);
    const created = await request(creds, 'POST', '/api/v1/namespaces/default/configmaps', { auth: { token: 'other-token-value' }, body: { metadata: { name: 'by-bob' } } });
    assert.equal(created.status, 201, created.text);
    assert.equal((await request(creds, 'GET', '/api/v1/namespaces/default/configmaps/by-bob')).status, 200);

    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces', { auth: { token: `${TOKEN}x` } }));
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces', { auth: { token: 'alice' } }));
    assertUnauthorized(await request(creds, 'GET', '/api/v1/namespaces', { auth: 'none', headers: { Authorization: 'Bearer ' } }));

    const good = kubeconfigWith('alice', { token: TOKEN });
    const r = await kubectlWith(good, ['get', 'cm', 'by-bob', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/by-bob');
    const bad = kubeconfigWith('mallory', { token: 'not-a-token' });
    const r2 = await kubectlWith(bad, ['get', 'cm']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /^error: You must be logged in to the server \(Unauthorized\)$/m);
  });

  test('a valid client certificate wins over an unknown bearer token (upstream order)', async () => {
    // Upstream's union authenticator tries the client certificate first.
    const r = await request(creds, 'GET', '/api/v1/namespaces', { auth: 'cert', headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(r.status, 200, r.text);
  });

  test('/healthz, /readyz, /livez and /version answer without credentials', async () => {
    for (const p of ['/healthz', '/readyz', '/livez']) {
      const r = await request(creds, 'GET', p, { auth: 'none' });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.equal(r.text, 'ok');
    }
    const v = await request(creds, 'GET', '/version', { auth: 'none' });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.major, '1');
    assert.match(v.json.gitVersion, /^v1\.\d+\.\d+/);
    // Verbose health checks too.
    const verbose = await request(creds, 'GET', '/readyz?verbose', { auth: 'none' });
    assert.equal(verbose.status, 200);
  });
});
