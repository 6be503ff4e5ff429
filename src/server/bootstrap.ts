// Objects every cluster has from the start: the system namespaces and the
// `kubernetes` Service (first Service IP).

import { ApiError } from '../base/errors.ts';
import type { Registry } from '../apiserver/registry/registry.ts';
import type { RequestContext } from '../apiserver/registry/strategy.ts';
import { KUBERNETES_SERVICE_IP } from './pki.ts';
import { SYSTEM_PRIORITY_CLASSES } from '../apiserver/admission/priority.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function systemContext(): RequestContext {
  return {
    user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date(), dryRun: false,
    fieldManager: 'kube-apiserver', fieldManagerDefaulted: false, fieldValidation: 'Ignore', warnings: [],
  };
}

async function ensure(fn: () => Promise<unknown>): Promise<void> {
  try { await fn(); } catch (e) { if (!(e instanceof ApiError && e.code === 409)) throw e; }
}

export async function bootstrapCluster(registry: Registry, apiserver: { ip: string; port: number }): Promise<void> {
  const namespaces = registry.rest('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(() => namespaces.create('', { metadata: { name } }, systemContext()));
  }
  // The built-in PriorityClasses (upstream's apiserver makes them at start).
  const priorityClasses = registry.rest('scheduling.k8s.io', 'v1', 'priorityclasses')!;
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    await ensure(() => priorityClasses.create('', { metadata: { name: pc.name }, value: pc.value, description: pc.description }, systemContext()));
  }
  const services = registry.rest('', 'v1', 'services')!;
  // Look first: creating it again would fail on its IP (422, taken by itself), not 409.
  const existing = await services.get('default', 'kubernetes').catch((e: unknown) => {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  });
  const ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiserver.port }];
  if (!existing) {
    await services.create('default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP, sessionAffinity: 'None', ports },
    }, systemContext()).catch(async (e: unknown) => {
      // Another server on the same datastore, starting at the same moment, made it
      // first (the create then fails on the name, 409, or on the IP, 422): fine. On
      // the IP it fails before the other's Service is written: give that a moment.
      for (let i = 0; i < 50; i++) {
        if (await services.get('default', 'kubernetes').catch(() => undefined)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw e;
    });
  } else if (existing.spec?.ports?.[0]?.targetPort !== apiserver.port) {
    // Started on another port than last time: the Service follows the apiserver.
    await services.patch('default', 'kubernetes', 'merge-patch', { spec: { ports } }, systemContext());
  }
  // Its Endpoints list every live apiserver: apiserver-endpoints.ts keeps them.
}
