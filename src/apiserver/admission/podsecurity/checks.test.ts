import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeViolations, evaluatePod, type Level } from './checks.ts';

type Obj = Record<string, any>;

/** A pod that meets the restricted level; each case changes one thing. */
function restrictedPod(): { meta: Obj; spec: Obj } {
  return {
    meta: { name: 'p' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
}

const c0 = (p: { spec: Obj }): Obj => p.spec.containers[0];

interface Case { name: string; level: Level; change: (p: { meta: Obj; spec: Obj }) => void; want: string }

const cases: Case[] = [
  // baseline
  { name: 'hostProcess', level: 'baseline', change: (p) => { p.spec.securityContext.windowsOptions = { hostProcess: true }; c0(p).securityContext.windowsOptions = { hostProcess: true }; },
    want: 'hostProcess (pod and container "c" must not set securityContext.windowsOptions.hostProcess=true)' },
  { name: 'host namespaces', level: 'baseline', change: (p) => { p.spec.hostNetwork = true; p.spec.hostIPC = true; },
    want: 'host namespaces (hostNetwork=true, hostIPC=true)' },
  { name: 'privileged', level: 'baseline', change: (p) => { c0(p).securityContext.privileged = true; },
    want: 'privileged (container "c" must not set securityContext.privileged=true)' },
  { name: 'capabilities beyond the baseline set', level: 'baseline', change: (p) => { c0(p).securityContext.capabilities = { add: ['SYS_TIME', 'NET_ADMIN', 'CHOWN'] }; },
    want: 'non-default capabilities (container "c" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)' },
  { name: 'hostPath volumes', level: 'baseline', change: (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', hostPath: { path: '/x' } }]; },
    want: 'hostPath volumes (volumes "a", "b")' },
  { name: 'hostPorts', level: 'baseline', change: (p) => { c0(p).ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }]; },
    want: 'hostPort (container "c" uses hostPort 8080)' },
  { name: 'AppArmor annotation', level: 'baseline', change: (p) => { p.meta.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' }; },
    want: 'forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/c="unconfined")' },
  { name: 'AppArmor field', level: 'baseline', change: (p) => { c0(p).securityContext.appArmorProfile = { type: 'Unconfined' }; },
    want: 'forbidden AppArmor profile (container "c" must not set securityContext.appArmorProfile.type to "Unconfined")' },
  { name: 'SELinux', level: 'baseline', change: (p) => { c0(p).securityContext.seLinuxOptions = { type: 'spc_t', user: 'u' }; },
    want: 'seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)' },
  { name: 'procMount', level: 'baseline', change: (p) => { c0(p).securityContext.procMount = 'Unmasked'; },
    want: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")' },
  { name: 'seccomp Unconfined', level: 'baseline', change: (p) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; },
    want: 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")' },
  { name: 'sysctls', level: 'baseline', change: (p) => { p.spec.securityContext.sysctls = [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.msgmax', value: '1' }]; },
    want: 'forbidden sysctls (kernel.msgmax)' },
  // restricted
  { name: 'volume types', level: 'restricted', change: (p) => { p.spec.volumes = [{ name: 'ok', emptyDir: {} }, { name: 'n', nfs: { server: 's', path: '/' } }, { name: 'g', gitRepo: { repository: 'r' } }]; },
    want: 'restricted volume types (volumes "n", "g" use restricted volume types "gitRepo", "nfs")' },
  { name: 'privilege escalation', level: 'restricted', change: (p) => { delete c0(p).securityContext.allowPrivilegeEscalation; },
    want: 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)' },
  { name: 'runAsNonRoot unset', level: 'restricted', change: (p) => { delete p.spec.securityContext.runAsNonRoot; },
    want: 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)' },
  { name: 'runAsNonRoot false', level: 'restricted', change: (p) => { c0(p).securityContext.runAsNonRoot = false; },
    want: 'runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)' },
  { name: 'runAsUser 0', level: 'restricted', change: (p) => { p.spec.securityContext.runAsUser = 0; },
    want: 'runAsUser=0 (pod must not set runAsUser=0)' },
  { name: 'seccomp required', level: 'restricted', change: (p) => { delete p.spec.securityContext.seccompProfile; },
    want: 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")' },
  { name: 'seccomp Unconfined at restricted (replaces the baseline wording)', level: 'restricted', change: (p) => { c0(p).securityContext.seccompProfile = { type: 'Unconfined' }; },
    want: 'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")' },
  { name: 'capabilities: drop ALL missing, only NET_BIND_SERVICE may be added', level: 'restricted', change: (p) => { c0(p).securityContext.capabilities = { add: ['NET_BIND_SERVICE', 'CHOWN'] }; },
    want: 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)' },
];

for (const c of cases) {
  void test(`${c.level}: ${c.name}`, () => {
    const pod = restrictedPod();
    assert.deepEqual(evaluatePod(c.level, pod.meta, pod.spec), [], 'the starting pod is compliant');
    c.change(pod);
    assert.equal(describeViolations(evaluatePod(c.level, pod.meta, pod.spec)), c.want);
    // Every baseline violation is also one at restricted; privileged allows everything.
    if (c.level === 'baseline') assert.ok(evaluatePod('restricted', pod.meta, pod.spec).length > 0);
    assert.deepEqual(evaluatePod('privileged', pod.meta, pod.spec), []);
  });
}

void test('restricted checks do not apply at baseline', () => {
  const pod = { meta: {}, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] } };
  assert.deepEqual(evaluatePod('baseline', pod.meta, pod.spec), []);
});

void test('a plain pod at restricted: upstream\'s message, checks in ID order', () => {
  const spec = { containers: [{ name: 'c', image: 'nginx' }] };
  assert.equal(describeViolations(evaluatePod('restricted', {}, spec)),
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
    + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
    + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
});

void test('init and several containers are named together', () => {
  const spec = { initContainers: [{ name: 'i', image: 'x', securityContext: { privileged: true } }], containers: [{ name: 'a', image: 'x', securityContext: { privileged: true } }] };
  assert.equal(describeViolations(evaluatePod('baseline', {}, spec)), 'privileged (containers "i", "a" must not set securityContext.privileged=true)');
});
