// The service account controller against a real in-process API server: its
// sync with hand-fed caches, then it and the root CA publisher run by the
// manager (both follow namespaces the same way).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../../../test/helpers/testserver.ts';
import { Indexer, isNotFound, type RestClient } from '../../client/index.ts';
import { startControllerManager, type ControllerManager } from '../manager.ts';
import { serviceAccountController, syncServiceAccounts } from './controller.ts';
import { rootCACertPublisher, ROOT_CA_CONFIGMAP } from '../rootcacert/controller.ts';

const logger = pino({ level: 'silent' });
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
let ts: TestServer;
let c: RestClient;
before(async () => { ts = await startTestServer(); c = ts.client; });
after(async () => { await ts.close(); });

const sas = (ns: string) => c.resource<ServiceAccount>('v1', 'ServiceAccount').namespace(ns);
const cms = (ns: string) => c.resource<ConfigMap>('v1', 'ConfigMap').namespace(ns);
const namespaces = () => c.resource<Namespace>('v1', 'Namespace');

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function indexerOf<T extends object>(...objs: T[]): Indexer<T> {
  const ix = new Indexer<T>();
  for (const o of objs) ix.set(o);
  return ix;
}

describe('sync functions', () => {
  test('syncServiceAccounts creates what is missing, tolerates a stale cache, skips terminating namespaces', async () => {
    const ns = await namespaces().create({ metadata: { name: 'sa1' } });
    const deps = { client: c, namespaces: indexerOf<Namespace>(ns), serviceAccounts: indexerOf<ServiceAccount>(), accounts: ['default', 'builder'] };
    await syncServiceAccounts(deps, 'sa1');
    assert.deepEqual((await sas('sa1').list()).items.map((s) => s.metadata!.name).sort(), ['builder', 'default']);
    // The cache has not seen them yet: AlreadyExists is fine.
    await syncServiceAccounts(deps, 'sa1');
    // Unknown namespace: nothing.
    await syncServiceAccounts(deps, 'nope');

    await namespaces().delete('sa1');
    await sas('sa1').delete('default');
    const terminating = await namespaces().get('sa1');
    await syncServiceAccounts({ ...deps, namespaces: indexerOf<Namespace>(terminating) }, 'sa1');
    // An Active namespace in a stale cache, Terminating on the server: the 403 is swallowed.
    await syncServiceAccounts(deps, 'sa1');
    assert.deepEqual((await sas('sa1').list()).items.map((s) => s.metadata!.name), ['builder']);
  });

});

describe('run by the manager', () => {
  let m: ControllerManager;
  before(() => {
    m = startControllerManager({
      client: ts.newClient(), controllers: [serviceAccountController(), rootCACertPublisher()],
      leaderElect: false, identity: 'test', logger, rootCAPem: CA,
    });
  });
  after(async () => { await m.stop(); });

  test('every namespace gets `default` and kube-root-ca.crt; both come back when deleted; the ConfigMap is corrected when changed', async () => {
    // Existing namespaces too (default, kube-system…).
    await until('default/default', () => sas('kube-system').get('default'));
    await until('kube-system CA', () => cms('kube-system').get(ROOT_CA_CONFIGMAP));

    await namespaces().create({ metadata: { name: 'fresh' } });
    const sa = await until('sa', () => sas('fresh').get('default'));
    const cm = await until('cm', () => cms('fresh').get(ROOT_CA_CONFIGMAP));
    assert.equal(cm.data?.['ca.crt'], CA);

    await sas('fresh').delete('default');
    const sa2 = await until('sa again', async () => {
      const x = await sas('fresh').get('default');
      return x.metadata?.uid !== sa.metadata?.uid ? x : undefined;
    });
    assert.ok(sa2);

    await cms('fresh').delete(ROOT_CA_CONFIGMAP);
    await until('cm again', async () => {
      const x = await cms('fresh').get(ROOT_CA_CONFIGMAP);
      return x.metadata?.uid !== cm.metadata?.uid ? x : undefined;
    });

    await cms('fresh').patch(ROOT_CA_CONFIGMAP, 'merge', { data: { 'ca.crt': 'tampered' } });
    await until('cm corrected', async () => {
      const x = await cms('fresh').get(ROOT_CA_CONFIGMAP);
      return x.data?.['ca.crt'] === CA ? x : undefined;
    });
  });
});
