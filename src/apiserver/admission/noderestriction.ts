// The NodeRestriction admission plugin (upstream plugin/pkg/admission/noderestriction):
// what a node's own identity (system:node:<name>, group system:nodes) may
// write, beyond what the Node authorizer lets it attempt. A node may create,
// change and delete only its own Node object — never its taints once
// registered, and only the labels kubelets own — create only mirror pods bound
// to itself, update the status of and delete only pods bound to itself, and
// touch only its own Lease in kube-node-lease.

import { ApiError } from '../../base/errors.ts';
import { qualifiedName } from '../../api/resources.ts';
import { semanticallyEqual } from '../registry/meta.ts';
import type { UserInfo } from '../registry/strategy.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.ts';
import { MIRROR_POD_ANNOTATION } from './serviceaccount.ts';
import { NODES_GROUP, NODE_USER_PREFIX } from '../auth/rbac/node.ts';

type Obj = Record<string, any>;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The node an identity speaks for: '' for a member of system:nodes with no node name; undefined when not a node. */
export function nodeNameOf(user: UserInfo | undefined): string | undefined {
  if (!user || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.startsWith(NODE_USER_PREFIX) ? user.username.slice(NODE_USER_PREFIX.length) : '';
}

// Labels a kubelet sets on its own Node (upstream kubeletapis.IsKubeletLabel).
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type',
  'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

const labelNamespace = (label: string): string => (label.includes('/') ? label.slice(0, label.indexOf('/')) : '');
const inNamespace = (ns: string, base: string): boolean => ns === base || ns.endsWith(`.${base}`);

function isKubeletLabel(label: string): boolean {
  if (KUBELET_LABELS.has(label)) return true;
  const ns = labelNamespace(label);
  return KUBELET_LABEL_NAMESPACES.some((b) => inNamespace(ns, b));
}

/** Labels a node may not set on itself: node-restriction.kubernetes.io/*, and kubernetes.io/k8s.io labels kubelets do not own. */
export function forbiddenNodeLabels(labels: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const l of labels) {
    const ns = labelNamespace(l);
    if (inNamespace(ns, NODE_RESTRICTION_NAMESPACE)) out.add(l);
    const kube = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
    if (kube && !isKubeletLabel(l)) out.add(l);
  }
  return [...out].sort();
}

/** Labels added, removed or changed between two label maps. */
export function modifiedLabels(next: Record<string, string> | undefined, prev: Record<string, string> | undefined): string[] {
  const a = next ?? {};
  const b = prev ?? {};
  const out = new Set<string>();
  for (const k of Object.keys(a)) if (b[k] !== a[k]) out.add(k);
  for (const k of Object.keys(b)) if (!(k in a)) out.add(k);
  return [...out];
}

export interface NodeRestrictionDeps {
  getNode(name: string): Promise<Obj | undefined>;
  getPod(namespace: string, name: string): Promise<Obj | undefined>;
}

