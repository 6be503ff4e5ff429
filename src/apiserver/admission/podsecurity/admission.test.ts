import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../../api/resources.ts';
import { ApiError } from '../../../base/errors.ts';
import type { RequestContext } from '../../registry/strategy.ts';
import type { AdmissionAttributes } from '../chain.ts';
import { AUDIT_VIOLATIONS_ANNOTATION, ENFORCED_POLICY_ANNOTATION, PodSecurityAdmission } from './admission.ts';

type Obj = Record<string, any>;

function ctx(): RequestContext {
  return { user: { username: 'alice', groups: [] }, now: new Date(), dryRun: false, fieldManager: 'm', fieldManagerDefaulted: false, fieldValidation: 'Strict', warnings: [] };
}

function attrs(kind: { group: string; version: string; plural: string }, operation: 'CREATE' | 'UPDATE', obj: Obj, old?: Obj): AdmissionAttributes {
  return { operation, info: findResource(kind.group, kind.version, kind.plural)!, namespace: obj.metadata?.namespace ?? '', subresource: '', obj, old, dryRun: false, ctx: ctx() };
}

const POD = { group: '', version: 'v1', plural: 'pods' };
const plainPod = (name = 'x'): Obj => ({ metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
const privilegedPod = (): Obj => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }] } });

function plugin(labels: Record<string, string>, pods: Obj[] = []): PodSecurityAdmission {
  return new PodSecurityAdmission({
    getNamespace: async (name) => ({ metadata: { name, labels } }),
    listPods: async () => pods,
  });
}

const RESTRICTED_MSG = 'pods "x" is forbidden: violates PodSecurity "restricted:latest": '
  + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
  + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
  + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
  + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

void test('enforce refuses with 403 and upstream\'s message; the policy is recorded for audit', async () => {
  const a = attrs(POD, 'CREATE', plainPod());
  await assert.rejects(plugin({ 'pod-security.kubernetes.io/enforce': 'restricted' }).validate(a), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 403);
    assert.equal(e.reason, 'Forbidden');
    assert.equal(e.message, RESTRICTED_MSG);
    return true;
  });
  assert.equal(a.ctx!.auditAnnotations?.[ENFORCED_POLICY_ANNOTATION], 'restricted:latest');
  assert.deepEqual(a.ctx!.warnings, [], 'no warnings on a refused request');
});

void test('an enforce version is part of the policy', async () => {
  const a = attrs(POD, 'CREATE', plainPod());
  await assert.rejects(plugin({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.28' }).validate(attrs(POD, 'CREATE', privilegedPod())),
    /violates PodSecurity "baseline:v1.28": privileged \(container "c" must not set securityContext.privileged=true\)/);
  await plugin({ 'pod-security.kubernetes.io/enforce': 'baseline' }).validate(a);
});

void test('warn gives a warning and admits; audit annotates', async () => {
  const a = attrs(POD, 'CREATE', privilegedPod());
  await plugin({ 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'restricted' }).validate(a);
  assert.deepEqual(a.ctx!.warnings, ['would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)']);
  assert.match(a.ctx!.auditAnnotations?.[AUDIT_VIOLATIONS_ANNOTATION] ?? '', /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  assert.equal(a.ctx!.auditAnnotations?.[ENFORCED_POLICY_ANNOTATION], 'privileged:latest');
});

void test('no labels: everything is privileged', async () => {
  const a = attrs(POD, 'CREATE', privilegedPod());
  await plugin({}).validate(a);
  assert.deepEqual(a.ctx!.warnings, []);
  assert.equal(a.ctx!.auditAnnotations?.[AUDIT_VIOLATIONS_ANNOTATION], undefined);
});

void test('workload templates are warned about, never refused', async () => {
  const dep = { metadata: { name: 'd', namespace: 'ns' }, spec: { template: privilegedPod() } };
  const a = attrs({ group: 'apps', version: 'v1', plural: 'deployments' }, 'CREATE', dep);
  await plugin({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'baseline' }).validate(a);
  assert.deepEqual(a.ctx!.warnings, ['would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)']);
  const cj = { metadata: { name: 'cj', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: privilegedPod() } } } };
  const b = attrs({ group: 'batch', version: 'v1', plural: 'cronjobs' }, 'CREATE', cj);
  await plugin({ 'pod-security.kubernetes.io/warn': 'baseline' }).validate(b);
  assert.equal(b.ctx!.warnings.length, 1);
});

void test('pod updates that leave the spec alone are not checked', async () => {
  const old = plainPod();
  const next = { ...plainPod(), metadata: { ...plainPod().metadata, labels: { a: 'b' } } };
  await plugin({ 'pod-security.kubernetes.io/enforce': 'restricted' }).validate(attrs(POD, 'UPDATE', next, old));
  const tolerated = plainPod();
  tolerated.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
  await plugin({ 'pod-security.kubernetes.io/enforce': 'restricted' }).validate(attrs(POD, 'UPDATE', tolerated, old));
  const changed = plainPod();
  changed.spec.containers[0].image = 'nginx:2';
  await assert.rejects(plugin({ 'pod-security.kubernetes.io/enforce': 'restricted' }).validate(attrs(POD, 'UPDATE', changed, old)), /violates PodSecurity/);
});

void test('namespace labels must be valid', async () => {
  const ns = { metadata: { name: 'ns', labels: { 'pod-security.kubernetes.io/enforce': 'strict' } } };
  await assert.rejects(plugin({}).validate(attrs({ group: '', version: 'v1', plural: 'namespaces' }, 'CREATE', ns)), (e: unknown) =>
    e instanceof ApiError && e.code === 422 && e.message === 'Namespace "ns" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
});

void test('a stricter enforce label warns about the pods already there', async () => {
  const pods = [privilegedPod(), { ...privilegedPod(), metadata: { name: 'q', namespace: 'ns' } }, plainPod('fine')];
  const old = { metadata: { name: 'ns' } };
  const next = { metadata: { name: 'ns', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } };
  const a = attrs({ group: '', version: 'v1', plural: 'namespaces' }, 'UPDATE', next, old);
  await plugin({}, pods).validate(a);
  assert.deepEqual(a.ctx!.warnings, [
    'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
    'p (and 1 other pod): privileged',
  ]);
});
