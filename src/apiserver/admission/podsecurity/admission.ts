// The PodSecurity admission plugin (upstream k8s.io/pod-security-admission):
// pods are checked against their namespace's levels — enforce refuses with
// 403 "violates PodSecurity …", warn answers with a Warning header "would
// violate PodSecurity …", audit adds the audit annotation
// pod-security.kubernetes.io/audit-violations. Workloads' pod templates are
// only warned about and audited, never refused. Labelling a namespace with a
// stricter enforce level warns about the pods already there.

import { ApiError } from '../../../base/errors.ts';
import { semanticallyEqual } from '../../registry/meta.ts';
import { addAuditAnnotation, addWarning, type AdmissionAttributes, type AdmissionPlugin } from '../chain.ts';
import { evaluatePod, describeViolations, type CheckResult } from './checks.ts';
import { LABEL_PREFIX, namespacePolicy, policyString, samePolicy, type LevelVersion, type NamespacePolicy } from './policy.ts';

type Obj = Record<string, any>;

export const ENFORCED_POLICY_ANNOTATION = 'pod-security.kubernetes.io/enforce-policy';
export const AUDIT_VIOLATIONS_ANNOTATION = 'pod-security.kubernetes.io/audit-violations';

export interface PodSecurityDeps {
  getNamespace(name: string): Promise<Obj | undefined>;
  /** The pods in a namespace (for the warnings on a namespace's new enforce level). */
  listPods(namespace: string): Promise<Obj[]>;
}

/** Where a kind keeps its pod template's metadata and spec. */
function podTemplateOf(group: string, kind: string, obj: Obj): { metadata: Obj; spec: Obj } | undefined {
  let t: Obj | undefined;
  switch (`${group}/${kind}`) {
    case '/PodTemplate': t = obj.template; break;
    case '/ReplicationController': case 'apps/Deployment': case 'apps/ReplicaSet': case 'apps/StatefulSet': case 'apps/DaemonSet': case 'batch/Job':
      t = obj.spec?.template; break;
    case 'batch/CronJob': t = obj.spec?.jobTemplate?.spec?.template; break;
    default: return undefined;
  }
  return t ? { metadata: t.metadata ?? {}, spec: t.spec ?? {} } : undefined;
}

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/**
 * What may change a live pod's verdict (upstream isSignificantPodUpdate): a
 * new image, an added ephemeral container, or a changed seccomp annotation.
 * Other updates (labels, tolerations, deadlines) pass unchecked, so a pod
 * admitted under an older, looser level can still be managed.
 */
export function significantPodUpdate(pod: Obj, old: Obj): boolean {
  const ann = (pod.metadata?.annotations ?? {}) as Record<string, string>;
  const oldAnn = (old.metadata?.annotations ?? {}) as Record<string, string>;
  if (ann[SECCOMP_POD_ANNOTATION] !== oldAnn[SECCOMP_POD_ANNOTATION]) return true;
  const list = (o: Obj, f: string): Obj[] => (o.spec?.[f] ?? []) as Obj[];
  for (const f of ['containers', 'initContainers']) {
    const now = list(pod, f);
    const before = list(old, f);
    if (now.length !== before.length) return true;
    for (let i = 0; i < now.length; i++) {
      if (now[i].image !== before[i].image) return true;
      const key = SECCOMP_CONTAINER_PREFIX + String(now[i].name);
      if (ann[key] !== oldAnn[key]) return true;
    }
  }
  return list(pod, 'ephemeralContainers').length !== list(old, 'ephemeralContainers').length;
}

/** Workload templates: only a changed pod spec (or AppArmor annotations) can change the verdict. */
function significantUpdate(meta: Obj, spec: Obj, oldMeta: Obj, oldSpec: Obj): boolean {
  if (!semanticallyEqual(spec, oldSpec)) return true;
  const pick = (m: Obj): Record<string, string> => Object.fromEntries(Object.entries((m.annotations ?? {}) as Record<string, string>).filter(([k]) => k.startsWith(APPARMOR_PREFIX)));
  return !semanticallyEqual(pick(meta), pick(oldMeta));
}

export class PodSecurityAdmission implements AdmissionPlugin {
  readonly name = 'PodSecurity';