export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';

  constructor(private readonly deps: NodeRestrictionDeps) {}

  /** Objects created are judged as they arrive, before other plugins fill anything in (as upstream's ordering does). */
  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'CREATE' && a.subresource === '') await this.check(a);
  }

  /** Everything else: updates, deletes, and the create-only subresources (pods/eviction, serviceaccounts/token), which only validate. */
  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== '') await this.check(a);
  }

  private async check(a: AdmissionAttributes): Promise<void> {
    const node = nodeNameOf(a.user);
    if (node === undefined) return;
    const deny = (why: string): ApiError => {
      const name = String((a.operation === 'DELETE' ? a.old : a.obj)?.metadata?.name ?? '');
      return ApiError.forbidden(`${qualifiedName(a.info)} "${name}" is forbidden: ${why}`, { name, group: a.info.group || undefined, kind: a.info.plural });
    };
    if (node === '') throw deny(`could not determine node from user ${JSON.stringify(a.user!.username)}`);
    const key = `${a.info.group}/${a.info.plural}`;
    switch (key) {
      case '/pods': return this.pod(a, node, deny);
      case '/nodes': return this.nodeObject(a, node, deny);
      case 'coordination.k8s.io/leases': {
        if (a.namespace !== NODE_LEASE_NAMESPACE) throw deny(`can only access leases in the ${JSON.stringify(NODE_LEASE_NAMESPACE)} system namespace`);
        const name = (a.operation === 'DELETE' ? a.old : a.obj)?.metadata?.name;
        if (name !== node) throw deny('can only access node lease with the same name as the requesting node');
        return;
      }
      case '/serviceaccounts': return this.tokenRequest(a, deny);
      case '/persistentvolumeclaims': {
        if (a.subresource !== 'status' || a.operation !== 'UPDATE' || !a.old) return;
        // A node may only report the capacity and conditions of a claim it uses.
        const strip = (o: Obj): Obj => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined }, status: { ...o.status, capacity: undefined, conditions: undefined } });
        if (!semanticallyEqual(strip(a.obj), strip(a.old))) throw deny(`node ${JSON.stringify(node)} is not allowed to update fields other than status.capacity and status.conditions`);
        return;
      }
      default: return;
    }
  }

  /** A node may only ask for tokens bound to a pod that runs on it (upstream admitServiceAccount). */
  private async tokenRequest(a: AdmissionAttributes, deny: (why: string) => ApiError): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const node = nodeNameOf(a.user);
    const ref = a.obj.spec?.boundObjectRef as Obj | undefined;
    if (!ref || (ref.apiVersion ?? 'v1') !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw deny('node requested token not bound to a pod');
    if (!ref.uid) throw deny('node requested token with a pod binding without a uid');
    const pod = await this.deps.getPod(a.namespace, String(ref.name));
    if (!pod) throw ApiError.notFound('pods', String(ref.name));
    if (pod.metadata?.uid !== ref.uid) {
      throw deny(`the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (pod.spec?.nodeName !== node) throw deny('node requested token bound to a pod scheduled on a different node');
  }

  private async pod(a: AdmissionAttributes, node: string, deny: (why: string) => ApiError): Promise<void> {
    const q = JSON.stringify(node);
    if (a.subresource === 'status') {
      if (a.old?.spec?.nodeName !== node) throw deny(`node ${q} can only update pod status for pods with spec.nodeName set to itself`);
      return;
    }
    if (a.subresource === 'eviction') {
      const name = String(a.obj.metadata?.name ?? '');
      if (!name) throw deny('could not determine pod from request data');
      const pod = await this.deps.getPod(a.namespace, name);
      if (!pod) throw ApiError.notFound('pods', name);
      if (pod.spec?.nodeName !== node) throw deny(`node ${node} can only evict pods with spec.nodeName set to itself`);
      return;
    }
    if (a.subresource !== '') return;
    switch (a.operation) {
      case 'CREATE': return this.mirrorPod(a.obj, node, deny);
      case 'DELETE':
        if (a.old?.spec?.nodeName !== node) throw deny(`node ${q} can only delete pods with spec.nodeName set to itself`);
        return;
      case 'UPDATE':
        throw deny(`unexpected operation "UPDATE", node ${q} can only create and delete mirror pods`);
    }
  }

  private async mirrorPod(pod: Obj, node: string, deny: (why: string) => ApiError): Promise<void> {
    const q = JSON.stringify(node);
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      throw deny(`pod does not have ${JSON.stringify(MIRROR_POD_ANNOTATION)} annotation, node ${q} can only create mirror pods`);
    }
    const spec = pod.spec ?? {};
    if (spec.nodeName !== node) throw deny(`node ${q} can only create pods with spec.nodeName set to itself`);
    const owners = (pod.metadata?.ownerReferences ?? []) as Obj[];
    if (owners.length > 1) throw deny(`node ${q} can only create pods with a single owner reference set to itself`);
    if (owners.length === 1) {
      const o = owners[0];
      if (o.apiVersion !== 'v1' || o.kind !== 'Node' || o.name !== node) throw deny(`node ${q} can only create pods with an owner reference set to itself`);
      if (o.controller !== true) throw deny(`node ${q} can only create pods with a controller owner reference set to itself`);
      if (o.blockOwnerDeletion === true) throw deny(`node ${q} must not set blockOwnerDeletion on an owner reference`);
      const self = await this.deps.getNode(node);
      const uid = self?.metadata?.uid;
      if (o.uid !== uid) throw deny(`node ${node} UID mismatch: expected ${String(uid ?? '')} got ${String(o.uid ?? '')}`);
    }
    // A mirror pod may reference no other API object: the node could read them through it.
    if (spec.serviceAccountName || spec.serviceAccount) throw deny(`node ${q} can not create pods that reference a service account`);
    const volumes = (spec.volumes ?? []) as Obj[];
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Obj[];
    const usesSecrets = volumes.some((v) => v.secret || v.projected?.sources?.some((s: Obj) => s.secret))
      || containers.some((c) => (c.env ?? []).some((e: Obj) => e.valueFrom?.secretKeyRef) || (c.envFrom ?? []).some((e: Obj) => e.secretRef))
      || (spec.imagePullSecrets ?? []).length > 0;
    if (usesSecrets) throw deny(`node ${q} can not create pods that reference secrets`);
    const usesConfigMaps = volumes.some((v) => v.configMap || v.projected?.sources?.some((s: Obj) => s.configMap))
      || containers.some((c) => (c.env ?? []).some((e: Obj) => e.valueFrom?.configMapKeyRef) || (c.envFrom ?? []).some((e: Obj) => e.configMapRef));
    if (usesConfigMaps) throw deny(`node ${q} can not create pods that reference configmaps`);
    if (volumes.some((v) => v.persistentVolumeClaim || v.ephemeral)) throw deny(`node ${q} can not create pods that reference persistentvolumeclaims`);
  }

  private nodeObject(a: AdmissionAttributes, node: string, deny: (why: string) => ApiError): void {
    const target = String((a.operation === 'DELETE' ? a.old : a.obj)?.metadata?.name ?? '');
    if (target !== node) throw deny(`node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(target)}`);
    if (a.operation === 'CREATE') {
      const bad = forbiddenNodeLabels(Object.keys((a.obj.metadata?.labels ?? {}) as Record<string, string>));
      if (bad.length) throw deny(`node ${JSON.stringify(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
      return;
    }
    if (a.operation === 'UPDATE' && a.old) {
      // A node must not lift its own taints (they keep workloads off it) ...
      if (!semanticallyEqual({ t: a.obj.spec?.taints ?? [] }, { t: a.old.spec?.taints ?? [] })) throw deny(`node ${JSON.stringify(node)} is not allowed to modify taints`);
      // ... nor give itself labels that steer workloads to it.
      const bad = forbiddenNodeLabels(modifiedLabels(a.obj.metadata?.labels, a.old.metadata?.labels));
      if (bad.length) throw deny(`is not allowed to modify labels: ${bad.join(', ')}`);
    }
  }
}
