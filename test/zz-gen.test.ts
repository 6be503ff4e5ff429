import { test } from 'node:test';
import { Pilot } from './helpers/pilot.ts';
import { deploymentObj, yamlDocs } from './helpers/manifests.ts';

test('gen', async () => {
  const pilot = await new Pilot().start();
  await pilot.k(['create', 'ns', 'x']);
  await pilot.k(['create', '-f', '-'], { input: yamlDocs(deploymentObj({ name: 'web', namespace: 'x', replicas: 2 })) });
  await pilot.k(['rollout', 'restart', 'deploy/web', '-n', 'x']);
  const d = await pilot.json(['get', 'deploy', 'web', '-n', 'x']);
  console.log('gen', d.metadata.generation, JSON.stringify(d.metadata.managedFields.map((m: any) => [m.manager, m.operation, m.subresource, JSON.stringify(m.fieldsV1).slice(0, 300)])));
  await pilot.dispose();
});
