// The live RBAC objects of the cluster, for the authorizer: Roles,
// ClusterRoles, RoleBindings and ClusterRoleBindings kept in memory from the
// registry's watches (upstream's authorizer reads informer caches the same
// way). A change is visible to authorization within milliseconds of its write.

import type { Logger } from 'pino';
import type { Registry } from '../../registry/registry.ts';
import { listObjects, watchObjects } from '../../registry/list.ts';
import type { Obj } from './rules.ts';
import type { RbacSource } from './resolver.ts';

const KINDS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const;
type Kind = typeof KINDS[number];

export class RegistryRbacSource implements RbacSource {
  private readonly maps: Record<Kind, Map<string, Obj>> = {
    roles: new Map(), clusterroles: new Map(), rolebindings: new Map(), clusterrolebindings: new Map(),
  };
  /** RoleBindings by namespace, the hot path of every namespaced request. */
  private readonly bindingsByNs = new Map<string, Map<string, Obj>>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  /** Bumped on every change (for callers that cache decisions). */
  generation = 0;

  constructor(private readonly registry: Registry, private readonly logger: Logger) {}

  /** Resolves once every kind has been listed. */
  async start(): Promise<void> {
    const synced = KINDS.map((k) => new Promise<void>((resolve) => this.loops.push(this.follow(k, resolve))));
    await Promise.all(synced);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  role(ns: string, name: string): Obj | undefined { return this.maps.roles.get(`${ns}/${name}`); }
  clusterRole(name: string): Obj | undefined { return this.maps.clusterroles.get(name); }
  roleBindings(ns: string): Iterable<Obj> { return this.bindingsByNs.get(ns)?.values() ?? []; }
  clusterRoleBindings(): Iterable<Obj> { return this.maps.clusterrolebindings.values(); }

  private async follow(kind: Kind, synced: () => void): Promise<void> {
    const rest = this.registry.rest('rbac.authorization.k8s.io', 'v1', kind)!;
    while (!this.abort.signal.aborted) {
      try {
        // Each (re)start lists afresh: what was deleted while disconnected must go too.
        const fresh = new Map<string, Obj>();
        const list = await listObjects(rest, '', {});
        for (const o of list.items) fresh.set(keyOf(o), o);
        this.replaceAll(kind, fresh);
        synced();
        for await (const ev of watchObjects(rest, '', { resourceVersion: list.resourceVersion }, this.abort.signal)) {
          if (ev.type === 'BOOKMARK') continue;
          this.apply(kind, ev.type === 'DELETED' ? undefined : ev.object, keyOf(ev.object));
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err, kind }, 'RBAC watch failed; relisting');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private replaceAll(kind: Kind, objs: Map<string, Obj>): void {
    this.maps[kind] = objs;
    if (kind === 'rolebindings') {
      this.bindingsByNs.clear();
      for (const [k, o] of objs) this.indexBinding(k, o);
    }
    this.generation++;
  }

  private apply(kind: Kind, obj: Obj | undefined, key: string): void {
    if (obj) this.maps[kind].set(key, obj); else this.maps[kind].delete(key);
    if (kind === 'rolebindings') {
      const ns = key.slice(0, key.indexOf('/'));
      if (obj) this.indexBinding(key, obj); else this.bindingsByNs.get(ns)?.delete(key);
    }
    this.generation++;
  }

  private indexBinding(key: string, o: Obj): void {
    const ns = o.metadata?.namespace ?? '';
    let m = this.bindingsByNs.get(ns);
    if (!m) this.bindingsByNs.set(ns, (m = new Map()));
    m.set(key, o);
  }
}

function keyOf(o: Obj): string {
  const ns = o.metadata?.namespace;
  return ns ? `${ns}/${o.metadata.name}` : o.metadata.name;
}
