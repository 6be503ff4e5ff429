// What upstream's default admission plugins add to every new pod:
// ServiceAccount (the `default` account when none is named) and
// DefaultTolerationSeconds (tolerate not-ready/unreachable nodes for 300 s, so
// node failure evicts pods after five minutes).
// (The kube-api-access token volume and the account's existence check: serviceaccount.ts.)

type Obj = Record<string, any>;  

export const DEFAULT_TOLERATION_SECONDS = 300;
const NODE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export function admitPodCreate(pod: Obj): void {
  const spec = pod.spec ?? (pod.spec = {});
  // Mirror pods (a kubelet's static pods) get no service account, as upstream.
  const mirror = pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
  if (!spec.serviceAccountName && !mirror) spec.serviceAccountName = spec.serviceAccount || 'default';
  // The deprecated alias mirrors the real field, as upstream returns it.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;

  const tolerations = (spec.tolerations ?? []) as Obj[];
  for (const key of NODE_TAINTS) {
    // Any NoExecute (or any-effect) toleration of the key, or of every key, counts.
    const covered = tolerations.some((t) => (!t.effect || t.effect === 'NoExecute') && (t.key === key || (!t.key && t.operator === 'Exists')));
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  spec.tolerations = tolerations;
}
