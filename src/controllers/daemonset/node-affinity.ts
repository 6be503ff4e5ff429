// Which nodes a pod's required node constraints admit (component-helpers'
// nodeaffinity.GetRequiredNodeAffinity): spec.nodeSelector AND the required
// node-affinity terms. The DaemonSet controller decides eligibility with it,
// and pins each daemon pod to its node through a matchFields term the
// scheduler then honours.

import type { Affinity, Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';

/** metav1.ObjectNameField: the one field node selectors may match on. */
export const NODE_NAME_FIELD = 'metadata.name';

/** Integer label values as Go's strconv.ParseInt reads them (Gt/Lt); undefined when not one. */
function parseInt64(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * One label requirement. A requirement upstream could not parse (bad operator,
 * wrong number of values) matches nothing, as the "lazy error" selector does.
 */
function labelRequirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const values = r.values ?? [];
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'In': return values.length > 0 && has && values.includes(v);
    case 'NotIn': return values.length > 0 && (!has || !values.includes(v));
    case 'Exists': return values.length === 0 && has;
    case 'DoesNotExist': return values.length === 0 && !has;
    case 'Gt': case 'Lt': {
      if (values.length !== 1 || !has) return false;
      const want = parseInt64(values[0]);
      const got = parseInt64(v);
      if (want === undefined || got === undefined) return false;
      return r.operator === 'Gt' ? got > want : got < want;
    }
    default: return false;
  }
}

/** One field requirement: only metadata.name, In/NotIn with exactly one value (nodeSelectorRequirementsAsFieldSelector). */
function fieldRequirementMatches(r: NodeSelectorRequirement, node: Node): boolean {
  const values = r.values ?? [];
  if (r.key !== NODE_NAME_FIELD || values.length !== 1) return false;
  const name = node.metadata?.name ?? '';
  if (r.operator === 'In') return name === values[0];
  if (r.operator === 'NotIn') return name !== values[0];
  return false;
}

/** A term ANDs its requirements; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  return exprs.every((r) => labelRequirementMatches(r, labels)) && fields.every((r) => fieldRequirementMatches(r, node));
}

/** Terms are ORed; no terms match nothing. */
export function nodeSelectorMatches(sel: NodeSelector, node: Node): boolean {
  return (sel.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
}

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector labels, then required node affinity, if any. */
export function podFitsNodeAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required ? nodeSelectorMatches(required, node) : true;
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node
 * affinity becomes the single term `metadata.name In [nodeName]` (preferred
 * terms and other affinities are kept). Safe because the controller already
 * checked the node satisfies the pod's own node constraints. Returns a new
 * object; `affinity` is not modified.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required: NodeSelector = {
    nodeSelectorTerms: [{ matchFields: [{ key: NODE_NAME_FIELD, operator: 'In', values: [nodeName] }] }],
  };
  const out: Affinity = structuredClone(affinity ?? {});
  out.nodeAffinity = { ...(out.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return out;
}

/**
 * util.GetTargetNodeName: the node a daemon pod is for — spec.nodeName once
 * bound, else the node its matchFields affinity term names. Undefined when
 * neither says (such a pod belongs to no node).
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  // The first `metadata.name In` requirement decides (the controller writes exactly one, with one value).
  for (const t of terms) {
    for (const f of t.matchFields ?? []) {
      if (f.key === NODE_NAME_FIELD && f.operator === 'In') return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}
