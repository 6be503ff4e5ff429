import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { writeAdminKubeconfig, mergeIntoUserKubeconfig, defaultUserKubeconfigPath } from './kubeconfig.ts';

const args = { server: 'https://127.0.0.1:6443', caPem: 'CA PEM\n', certPem: 'CERT PEM\n', keyPem: 'KEY PEM\n' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tmpDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-kc-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('writeAdminKubeconfig writes one cluster/user/context, base64 data, mode 0600', (t) => {
  const file = path.join(tmpDir(t), 'sub', 'admin.kubeconfig');
  writeAdminKubeconfig(file, args);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const cfg = parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(cfg, {
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: 'pilot', cluster: { server: args.server, 'certificate-authority-data': b64(args.caPem) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(args.certPem), 'client-key-data': b64(args.keyPem) } }],
    contexts: [{ name: 'pilot', context: { cluster: 'pilot', user: 'admin' } }],
    'current-context': 'pilot',
  });
  // Rewriting replaces it.
  writeAdminKubeconfig(file, { ...args, server: 'https://10.0.0.1:6443' });
  assert.equal(parse(fs.readFileSync(file, 'utf8')).clusters[0].cluster.server, 'https://10.0.0.1:6443');
});

test('mergeIntoUserKubeconfig keeps other entries and replaces its own', (t) => {
  const file = path.join(tmpDir(t), 'config');
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: other',
    'clusters:', '- name: other', '  cluster: {server: "https://other:443"}',
    '- name: pilot', '  cluster: {server: "https://stale:1"}',
    'users:', '- name: bob', '  user: {token: abc}',
    'contexts:', '- name: other', '  context: {cluster: other, user: bob}',
    'preferences: {colors: true}', 'extensions: []', '',
  ].join('\n'), { mode: 0o640 });
  mergeIntoUserKubeconfig({ ...args, file });
  const cfg = parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(cfg.clusters.map((c: { name: string }) => c.name), ['other', 'pilot']);
  assert.equal(cfg.clusters[1].cluster.server, args.server);
  assert.deepEqual(cfg.users.map((c: { name: string }) => c.name), ['bob', 'admin']);
  assert.deepEqual(cfg.contexts.map((c: { name: string }) => c.name), ['other', 'pilot']);
  assert.equal(cfg['current-context'], 'pilot');
  assert.deepEqual(cfg.preferences, { colors: true });
  assert.deepEqual(cfg.extensions, []);
  assert.equal(fs.statSync(file).mode & 0o777, 0o640, 'keeps the user\'s mode');

  mergeIntoUserKubeconfig({ ...args, file, clusterName: 'p2', setCurrentContext: false });
  const cfg2 = parse(fs.readFileSync(file, 'utf8'));
  assert.equal(cfg2['current-context'], 'pilot');
  assert.equal(cfg2.contexts.length, 3);
});

test('mergeIntoUserKubeconfig creates a missing file privately, and refuses a non-mapping', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, '.kube', 'config');
  assert.equal(mergeIntoUserKubeconfig({ ...args, file }), file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(parse(fs.readFileSync(file, 'utf8'))['current-context'], 'pilot');
  const bad = path.join(dir, 'bad');
  fs.writeFileSync(bad, '- a\n- b\n');
  assert.throws(() => mergeIntoUserKubeconfig({ ...args, file: bad }), /not a kubeconfig/);
  assert.equal(fs.readFileSync(bad, 'utf8'), '- a\n- b\n');
});

test('defaultUserKubeconfigPath follows $KUBECONFIG first', () => {
  assert.equal(defaultUserKubeconfigPath({ KUBECONFIG: `/a/b${path.delimiter}/c` }), '/a/b');
  assert.equal(defaultUserKubeconfigPath({}), path.join(os.homedir(), '.kube', 'config'));
});
