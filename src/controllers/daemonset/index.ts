// The DaemonSet controller as the controller manager runs it ("daemonset").

import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { WorkQueue, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { DaemonSetsController, DEFAULT_WORKERS, type DaemonSetApi } from './daemonset.ts';

export { DaemonSetsController, daemonPodTemplate, BURST_REPLICAS, type DaemonSetApi, type DaemonSetControllerDeps } from './daemonset.ts';
export { nodeShouldRunDaemonPod, newDaemonPod, type NodeVerdict } from './eligibility.ts';
export { addDaemonPodTolerations, toleratesTaint, findUntoleratedTaint } from './tolerations.ts';
export { podFitsNodeAffinity, replaceNodeNameAffinity, targetNodeName, NODE_NAME_FIELD } from './node-affinity.ts';
export { REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL, TEMPLATE_GENERATION_ANNOTATION } from './history.ts';

export function restDaemonSetApi(client: RestClient): DaemonSetApi {
  const dss = client.resource<DaemonSet>('apps/v1', 'DaemonSet');
  const pods = client.resource<Pod>('v1', 'Pod');
  const crs = client.resource<ControllerRevision>('apps/v1', 'ControllerRevision');
  const nodes = client.resource<Node>('v1', 'Node');
  return {
    getDaemonSet: (ns, name) => dss.namespace(ns).get(name),
    updateDaemonSetStatus: (ds) => dss.namespace(ds.metadata!.namespace!).updateStatus(ds),
    createPod: (ns, pod) => pods.namespace(ns).create(pod),
    deletePod: async (ns, name, opts) => { await pods.namespace(ns).delete(name, opts ?? {}); },
    patchPod: async (ns, name, patch) => { await pods.namespace(ns).patch(name, 'strategic', patch); },
    getRevision: (ns, name) => crs.namespace(ns).get(name),
    createRevision: (ns, cr) => crs.namespace(ns).create(cr),
    updateRevision: (ns, cr) => crs.namespace(ns).update(cr),
    deleteRevision: async (ns, name) => { await crs.namespace(ns).delete(name); },
    patchRevision: async (ns, name, patch) => { await crs.namespace(ns).patch(name, 'strategic', patch); },
    getNode: (name) => nodes.get(name),
  };
}

export interface DaemonSetControllerOptions {
  /** Default 2 (upstream's --concurrent-daemonset-syncs). */
  workers?: number;
  burstReplicas?: number;
}

/** The controller the manager runs as "daemonset". */
export function daemonSetController(o: DaemonSetControllerOptions = {}): Controller {
  return {
    name: 'daemonset',
    async run(ctx: ControllerContext): Promise<void> {
      const dsInformer = ctx.informers.informerFor<DaemonSet>('apps/v1', 'DaemonSet');
      const crInformer = ctx.informers.informerFor<ControllerRevision>('apps/v1', 'ControllerRevision');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const nodeInformer = ctx.informers.informerFor<Node>('v1', 'Node');
      const queue = new WorkQueue<string>({ name: 'daemonset', clock: ctx.clock });
      const c = new DaemonSetsController({
        daemonSets: dsInformer.lister(), pods: podInformer.lister(), nodes: nodeInformer.lister(), revisions: crInformer.lister(),
        api: restDaemonSetApi(ctx.client), recorder: ctx.recorder('daemonset-controller'), clock: ctx.clock, logger: ctx.logger,
        queue, burstReplicas: o.burstReplicas,
      });
      const handles = [
        dsInformer.on(c.daemonSetHandler()), crInformer.on(c.revisionHandler()),
        podInformer.on(c.podHandler()), nodeInformer.on(c.nodeHandler()),
      ];
      try {
        if (!(await waitForSync(ctx.signal, podInformer, nodeInformer, crInformer, dsInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
