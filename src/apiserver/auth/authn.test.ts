import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ensurePki, issueClientCert, type Pki } from '../../server/pki.ts';
import { createAuthenticator, parseTokenFile, type Authenticator, type UserInfo } from './authn.ts';

let dir: string;
let pki: Pki;
let otherPki: Pki;
const servers: https.Server[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-authn-'));
  pki = await ensurePki(path.join(dir, 'a'), { hosts: [], ips: [] });
  otherPki = await ensurePki(path.join(dir, 'b'), { hosts: [], ips: [] });
  fs.writeFileSync(path.join(dir, 'tokens.csv'), [
    'secret-token,alice,uid-1,"dev,ops"',
    '',
    'plain-token,bob,,',
    'nogroups,carol,uid-3',
  ].join('\n'));
});

after(() => {
  for (const s of servers) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real https server set up as the apiserver must be, answering with who it thinks you are. */
async function serve(auth: Authenticator): Promise<number> {
  const server = https.createServer({
    cert: pki.servingCertPem, key: pki.servingKeyPem,
    requestCert: true, rejectUnauthorized: false, ca: [pki.caCertPem],
  }, (req, res) => {
    void auth.authenticate(req).then((u) => {
      res.writeHead(u ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(u ?? null));
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function who(port: number, opts: { cert?: string; key?: string; token?: string; header?: string; agent?: https.Agent } = {}): Promise<{ status: number; user: UserInfo | null }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (opts.header !== undefined) headers.authorization = opts.header;
    const req = https.request({
      host: '127.0.0.1', port, path: '/', ca: [pki.caCertPem], cert: opts.cert, key: opts.key, headers,
      agent: opts.agent ?? false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, user: JSON.parse(body) as UserInfo | null }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a client certificate from the cluster CA: CN is the user, O the groups', async () => {
  const port = await serve(createAuthenticator());
  const r = await who(port, { cert: pki.adminCertPem, key: pki.adminKeyPem });
  assert.equal(r.status, 200);
  assert.deepEqual(r.user, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });

  const node = await issueClientCert(pki, { cn: 'system:node:n1', orgs: ['system:nodes', 'g2'] });
  const r2 = await who(port, { cert: node.certPem, key: node.keyPem });
  assert.deepEqual(r2.user, { username: 'system:node:n1', groups: ['system:nodes', 'g2', 'system:authenticated'] });
});

test('no credentials: 401, or system:anonymous when anonymous is on', async () => {
  assert.deepEqual(await who(await serve(createAuthenticator())), { status: 401, user: null });
  const r = await who(await serve(createAuthenticator({ anonymous: true })));
  assert.deepEqual(r.user, { username: 'system:anonymous', groups: ['system:unauthenticated'] });
});

test('a certificate from another CA is not trusted', async () => {
  const port = await serve(createAuthenticator({ anonymous: true }));
  const r = await who(port, { cert: otherPki.adminCertPem, key: otherPki.adminKeyPem });
  // Not the admin: treated as no credentials at all.
  assert.equal(r.user?.username, 'system:anonymous');
});

test('a server-only certificate is not accepted as a client certificate', async () => {
  const port = await serve(createAuthenticator());
  const r = await who(port, { cert: pki.servingCertPem, key: pki.servingKeyPem });
  assert.equal(r.status, 401);
});

test('bearer tokens from the token file', async () => {
  const port = await serve(createAuthenticator({ tokenFile: path.join(dir, 'tokens.csv'), anonymous: true }));
  assert.deepEqual((await who(port, { token: 'secret-token' })).user,
    { username: 'alice', uid: 'uid-1', groups: ['dev', 'ops', 'system:authenticated'] });
  assert.deepEqual((await who(port, { token: 'plain-token' })).user, { username: 'bob', groups: ['system:authenticated'] });
  assert.deepEqual((await who(port, { token: 'nogroups' })).user, { username: 'carol', uid: 'uid-3', groups: ['system:authenticated'] });
  assert.deepEqual((await who(port, { header: 'bearer secret-token' })).user?.username, 'alice', 'scheme is case-insensitive');
  // A wrong or malformed token is a 401 even with anonymous on.
  assert.equal((await who(port, { token: 'secret-tokeN' })).status, 401);
  assert.equal((await who(port, { header: 'Bearer' })).status, 401);
  assert.equal((await who(port, { header: 'Bearer a b' })).status, 401);
  // Other schemes are not ours: as if no credentials.
  assert.equal((await who(port, { header: 'Basic Zm9vOmJhcg==' })).user?.username, 'system:anonymous');
  // A valid certificate wins over a bad token, as upstream's union does.
  assert.equal((await who(port, { cert: pki.adminCertPem, key: pki.adminKeyPem, token: 'nope' })).user?.username, 'admin');
});

test('the certificate still identifies the user on reused and resumed connections', async () => {
  const port = await serve(createAuthenticator());
  const keep = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const fresh = new https.Agent({ keepAlive: false }); // new connections, TLS session resumption
  try {
    for (const agent of [keep, keep, keep, fresh, fresh, fresh]) {
      const r = await who(port, { cert: pki.adminCertPem, key: pki.adminKeyPem, agent });
      assert.equal(r.user?.username, 'admin');
    }
  } finally { keep.destroy(); fresh.destroy(); }
});

test('service-account seam: extra token authenticators are tried after the file', async () => {
  const port = await serve(createAuthenticator({
    tokenFile: path.join(dir, 'tokens.csv'),
    tokenAuthenticators: [{ authenticateToken: (t) => (t === 'jwt' ? { username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts'] } : undefined) }],
  }));
  assert.deepEqual((await who(port, { token: 'jwt' })).user,
    { username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts', 'system:authenticated'] });
  assert.equal((await who(port, { token: 'secret-token' })).user?.username, 'alice');
});

test('parseTokenFile: quoting, blank lines, empty tokens, too few columns', () => {
  const toks = parseTokenFile('t1,u1,id1,"a,b"\r\n\r\n,skipped,x\n"t""2",u2,id2\n', 'f.csv');
  assert.deepEqual(toks, [
    { token: 't1', user: { username: 'u1', uid: 'id1', groups: ['a', 'b'] } },
    { token: 't"2', user: { username: 'u2', uid: 'id2', groups: [] } },
  ]);
  assert.throws(() => parseTokenFile('t1,u1\n', 'f.csv'),
    { message: "token file 'f.csv' must have at least 3 columns (token, user name, user uid), found 2" });
  assert.throws(() => parseTokenFile('"t1,u1,x\n', 'f.csv'), /unterminated/);
});
