// What each node may read, for the Node authorizer (upstream's node graph,
// plugin/pkg/auth/authorizer/node/graph.go, in a flatter shape): the Secrets,
// ConfigMaps, PersistentVolumeClaims and ServiceAccounts that pods bound to
// the node reference, and the PersistentVolumes bound to those claims. Kept
// current from the registry's pod and claim watches (like source.ts keeps
// RBAC objects), so a pod bound to a node opens its references to that node
// within milliseconds, and its deletion closes them.

import type { Logger } from 'pino';
import type { Registry } from '../../registry/registry.ts';
import { listObjects, watchObjects } from '../../registry/list.ts';

type Obj = Record<string, any>;

export type RefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

const refKey = (kind: RefKind, ns: string, name: string): string => `${kind}/${ns}/${name}`;

/** Every object a pod references, as "kind/namespace/name" keys (upstream's graph edges into the pod). */
export function podReferences(pod: Obj): string[] {
  const ns = String(pod.metadata?.namespace ?? '');
  const spec = pod.spec ?? {};
  const out = new Set<string>();
  const add = (kind: RefKind, name: unknown): void => { if (typeof name === 'string' && name) out.add(refKey(kind, ns, name)); };
  add('serviceaccounts', spec.serviceAccountName);
  for (const s of (spec.imagePullSecrets ?? []) as Obj[]) add('secrets', s.name);
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Obj[];
  for (const c of containers) {
    for (const e of (c.env ?? []) as Obj[]) {
      add('secrets', e.valueFrom?.secretKeyRef?.name);
      add('configmaps', e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of (c.envFrom ?? []) as Obj[]) {
      add('secrets', e.secretRef?.name);
      add('configmaps', e.configMapRef?.name);
    }
  }
  for (const v of (spec.volumes ?? []) as Obj[]) {
    add('secrets', v.secret?.secretName);
    add('configmaps', v.configMap?.name);
    add('persistentvolumeclaims', v.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named after the pod and the volume.
    if (v.ephemeral) add('persistentvolumeclaims', `${String(pod.metadata?.name ?? '')}-${String(v.name)}`);
    for (const s of (v.projected?.sources ?? []) as Obj[]) {
      add('secrets', s.secret?.name);
      add('configmaps', s.configMap?.name);
    }
    // Volume plugins that read their credentials from a Secret.
    for (const src of [v.azureFile, v.cephfs, v.cinder, v.flexVolume, v.iscsi, v.rbd, v.scaleIO, v.storageos, v.csi]) {
      if (!src) continue;
      add('secrets', src.secretName ?? src.secretRef?.name ?? src.nodePublishSecretRef?.name);
    }
  }
  return [...out];
}

export class NodeGraph {
  /** pod "ns/name" → the node it is bound to and what it references. */
  private readonly pods = new Map<string, { node: string; refs: string[] }>();
  /** node → reference key → how many of its pods hold it. */
  private readonly byNode = new Map<string, Map<string, number>>();
  /** PersistentVolume name → the claims ("ns/name") bound to it. */
  private readonly claimsOfVolume = new Map<string, Set<string>>();
  /** claim "ns/name" → the volume it is bound to. */
  private readonly volumeOfClaim = new Map<string, string>();

  /** Adds or replaces a pod; pods not bound to a node reference nothing for any node. */
  setPod(pod: Obj): void {
    const key = `${String(pod.metadata?.namespace ?? '')}/${String(pod.metadata?.name ?? '')}`;
    this.deletePod(key);
    const node = pod.spec?.nodeName;
    if (typeof node !== 'string' || !node) return;
    const refs = podReferences(pod);
    this.pods.set(key, { node, refs });
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    for (const r of refs) m.set(r, (m.get(r) ?? 0) + 1);
  }

  deletePod(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    const m = this.byNode.get(old.node);
    if (!m) return;
    for (const r of old.refs) {
      const n = (m.get(r) ?? 0) - 1;
      if (n > 0) m.set(r, n); else m.delete(r);
    }
    if (!m.size) this.byNode.delete(old.node);
  }

  setClaim(pvc: Obj): void {
    const key = `${String(pvc.metadata?.namespace ?? '')}/${String(pvc.metadata?.name ?? '')}`;
    this.deleteClaim(key);
    const pv = pvc.spec?.volumeName;
    if (typeof pv !== 'string' || !pv) return;
    this.volumeOfClaim.set(key, pv);
    let s = this.claimsOfVolume.get(pv);
    if (!s) this.claimsOfVolume.set(pv, (s = new Set()));
    s.add(key);
  }

  deleteClaim(key: string): void {
    const pv = this.volumeOfClaim.get(key);
    if (pv === undefined) return;
    this.volumeOfClaim.delete(key);
    const s = this.claimsOfVolume.get(pv);
    s?.delete(key);
    if (s && !s.size) this.claimsOfVolume.delete(pv);
  }

  clear(): void {
    this.pods.clear();
    this.byNode.clear();
    this.claimsOfVolume.clear();
    this.volumeOfClaim.clear();
  }

  /** Whether a pod bound to `node` references the namespaced object. */
  references(node: string, kind: RefKind, ns: string, name: string): boolean {
    return (this.byNode.get(node)?.get(refKey(kind, ns, name)) ?? 0) > 0;
  }

  /** Whether the PersistentVolume is bound to a claim a pod on `node` uses. */
  referencesVolume(node: string, pv: string): boolean {
    for (const claim of this.claimsOfVolume.get(pv) ?? []) {
      const slash = claim.indexOf('/');
      if (this.references(node, 'persistentvolumeclaims', claim.slice(0, slash), claim.slice(slash + 1))) return true;
    }
    return false;
  }
}

/** A NodeGraph following the registry's pods and claims. */
export class RegistryNodeGraph extends NodeGraph {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly registry: Registry, private readonly logger: Logger) { super(); }

  /** Resolves once pods and claims have been listed. */
  async start(): Promise<void> {
    const kinds = ['pods', 'persistentvolumeclaims'] as const;
    await Promise.all(kinds.map((k) => new Promise<void>((resolve) => this.loops.push(this.follow(k, resolve)))));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async follow(kind: 'pods' | 'persistentvolumeclaims', synced: () => void): Promise<void> {
    const rest = this.registry.rest('', 'v1', kind)!;
    const set = (o: Obj): void => { if (kind === 'pods') this.setPod(o); else this.setClaim(o); };
    const del = (key: string): void => { if (kind === 'pods') this.deletePod(key); else this.deleteClaim(key); };
    const known = new Set<string>();
    while (!this.abort.signal.aborted) {
      try {
        // Each (re)start lists afresh: what was deleted while disconnected must go too.
        const list = await listObjects(rest, '', {});
        const fresh = new Set(list.items.map(keyOf));
        for (const k of known) if (!fresh.has(k)) del(k);
        known.clear();
        for (const o of list.items) { set(o); known.add(keyOf(o)); }
        synced();
        for await (const ev of watchObjects(rest, '', { resourceVersion: list.resourceVersion }, this.abort.signal)) {
          if (ev.type === 'BOOKMARK') continue;
          const k = keyOf(ev.object);
          if (ev.type === 'DELETED') { del(k); known.delete(k); } else { set(ev.object); known.add(k); }
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err, kind }, 'node graph watch failed; relisting');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

function keyOf(o: Obj): string { return `${String(o.metadata?.namespace ?? '')}/${String(o.metadata?.name ?? '')}`; }
