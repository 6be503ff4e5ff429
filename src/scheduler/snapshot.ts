// The view of the cluster one scheduling cycle works on. A cycle runs
// synchronously from pop to assume (JavaScript has one thread, and the loop
// never awaits inside a cycle), so informer events cannot change the cache
// under it: the snapshot shares the cache's NodeInfos instead of copying them,
// and only its derived lists are rebuilt — when nodes come or go, or pods with
// affinity change — which keeps a cycle free of O(nodes) copying.

import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from './nodeinfo.ts';

export class Snapshot {
  /** Nodes (with a Node object), interleaved across zones like upstream's node tree. */
  nodeInfoList: NodeInfo[] = [];
  nodeInfoMap = new Map<string, NodeInfo>();
  /** Nodes with at least one pod that has (anti-)affinity terms. */
  havePodsWithAffinityList: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinityList: NodeInfo[] = [];
  /** Normalized image name → number of nodes that have it. */
  imageNumNodes: ReadonlyMap<string, number> = new Map();
  /** Labels of a namespace (namespaceSelector in affinity terms). */
  namespaceLabels: (ns: string) => Record<string, string> | undefined = () => undefined;
  /** PersistentVolumeClaims and PersistentVolumes (VolumeBinding). */
  pvc: (ns: string, name: string) => PersistentVolumeClaim | undefined = () => undefined;
  pv: (name: string) => PersistentVolume | undefined = () => undefined;

  get(name: string): NodeInfo | undefined {
    const n = this.nodeInfoMap.get(name);
    return n?.node ? n : undefined;
  }

  numNodes(): number { return this.nodeInfoList.length; }

  /** A snapshot of fixed NodeInfos (tests, preemption what-ifs). */
  static of(nodes: NodeInfo[]): Snapshot {
    const s = new Snapshot();
    s.nodeInfoList = nodes.filter((n) => n.node);
    for (const n of nodes) s.nodeInfoMap.set(n.name, n);
    s.havePodsWithAffinityList = s.nodeInfoList.filter((n) => n.podsWithAffinity.size > 0);
    s.havePodsWithRequiredAntiAffinityList = s.nodeInfoList.filter((n) => n.podsWithRequiredAntiAffinity.size > 0);
    const images = new Map<string, number>();
    for (const n of s.nodeInfoList) for (const img of n.imageSizes.keys()) images.set(img, (images.get(img) ?? 0) + 1);
    s.imageNumNodes = images;
    return s;
  }
}
