import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inClusterConfig, KubeconfigError, loadKubeconfig, parseKubeconfig } from './kubeconfig.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const twoContexts = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA PEM')}
- name: prod-cluster
  cluster:
    server: https://prod:443
    insecure-skip-tls-verify: true
    tls-server-name: api.prod
users:
- name: dev-user
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
- name: prod-user
  user:
    token: s3cret
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user }
- name: prod
  context: { cluster: prod-cluster, user: prod-user }
`;

test('current-context with inline data', () => {
  assert.deepEqual(parseKubeconfig(twoContexts, '/'), { server: 'https://10.0.0.1:6443', ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
});

test('a named context: token, insecure-skip-tls-verify, tls-server-name', () => {
  assert.deepEqual(parseKubeconfig(twoContexts, '/', { context: 'prod' }),
    { server: 'https://prod:443', insecureSkipTLSVerify: true, tlsServerName: 'api.prod', token: 's3cret' });
});

test('file references resolve against the kubeconfig directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-'));
  try {
    fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA FILE');
    fs.mkdirSync(path.join(dir, 'certs'));
    fs.writeFileSync(path.join(dir, 'certs', 'c.crt'), 'CERT FILE');
    fs.writeFileSync(path.join(dir, 'certs', 'c.key'), 'KEY FILE');
    fs.writeFileSync(path.join(dir, 'config'), `
current-context: x
clusters: [{ name: c, cluster: { server: 'https://h:1', certificate-authority: ca.crt } }]
users: [{ name: u, user: { client-certificate: certs/c.crt, client-key: ${path.join(dir, 'certs', 'c.key')} } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
`);
    assert.deepEqual(loadKubeconfig(path.join(dir, 'config')), { server: 'https://h:1', ca: 'CA FILE', cert: 'CERT FILE', key: 'KEY FILE' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('missing pieces are clear errors', () => {
  assert.throws(() => parseKubeconfig('clusters: []', '/'), /no current-context/);
  assert.throws(() => parseKubeconfig(twoContexts, '/', { context: 'nope' }), /context "nope" not found/);
  assert.throws(() => parseKubeconfig('current-context: x\ncontexts: [{name: x, context: {cluster: c}}]', '/'), /cluster "c"/);
  assert.throws(() => loadKubeconfig('/nonexistent/kubeconfig'), KubeconfigError);
});

test('in-cluster config from the service-account mount', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sa-'));
  try {
    assert.throws(() => inClusterConfig({}, dir), /KUBERNETES_SERVICE_HOST/);
    const env = { KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.throws(() => inClusterConfig(env, dir), /token/);
    fs.writeFileSync(path.join(dir, 'token'), 'jwt');
    fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
    assert.deepEqual(inClusterConfig(env, dir), { server: 'https://10.43.0.1:443', tokenFile: path.join(dir, 'token'), ca: 'CA' });
    assert.equal(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir).server, 'https://[fd00::1]:443');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
