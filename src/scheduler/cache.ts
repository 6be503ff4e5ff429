// The scheduler's cache (upstream's internal/cache): every node with the pods
// on it, fed by the informers, plus the pods this scheduler has *assumed* onto
// a node while their binding is in flight — so the next cycle already counts
// their resources. An assumed pod is confirmed when the informer reports it
// bound, and forgotten when the binding fails.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './nodeinfo.ts';
import { buildPodInfo, podKey } from './podinfo.ts';
import { Snapshot } from './snapshot.ts';
import type { PodInfo } from './types.ts';

interface PodState { info: PodInfo; nodeName: string; assumed: boolean; bindingFinished: boolean }

const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  private readonly imageNumNodes = new Map<string, number>();
  private nodeListDirty = true;
  private affinityDirty = true;

  // ---- nodes ------------------------------------------------------------------

  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.nodes.set(name, ni);
    }
    if (ni.node) this.countImages(ni, -1);
    else this.nodeListDirty = true;
    const zoneBefore = ni.node ? zoneOf(ni.node) : undefined;
    ni.setNode(node);
    this.countImages(ni, 1);
    if (zoneBefore !== undefined && zoneBefore !== zoneOf(node)) this.nodeListDirty = true;
    return ni;
  }

  updateNode(node: Node): NodeInfo { return this.addNode(node); }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const ni = this.nodes.get(name);
    if (!ni?.node) return;
    this.countImages(ni, -1);
    // Pods still on it stay counted (upstream keeps a ghost NodeInfo until they are gone).
    ni.node = undefined;
    ni.generation++;
    if (ni.pods.size === 0) this.nodes.delete(name);
    this.nodeListDirty = true;
    this.affinityDirty = true;
  }

  private countImages(ni: NodeInfo, sign: 1 | -1): void {
    for (const img of ni.imageSizes.keys()) {
      const n = (this.imageNumNodes.get(img) ?? 0) + sign;
      if (n > 0) this.imageNumNodes.set(img, n); else this.imageNumNodes.delete(img);
    }
  }

  nodeInfo(name: string): NodeInfo | undefined { return this.nodes.get(name); }
  nodeCount(): number { let n = 0; for (const ni of this.nodes.values()) if (ni.node) n++; return n; }

  // ---- pods ---------------------------------------------------------------------

  /** A bound pod seen by the informer (add or update); confirms an assumption. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const state = this.podStates.get(key);
    if (state && state.nodeName !== nodeName) this.detach(key, state);
    const info = buildPodInfo(pod);
    this.attach(key, { info, nodeName, assumed: false, bindingFinished: true });
  }

  updatePod(pod: Pod): void { this.addPod(pod); }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const state = this.podStates.get(key);
    if (state) this.detach(key, state);
  }

  /** Counts `info` on `nodeName` before the API knows it (binding in flight). */
  assumePod(info: PodInfo, nodeName: string): void {
    const existing = this.podStates.get(info.key);
    if (existing) this.detach(info.key, existing);
    const pod: Pod = { ...info.pod, spec: { ...info.pod.spec!, nodeName } };
    this.attach(info.key, { info: { ...info, pod }, nodeName, assumed: true, bindingFinished: false });
  }

  finishBinding(key: string): void {
    const s = this.podStates.get(key);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** Undoes assumePod (binding failed); a pod the informer already confirmed stays. */
  forgetPod(key: string): void {
    const s = this.podStates.get(key);
    if (s?.assumed) this.detach(key, s);
  }

  isAssumed(key: string): boolean { return this.podStates.get(key)?.assumed === true; }
  /** The node a pod is on (bound or assumed), if the cache has it. */
  podNode(key: string): string | undefined { return this.podStates.get(key)?.nodeName; }
  podCount(): number { return this.podStates.size; }
  assumedCount(): number { let n = 0; for (const s of this.podStates.values()) if (s.assumed) n++; return n; }

  private attach(key: string, state: PodState): void {
    this.podStates.set(key, state);
    let ni = this.nodes.get(state.nodeName);
    if (!ni) {
      ni = new NodeInfo(state.nodeName);
      this.nodes.set(state.nodeName, ni);
    }
    const hadAffinity = ni.podsWithAffinity.size > 0;
    const hadAnti = ni.podsWithRequiredAntiAffinity.size > 0;
    ni.addPod(state.info);
    if (hadAffinity !== ni.podsWithAffinity.size > 0 || hadAnti !== ni.podsWithRequiredAntiAffinity.size > 0) this.affinityDirty = true;
  }

  private detach(key: string, state: PodState): void {
    this.podStates.delete(key);
    const ni = this.nodes.get(state.nodeName);
    if (!ni) return;
    const hadAffinity = ni.podsWithAffinity.size > 0;
    const hadAnti = ni.podsWithRequiredAntiAffinity.size > 0;
    ni.removePod(key);
    if (hadAffinity !== ni.podsWithAffinity.size > 0 || hadAnti !== ni.podsWithRequiredAntiAffinity.size > 0) this.affinityDirty = true;
    if (!ni.node && ni.pods.size === 0) this.nodes.delete(state.nodeName);
  }

  // ---- snapshot -----------------------------------------------------------------

  /** Brings `snap` up to date; cheap unless nodes came/went or affinity pods moved. */
  updateSnapshot(snap: Snapshot): void {
    snap.nodeInfoMap = this.nodes;
    snap.imageNumNodes = this.imageNumNodes;
    if (this.nodeListDirty) {
      snap.nodeInfoList = interleaveZones([...this.nodes.values()].filter((n) => n.node));
      this.nodeListDirty = false;
      this.affinityDirty = true;
    }
    if (this.affinityDirty) {
      snap.havePodsWithAffinityList = snap.nodeInfoList.filter((n) => n.podsWithAffinity.size > 0);
      snap.havePodsWithRequiredAntiAffinityList = snap.nodeInfoList.filter((n) => n.podsWithRequiredAntiAffinity.size > 0);
      this.affinityDirty = false;
    }
  }
}

function zoneOf(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = REGION_LABELS.map((k) => l[k]).find((v) => v) ?? '';
  const zone = ZONE_LABELS.map((k) => l[k]).find((v) => v) ?? '';
  return `${region}:\x00:${zone}`;
}

/** Nodes taken round-robin across zones (upstream's nodeTree), so a partial search spreads over zones. */
function interleaveZones(nodes: NodeInfo[]): NodeInfo[] {
  const zones = new Map<string, NodeInfo[]>();
  for (const n of nodes) {
    const z = zoneOf(n.node!);
    let list = zones.get(z);
    if (!list) zones.set(z, list = []);
    list.push(n);
  }
  if (zones.size <= 1) return nodes;
  const lists = [...zones.values()];
  const out: NodeInfo[] = [];
  for (let i = 0; out.length < nodes.length; i++) {
    for (const l of lists) if (i < l.length) out.push(l[i]);
  }
  return out;
}
