// Pods by node: an index on spec.nodeName shared by the node controllers.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Informer, Lister } from '../../client/index.ts';

export const NODE_NAME_INDEX = 'spec.nodeName';

/** Adds the spec.nodeName index to the (shared) pod informer unless another controller already did. */
export function requestNodeNameIndex(informer: Informer<Pod>): void {
  try {
    informer.addIndex(NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
}

/** Pods bound to `node`; uses the index when the lister has it. */
export function podsOnNode(pods: Lister<Pod>, node: string): Pod[] {
  if (!node) return [];
  try {
    return pods.byIndex(NODE_NAME_INDEX, node);
  } catch {
    return pods.list().filter((p) => p.spec?.nodeName === node);
  }
}
