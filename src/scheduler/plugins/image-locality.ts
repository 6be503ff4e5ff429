// ImageLocality: prefer nodes that already have the pod's images, weighting
// each image by its size and by how widely it is spread (so one node with a
// big image does not attract every pod): sum of size × nodesWithImage/allNodes,
// mapped linearly from [23 MB, 1000 MB × containers] to 0..100.

import { normalizeImageName } from '../nodeinfo.ts';
import { MAX_NODE_SCORE as MAX_NODE_SCORE_, SUCCESS as SUCCESS_, type Plugin } from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;
const MAX_NODE_SCORE = MAX_NODE_SCORE_;

export const IMAGE_LOCALITY = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const STATE = 'PreScore/ImageLocality';

interface ImageState { images: string[]; containers: number; totalNodes: number; numNodes: ReadonlyMap<string, number> }

export const imageLocality: Plugin = {
  name: IMAGE_LOCALITY,
  events: ['NodeAdd'],
  preScore(state, pod, _nodes, snap) {
    const containers = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])];
    const images = [...new Set(containers.map((c) => c.image).filter((i): i is string => !!i).map(normalizeImageName))];
    const st: ImageState = { images, containers: containers.length, totalNodes: snap.numNodes(), numNodes: snap.imageNumNodes };
    state.write(STATE, st);
    return SUCCESS;
  },
  score(state, _pod, node) {
    const st = state.read<ImageState>(STATE);
    if (!st || st.totalNodes === 0) return 0;
    let sum = 0;
    for (const img of st.images) {
      const size = node.imageSizes.get(img);
      if (size === undefined) continue;
      sum += size * ((st.numNodes.get(img) ?? 1) / st.totalNodes);
    }
    const max = MAX_CONTAINER_THRESHOLD * st.containers;
    if (sum < MIN_THRESHOLD) sum = MIN_THRESHOLD;
    else if (sum > max) sum = max;
    return Math.trunc(MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max - MIN_THRESHOLD));
  },
};
