// Audit logging through a real `pilot server` and the real kubectl: a policy
// (None for health checks, RequestResponse for ConfigMaps, Metadata for the
// rest), upstream's audit.k8s.io/v1 events as JSON lines, the Audit-Id
// header, forbidden requests with their decision, and rotation by size.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KUBECTL, Pilot, run } from './helpers/pilot.ts';

type Ev = Record<string, any>;

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps"]
  - level: Metadata
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function readEvents(files: string[]): Ev[] {
  return files.filter((f) => fs.existsSync(f)).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Ev));
}

async function waitForEvent(files: () => string[], pred: (e: Ev) => boolean, what: string, ms = 30_000): Promise<Ev> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = readEvents(files()).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no audit event: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('audit logging', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-audit-'));
  const logPath = path.join(tmp, 'audit', 'audit.log');
  const policyFile = path.join(tmp, 'policy.yaml');
  const tokenFile = path.join(tmp, 'tokens.csv');
  let p: Pilot;
  const log = (): string[] => [logPath];

  before(async () => {
    fs.writeFileSync(policyFile, POLICY);
    fs.writeFileSync(tokenFile, 'nobody-token,nobody,1001,"team-a"\n');
    p = await new Pilot({ extraArgs: ['--disable-controllers', '--disable-scheduler', '--audit-policy-file', policyFile, '--audit-log-path', logPath, '--token-auth-file', tokenFile] }).start();
  });
  after(async () => {
    await p?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('logs a kubectl create at RequestResponse with the user, verb, objectRef, status and bodies', async () => {
    await p.k(['create', 'configmap', 'audited', '--from-literal=colour=blue']);
    const done = await waitForEvent(log, (e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.objectRef?.name === 'audited', 'create configmap');
    assert.equal(done.kind, 'Event');
    assert.equal(done.apiVersion, 'audit.k8s.io/v1');
    assert.equal(done.level, 'RequestResponse');
    assert.match(done.auditID, UUID);
    assert.equal(done.user.username, 'admin');
    assert.ok(done.user.groups.includes('system:masters'), JSON.stringify(done.user));
    assert.ok(done.user.groups.includes('system:authenticated'));
    assert.deepEqual(done.objectRef, { resource: 'configmaps', namespace: 'default', name: 'audited', apiVersion: 'v1' });
    assert.deepEqual(done.responseStatus, { metadata: {}, code: 201 });
    assert.equal(done.requestObject.kind, 'ConfigMap');
    assert.deepEqual(done.requestObject.data, { colour: 'blue' });
    assert.equal(done.responseObject.metadata.name, 'audited');
    assert.ok(done.responseObject.metadata.uid, 'the response is the created object');
    assert.match(done.requestURI, /^\/api\/v1\/namespaces\/default\/configmaps\?/);
    assert.deepEqual(done.sourceIPs, ['127.0.0.1']);
    assert.match(done.userAgent, /^kubectl\//);
    assert.match(done.requestReceivedTimestamp, MICRO_TIME);
    assert.match(done.stageTimestamp, MICRO_TIME);
    assert.ok(done.stageTimestamp >= done.requestReceivedTimestamp);
    assert.equal(done.annotations['authorization.k8s.io/decision'], 'allow');
    assert.ok('authorization.k8s.io/reason' in done.annotations);
    // The same request's RequestReceived event: no bodies, no status yet.
    const received = readEvents(log()).find((e) => e.auditID === done.auditID && e.stage === 'RequestReceived');
    assert.ok(received, 'RequestReceived logged');
    assert.equal(received.requestObject, undefined);
    assert.equal(received.responseStatus, undefined);
    assert.equal(received.requestReceivedTimestamp, done.requestReceivedTimestamp);
  });

  it('answers with the Audit-Id of the logged event; other resources at Metadata; health checks not at all', async () => {
    const r = await p.kubectl(['get', 'namespace', 'default', '-v=8']);
    assert.equal(r.code, 0, r.stderr);
    // The headers of the GET of the namespace itself (kubectl's discovery requests come first).
    const m = /Audit-Id: ([0-9a-f-]{36})/.exec(r.stderr.slice(r.stderr.search(/GET https:\/\/[^\s]+\/api\/v1\/namespaces\/default\b/)));
    assert.ok(m, 'kubectl saw the Audit-Id header');
    const ev = await waitForEvent(log, (e) => e.auditID === m[1] && e.stage === 'ResponseComplete', 'get namespace by its audit ID');
    assert.equal(ev.level, 'Metadata');
    assert.equal(ev.verb, 'get');
    assert.deepEqual(ev.objectRef, { resource: 'namespaces', namespace: 'default', name: 'default', apiVersion: 'v1' });
    assert.equal(ev.responseObject, undefined);
    assert.equal(ev.requestObject, undefined);
    assert.deepEqual(ev.responseStatus, { metadata: {}, code: 200 });

    assert.equal((await p.k(['get', '--raw', '/healthz'])).trim(), 'ok');
    await p.k(['get', '--raw', '/version']);
    await waitForEvent(log, (e) => e.requestURI === '/version' && e.stage === 'ResponseComplete', '/version');
    assert.ok(!readEvents(log()).some((e) => String(e.requestURI).startsWith('/healthz')), 'level None: /healthz not logged');
  });

  it('logs forbidden requests with code 403 and the forbid decision (impersonation and a token user)', async () => {
    const r = await p.kubectl(['get', 'secrets', '--as=nobody']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Forbidden/);
    const ev = await waitForEvent(log, (e) => e.impersonatedUser?.username === 'nobody' && e.objectRef?.resource === 'secrets' && e.stage === 'ResponseComplete', 'impersonated list');
    assert.equal(ev.user.username, 'admin');
    assert.ok(ev.impersonatedUser.groups.includes('system:authenticated'));
    assert.equal(ev.verb, 'list');
    assert.equal(ev.responseStatus.code, 403);
    assert.equal(ev.responseStatus.reason, 'Forbidden');
    assert.match(ev.responseStatus.message, /cannot list resource "secrets"/);
    assert.equal(ev.annotations['authorization.k8s.io/decision'], 'forbid');

    const t = await run(KUBECTL, ['--kubeconfig', '/dev/null', '--server', p.url, '--insecure-skip-tls-verify', '--token', 'nobody-token', '--cache-dir', p.cacheDir,
      'create', 'configmap', 'denied', '--from-literal=a=b']);
    assert.notEqual(t.code, 0);
    const denied = await waitForEvent(log, (e) => e.user?.username === 'nobody' && e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.stage === 'ResponseComplete', 'token user create');
    assert.deepEqual(denied.user, { username: 'nobody', uid: '1001', groups: ['team-a', 'system:authenticated'] });
    assert.equal(denied.level, 'RequestResponse');
    assert.equal(denied.responseStatus.code, 403);
    assert.equal(denied.annotations['authorization.k8s.io/decision'], 'forbid');
    assert.equal(denied.responseObject.kind, 'Status', 'at RequestResponse the Status is the response object');

    // Bad credentials: 401 without a user.
    const bad = await run(KUBECTL, ['--kubeconfig', '/dev/null', '--server', p.url, '--insecure-skip-tls-verify', '--token', 'wrong', '--cache-dir', p.cacheDir, 'get', 'pods']);
    assert.notEqual(bad.code, 0);
    const unauth = await waitForEvent(log, (e) => e.responseStatus?.code === 401 && e.stage === 'ResponseComplete', '401');
    assert.deepEqual(unauth.user, {});
  });

  it('logs a watch at ResponseStarted', async () => {
    const r = await p.kubectl(['get', 'configmaps', '--watch-only', '--request-timeout=2s']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const started = await waitForEvent(log, (e) => e.verb === 'watch' && e.stage === 'ResponseStarted', 'watch started');
    assert.equal(started.responseStatus.code, 200);
    assert.equal(started.responseObject, undefined);
  });
});

describe('audit log rotation', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-audit-rot-'));
  const logPath = path.join(tmp, 'audit.log');
  let p: Pilot;
  before(async () => {
    fs.writeFileSync(path.join(tmp, 'policy.yaml'), POLICY);
    p = await new Pilot({ extraArgs: ['--disable-controllers', '--disable-scheduler', '--audit-policy-file', path.join(tmp, 'policy.yaml'), '--audit-log-path', logPath,
      '--audit-log-maxsize', '1', '--audit-log-maxbackup', '2'] }).start();
  });
  after(async () => {
    await p?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('rotates at --audit-log-maxsize into name-<time>.log files and keeps --audit-log-maxbackup of them', async () => {
    const big = path.join(tmp, 'big.txt');
    fs.writeFileSync(big, 'x'.repeat(300 * 1024));
    // Each create logs ~600 KB (request + response object): 1 MB is passed every two.
    for (let i = 0; i < 6; i++) await p.k(['create', 'configmap', `big-${i}`, `--from-file=data=${big}`]);
    const files = (): string[] => [logPath, ...fs.readdirSync(tmp).filter((f) => /^audit-.*\.log$/.test(f)).map((f) => path.join(tmp, f))];
    await waitForEvent(files, (e) => e.objectRef?.name === 'big-5' && e.stage === 'ResponseComplete', 'the last create');
    const backups = fs.readdirSync(tmp).filter((f) => f.startsWith('audit-'));
    assert.ok(backups.length >= 1 && backups.length <= 2, `backups: ${backups.join(', ')}`);
    for (const b of backups) assert.match(b, /^audit-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log$/);
    for (const f of files()) assert.ok(fs.statSync(f).size <= 1024 * 1024, `${f} is ${fs.statSync(f).size} bytes`);
    // Only the newest backups are kept: the first creates are gone, every line left is whole JSON.
    const events = readEvents(files());
    assert.ok(!events.some((e) => e.objectRef?.name === 'big-0' && e.stage === 'ResponseComplete'), 'the oldest backup was removed');
  });

  it('flushes the log when the server stops', async () => {
    await p.k(['create', 'configmap', 'last-one', '--from-literal=a=b']);
    await p.stop();
    const events = readEvents([logPath]);
    assert.ok(events.some((e) => e.objectRef?.name === 'last-one' && e.stage === 'ResponseComplete'));
  });
});
