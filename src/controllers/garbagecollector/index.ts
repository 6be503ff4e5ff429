// The "garbage-collector" controller: informers on every resource that can be
// listed, watched and deleted feed the dependency graph (graph.ts); the
// collector (collector.ts) deletes dependents whose owners are gone and
// carries out foreground and orphan deletions (the `foregroundDeletion` and
// `orphan` finalizers the API server adds for DELETE's propagationPolicy).
//
// Without it running, objects deleted with --cascade=foreground|orphan keep
// their finalizer and stay (deletionTimestamp set) — as upstream without
// kube-controller-manager.

import { RESOURCES, apiVersionOf, findByKind, isVirtual, type ResourceInfo } from '../../api/resources.ts';
import type { Disposable } from '../../base/clock.ts';
import { isNotFound, type KubeObject, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { GarbageCollector, UnknownKindError, type GCObjectApi, type ObjectCoordinates } from './collector.ts';

export { GarbageCollector } from './collector.ts';
export { DependencyGraph } from './graph.ts';

/** Upstream's default ignored resources: Events are never owners or dependents worth collecting. */
function ignored(r: ResourceInfo): boolean {
  return r.plural === 'events' && (r.group === '' || r.group === 'events.k8s.io');
}

/** The resources the collector watches: stored (not virtual), with list, watch and delete. */
export function collectedResources(): ResourceInfo[] {
  return RESOURCES.filter((r) => !isVirtual(r) && !ignored(r) && ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v as never)));
}

/** The collector's API calls through the client library. */
export function restObjectApi(client: RestClient): GCObjectApi {
  const resource = (ref: ObjectCoordinates) => {
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info) throw new UnknownKindError(ref.apiVersion, ref.kind);
    const rc = client.resource(ref.apiVersion, ref.kind);
    return info.namespaced ? rc.namespace(ref.namespace) : rc;
  };
  return {
    async get(ref, signal) {
      try {
        return await resource(ref).get(ref.name, { signal });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async delete(ref, uid, propagationPolicy, signal) {
      await resource(ref).delete(ref.name, { preconditions: { uid }, propagationPolicy, signal });
    },
    async patch(ref, patch, signal) {
      await resource(ref).patch(ref.name, 'merge', patch, { signal });
    },
  };
}

export interface GarbageCollectorControllerOptions {
  /** Concurrent syncs per queue (upstream --concurrent-gc-syncs). */
  workers?: number;
}

export function garbageCollectorController(opts: GarbageCollectorControllerOptions = {}): Controller {
  return { name: 'garbage-collector', run: (ctx) => runGarbageCollector(ctx, opts) };
}

async function runGarbageCollector(ctx: ControllerContext, opts: GarbageCollectorControllerOptions): Promise<void> {
  const gc = new GarbageCollector({
    api: restObjectApi(ctx.client),
    clock: ctx.clock,
    logger: ctx.logger,
    recorder: ctx.recorder('garbage-collector-controller'),
    workers: opts.workers,
  });
  // Informers first (before any await): the manager starts the factory once
  // every controller has asked for its informers.
  const informers = collectedResources().map((r) => ctx.informers.informerFor<KubeObject>(apiVersionOf(r), r.kind));
  const handlers: Disposable[] = informers.map((inf) => inf.on({
    add: (obj) => gc.graph.observe(obj),
    update: (old, obj) => gc.graph.observe(obj, old),
    delete: (obj) => gc.graph.observeDelete(obj),
  }));
  try {
    // Decisions need the whole graph: an owner not yet listed would look absent.
    await Promise.all(informers.map((inf) => inf.waitForSync(ctx.signal)));
    ctx.logger.info({ objects: gc.graph.size, resources: informers.length }, 'garbage collector synced');
    await gc.run(ctx.signal);
  } catch (e) {
    if (!ctx.signal.aborted) throw e;
  } finally {
    for (const h of handlers) h.dispose();
    gc.deleteQueue.shutDown();
    gc.orphanQueue.shutDown();
  }
}
