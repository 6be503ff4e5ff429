import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auditor, recordRequestBody, type AuditUserInfo } from './auditor.ts';
import { parsePolicy } from './policy.ts';

type Ev = Record<string, any>;

const policy = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz"]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"]}]
    omitManagedFields: true
  - level: Request
    resources: [{group: "", resources: ["secrets"]}]
    omitStages: [RequestReceived]
  - level: Metadata
`);

const ALICE: AuditUserInfo = { username: 'alice', uid: 'u-1', groups: ['dev', 'system:authenticated'] };

/** A stand-in for the API handler: the same calls, in the same order, as handler.ts makes. */
function handler(auditor: Auditor) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const audit = auditor.begin(req, res);
    const user = req.headers.authorization ? ALICE : undefined;
    audit.authenticated(user);
    if (!user) { res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"kind":"Status","status":"Failure","reason":"Unauthorized","code":401}'); return; }
    let acting = user;
    if (req.headers['impersonate-user']) { acting = { username: String(req.headers['impersonate-user']), groups: ['system:authenticated'] }; audit.impersonated(acting); }
    const allowed = !req.url!.includes('forbidden');
    audit.authorized({ allowed, reason: allowed ? 'RBAC: allowed by a binding' : '' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      recordRequestBody(req, body);
      if (req.url!.includes('panic')) { audit.panicked(new Error('boom')); res.writeHead(500).end(); return; }
      if (!allowed) {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'secrets is forbidden', reason: 'Forbidden', details: { kind: 'secrets' }, code: 403 }));
        return;
      }
      if (req.url!.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{}}\n');
        setTimeout(() => res.end(), 20);
        return;
      }
      const obj = body.length ? JSON.parse(body.toString()) as Ev : { kind: 'ConfigMap', metadata: { name: 'x' } };
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ...obj, metadata: { ...obj.metadata, uid: 'uid-1', managedFields: [{ manager: 'kubectl' }] } }));
    });
  };
}

describe('Auditor', () => {
  const lines: string[] = [];
  const events = (): Ev[] => lines.map((l) => JSON.parse(l) as Ev);
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer(handler(new Auditor({ policy, sink: { write: (l) => lines.push(l), close: async () => {} } })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const req = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const r = await fetch(base + path, { ...init, headers: { authorization: 'Bearer t', 'user-agent': 'test/1.0', ...(init.headers as Record<string, string> ?? {}) } });
    await r.text();
    return r;
  };
  const forID = async (id: string, n: number): Promise<Ev[]> => {
    for (let i = 0; i < 100; i++) {
      const evs = events().filter((e) => e.auditID === id);
      if (evs.length >= n) return evs;
      await new Promise((r) => setTimeout(r, 10));
    }
    return events().filter((e) => e.auditID === id);
  };

  it('logs RequestReceived and ResponseComplete with upstream\'s fields, bodies at RequestResponse', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', managedFields: [{ manager: 'me' }] }, data: { a: 'b' } };
    const r = await req('/api/v1/namespaces/ns1/configmaps?fieldManager=kubectl-create', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.9' } });
    const id = r.headers.get('audit-id')!;
    assert.match(id, /^[0-9a-f-]{36}$/);
    const [received, complete] = await forID(id, 2);
    assert.equal(received.stage, 'RequestReceived');
    assert.equal(complete.stage, 'ResponseComplete');
    assert.deepEqual(Object.keys(complete), ['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'sourceIPs', 'userAgent', 'objectRef',
      'responseStatus', 'requestObject', 'responseObject', 'requestReceivedTimestamp', 'stageTimestamp', 'annotations']);
    assert.equal(complete.level, 'RequestResponse');
    assert.equal(complete.requestURI, '/api/v1/namespaces/ns1/configmaps?fieldManager=kubectl-create');
    assert.equal(complete.verb, 'create');
    assert.deepEqual(complete.user, { username: 'alice', uid: 'u-1', groups: ['dev', 'system:authenticated'] });
    assert.deepEqual(complete.sourceIPs, ['10.0.0.9', '127.0.0.1']);
    assert.equal(complete.userAgent, 'test/1.0');
    assert.deepEqual(complete.objectRef, { resource: 'configmaps', namespace: 'ns1', name: 'cm1', apiVersion: 'v1' });
    assert.deepEqual(complete.responseStatus, { metadata: {}, code: 201 });
    assert.deepEqual(complete.requestObject.data, { a: 'b' });
    assert.equal(complete.requestObject.metadata.managedFields, undefined, 'omitManagedFields');
    assert.equal(complete.responseObject.metadata.uid, 'uid-1');
    assert.equal(complete.responseObject.metadata.managedFields, undefined, 'omitManagedFields');
    assert.deepEqual(complete.annotations, { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by a binding' });
    assert.equal(received.annotations, undefined, 'authorization comes after RequestReceived');
    assert.equal(received.objectRef.name, undefined, 'the name comes from the body, read later');
  });

  it('Metadata level: no bodies; a Status error fills responseStatus; impersonation is logged', async () => {
    const r = await req('/api/v1/namespaces/ns1/pods/forbidden', { headers: { 'impersonate-user': 'bob' } });
    const [, complete] = await forID(r.headers.get('audit-id')!, 2);
    assert.equal(complete.level, 'Metadata');
    assert.equal(complete.verb, 'get');
    assert.deepEqual(complete.impersonatedUser, { username: 'bob', groups: ['system:authenticated'] });
    assert.deepEqual(complete.responseStatus, { metadata: {}, status: 'Failure', message: 'secrets is forbidden', reason: 'Forbidden', details: { kind: 'secrets' }, code: 403 });
    assert.equal(complete.responseObject, undefined);
    assert.equal(complete.requestObject, undefined);
    assert.equal(complete.annotations['authorization.k8s.io/decision'], 'forbid');
  });

  it('Request level with RequestReceived omitted; a client-given Audit-ID is kept', async () => {
    const r = await req('/api/v1/namespaces/ns1/secrets/s1', { method: 'PUT', body: '{"kind":"Secret","metadata":{"name":"s1"}}', headers: { 'audit-id': 'my-audit-id' } });
    assert.equal(r.headers.get('audit-id'), 'my-audit-id');
    const evs = await forID('my-audit-id', 1);
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(events().filter((e) => e.auditID === 'my-audit-id').map((e) => e.stage), ['ResponseComplete']);
    assert.equal(evs[0].level, 'Request');
    assert.equal(evs[0].verb, 'update');
    assert.equal(evs[0].requestObject.kind, 'Secret');
    assert.equal(evs[0].responseObject, undefined);
  });

  it('watches log ResponseStarted when the response starts, then ResponseComplete', async () => {
    const r = await req('/api/v1/namespaces/ns1/configmaps?watch=true');
    const evs = await forID(r.headers.get('audit-id')!, 3);
    assert.deepEqual(evs.map((e) => e.stage), ['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
    assert.equal(evs[1].verb, 'watch');
    assert.deepEqual(evs[1].responseStatus, { metadata: {}, code: 200 });
    assert.equal(evs[2].responseObject, undefined, 'watch streams are not logged');
  });

  it('an unexpected error is a Panic event instead of ResponseComplete', async () => {
    const r = await req('/api/v1/namespaces/ns1/pods/panic');
    const evs = await forID(r.headers.get('audit-id')!, 2);
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(events().filter((e) => e.auditID === evs[0].auditID).map((e) => e.stage), ['RequestReceived', 'Panic']);
    assert.equal(evs[1].responseStatus.code, 500);
    assert.match(evs[1].responseStatus.message, /APIServer panic'd: boom/);
  });

  it('level None logs nothing but still answers the Audit-Id; a failed authentication has no user', async () => {
    const before = lines.length;
    const r = await req('/healthz');
    assert.match(r.headers.get('audit-id') ?? '', /^[0-9a-f-]{36}$/);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(lines.length, before);
    const u = await fetch(`${base}/api/v1/pods`);
    const [recv, complete] = await forID(u.headers.get('audit-id')!, 2);
    assert.deepEqual(recv.user, { username: 'system:anonymous', groups: ['system:unauthenticated'] });
    assert.deepEqual(complete.user, {});
    assert.equal(complete.responseStatus.code, 401);
  });

  it('without a policy, requests only get their Audit-Id', async () => {
    const s = http.createServer(handler(new Auditor()));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/pods`, { headers: { authorization: 'x' } });
      await r.text();
      assert.match(r.headers.get('audit-id') ?? '', /^[0-9a-f-]{36}$/);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});
