// The root CA publisher's sync against a real in-process API server, with a
// hand-fed cache (run by the manager: serviceaccount/controller.test.ts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../../../test/helpers/testserver.ts';
import { Indexer, type RestClient } from '../../client/index.ts';
import { DESCRIPTION, ROOT_CA_CONFIGMAP, syncRootCA } from './controller.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
let ts: TestServer;
let c: RestClient;
before(async () => { ts = await startTestServer(); c = ts.client; });
after(async () => { await ts.close(); });

const cms = (ns: string) => c.resource<ConfigMap>('v1', 'ConfigMap').namespace(ns);
const namespaces = () => c.resource<Namespace>('v1', 'Namespace');

function indexerOf<T extends object>(...objs: T[]): Indexer<T> {
  const ix = new Indexer<T>();
  for (const o of objs) ix.set(o);
  return ix;
}

test('syncRootCA creates, then corrects data and annotation; keeps other annotations', async () => {
  await namespaces().create({ metadata: { name: 'ca1' } });
  await syncRootCA({ client: c, configMaps: indexerOf<ConfigMap>(), caPem: CA }, 'ca1');
  const made = await cms('ca1').get(ROOT_CA_CONFIGMAP);
  assert.deepEqual(made.data, { 'ca.crt': CA });
  assert.equal(made.metadata?.annotations?.['kubernetes.io/description'], DESCRIPTION);

  const tampered = await cms('ca1').update({ ...made, data: { 'ca.crt': 'junk', extra: 'x' }, metadata: { ...made.metadata, annotations: { mine: 'yes' } } });
  await syncRootCA({ client: c, configMaps: indexerOf<ConfigMap>(tampered), caPem: CA }, 'ca1');
  const fixed = await cms('ca1').get(ROOT_CA_CONFIGMAP);
  assert.deepEqual(fixed.data, { 'ca.crt': CA });
  assert.deepEqual(fixed.metadata?.annotations, { mine: 'yes', 'kubernetes.io/description': DESCRIPTION });
  // Correct already: no write.
  await syncRootCA({ client: c, configMaps: indexerOf<ConfigMap>(fixed), caPem: CA }, 'ca1');
  assert.equal((await cms('ca1').get(ROOT_CA_CONFIGMAP)).metadata?.resourceVersion, fixed.metadata?.resourceVersion);
  // A namespace that is gone: nothing to retry.
  await syncRootCA({ client: c, configMaps: indexerOf<ConfigMap>(), caPem: CA }, 'gone-ns');
});
