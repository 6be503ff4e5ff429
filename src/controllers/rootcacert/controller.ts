// The root CA publisher: every namespace has the ConfigMap kube-root-ca.crt
// holding the cluster CA (data `ca.crt`), put back when deleted or changed
// (upstream pkg/controller/certificates/rootcacertpublisher). Pods use it to
// verify the apiserver through kubernetes.default.svc.

import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { isNotFound, WorkQueue, type Lister, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { isNamespaceTerminating } from '../serviceaccount/controller.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Creates or corrects kube-root-ca.crt in namespace `ns`. Idempotent. */
export async function syncRootCA(deps: { client: RestClient; configMaps: Lister<ConfigMap>; caPem: string }, ns: string): Promise<void> {
  const cms = deps.client.resource<ConfigMap>('v1', 'ConfigMap').namespace(ns);
  const data = { 'ca.crt': deps.caPem };
  const cm = deps.configMaps.get(ns, ROOT_CA_CONFIGMAP);
  if (!cm) {
    try {
      await cms.create({ metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data });
    } catch (e) {
      // Don't retry when the namespace is gone or terminating. AlreadyExists (the
      // cache lags) is an error: retried, it finds the object and corrects it.
      if (isNotFound(e) || isNamespaceTerminating(e)) return;
      throw e;
    }
    return;
  }
  const sameData = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === deps.caPem && !cm.binaryData;
  if (sameData && cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return;
  // Never mutate the cached object; the update is compare-and-swap on its resourceVersion.
  const next: ConfigMap = structuredClone(cm) as ConfigMap;
  next.data = data;
  delete next.binaryData;
  next.metadata = { ...next.metadata, annotations: { ...(next.metadata?.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } };
  await cms.update(next);
}

export function rootCACertPublisher(o: { workers?: number } = {}): Controller {
  return {
    name: 'root-ca-cert-publisher',
    async run(ctx: ControllerContext): Promise<void> {
      const caPem = ctx.rootCAPem;
      if (!caPem) {
        ctx.logger.warn('no root CA given; not publishing kube-root-ca.crt');
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      }
      const nsInformer = ctx.informers.informerFor<Namespace>('v1', 'Namespace');
      const cmInformer = ctx.informers.informerFor<ConfigMap>('v1', 'ConfigMap');
      const queue = new WorkQueue<string>({ name: 'root_ca_cert_publisher', clock: ctx.clock });
      const onCm = (cm: ConfigMap): void => {
        if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) queue.add(cm.metadata.namespace);
      };
      const handles = [
        nsInformer.on({
          add: (ns) => queue.add(ns.metadata!.name!),
          update: (_o, ns) => { if (ns.status?.phase === 'Active') queue.add(ns.metadata!.name!); },
        }),
        cmInformer.on({ update: (_o, cm) => onCm(cm), delete: onCm }),
      ];
      try {
        if (!(await waitForSync(ctx.signal, nsInformer, cmInformer))) return;
        const deps = { client: ctx.client, configMaps: cmInformer.lister(), caPem };
        await runWorkers(queue, (ns) => syncRootCA(deps, ns), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? 1 });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