  constructor(private readonly deps: PodSecurityDeps) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'DELETE') return;
    const { group, kind } = a.info;
    if (group === '' && kind === 'Namespace') return this.validateNamespace(a);
    if (group === '' && kind === 'Pod') {
      if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return;
      if (a.operation === 'UPDATE' && a.old && !significantPodUpdate(a.obj, a.old)) return;
      return this.evaluate(a, a.obj.metadata ?? {}, a.obj.spec ?? {}, true);
    }
    if (a.subresource !== '') return;
    const t = podTemplateOf(group, kind, a.obj);
    if (!t) return;
    if (a.operation === 'UPDATE' && a.old) {
      const old = podTemplateOf(group, kind, a.old);
      if (old && !significantUpdate(t.metadata, t.spec, old.metadata, old.spec)) return;
    }
    return this.evaluate(a, t.metadata, t.spec, false);
  }

  private async evaluate(a: AdmissionAttributes, meta: Obj, spec: Obj, enforce: boolean): Promise<void> {
    const ns = await this.deps.getNamespace(a.namespace);
    const { policy, errors } = namespacePolicy(ns);
    if (errors.length) addAuditAnnotation(a, `${LABEL_PREFIX}error`, `Failed to parse policy: ${errors.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.message}`).join(', ')}`);
    const cache = new Map<string, CheckResult[]>();
    const run = (lv: LevelVersion): CheckResult[] => {
      const key = policyString(lv);
      let r = cache.get(key);
      if (!r) cache.set(key, (r = evaluatePod(lv.level, meta, spec)));
      return r;
    };
    let denied: ApiError | undefined;
    if (enforce) {
      addAuditAnnotation(a, ENFORCED_POLICY_ANNOTATION, policyString(policy.enforce));
      const r = run(policy.enforce);
      if (r.length) {
        const name = String(a.obj.metadata?.name ?? '');
        denied = ApiError.forbidden(`pods "${name}" is forbidden: violates PodSecurity "${policyString(policy.enforce)}": ${describeViolations(r)}`, { name, kind: 'pods' });
      }
    }
    const audit = run(policy.audit);
    if (audit.length) addAuditAnnotation(a, AUDIT_VIOLATIONS_ANNOTATION, `would violate PodSecurity "${policyString(policy.audit)}": ${describeViolations(audit)}`);
    if (denied) throw denied;
    const warn = run(policy.warn);
    if (warn.length) addWarning(a, `would violate PodSecurity "${policyString(policy.warn)}": ${describeViolations(warn)}`);
  }

  /** Labels must name a level and version; a new enforce level warns about existing pods that break it. */
  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (a.subresource !== '') return;
    const { policy, errors } = namespacePolicy(a.obj);
    if (errors.length) {
      throw ApiError.invalid('Namespace', '', String(a.obj.metadata?.name ?? ''),
        errors.map((e) => ({ type: 'FieldValueInvalid', field: e.field, message: `Invalid value: ${JSON.stringify(e.value)}: ${e.message}` })));
    }
    if (a.operation !== 'UPDATE' || !a.old) return;
    const before = namespacePolicy(a.old).policy;
    if (samePolicy(before.enforce, policy.enforce) || policy.enforce.level === 'privileged') return;
    const name = String(a.obj.metadata?.name ?? '');
    for (const w of await this.existingPodWarnings(name, policy)) addWarning(a, w);
  }

  /** Upstream's dry run of a new enforce level: pods grouped by the reasons they break it. */
  private async existingPodWarnings(namespace: string, policy: NamespacePolicy): Promise<string[]> {
    const groups = new Map<string, string[]>();
    for (const pod of await this.deps.listPods(namespace)) {
      const r = evaluatePod(policy.enforce.level, pod.metadata ?? {}, pod.spec ?? {});
      if (!r.length) continue;
      const reasons = r.map((x) => x.reason).join(', ');
      const names = groups.get(reasons) ?? [];
      names.push(String(pod.metadata?.name ?? ''));
      groups.set(reasons, names);
    }
    if (!groups.size) return [];
    const out = [`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(policyString(policy.enforce))}`];
    for (const [reasons, names] of groups) {
      out.push(names.length === 1 ? `${names[0]}: ${reasons}` : `${names[0]} (and ${names.length - 1} other ${names.length === 2 ? 'pod' : 'pods'}): ${reasons}`);
    }
    return out;
  }
}
