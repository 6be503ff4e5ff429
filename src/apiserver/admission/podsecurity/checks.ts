// The Pod Security Standards' checks (upstream k8s.io/pod-security-admission
// policy/check_*.go): each looks at a pod's metadata and spec and says why it
// is not allowed, in upstream's words — "privileged (container "c" must not
// set securityContext.privileged=true)". Baseline checks apply at baseline
// and restricted; restricted ones only at restricted. A restricted check may
// take the place of a baseline one with the same concern (seccompProfile).

type Obj = Record<string, any>;

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult { reason: string; detail: string }

export interface Check {
  /** Upstream's check ID; results are reported in the order of the IDs. */
  id: string;
  level: 'baseline' | 'restricted';
  /** The baseline check this one replaces at restricted. */
  overrides?: string;
  run(meta: Obj, spec: Obj): CheckResult | undefined;
}

// ---- helpers (upstream's wording helpers) ------------------------------------

const pluralize = (one: string, many: string, n: number): string => (n === 1 ? one : many);
const joinQuote = (xs: string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const containersPhrase = (names: string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** Every container: init, regular and ephemeral (upstream visitContainers). */
function containers(spec: Obj): Obj[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Obj[];
}

function badContainers(spec: Obj, bad: (c: Obj) => boolean): string[] {
  return containers(spec).filter(bad).map((c) => String(c.name));
}

/** Ordered unique values. */
function uniq(xs: string[]): string[] { return [...new Set(xs)]; }

// ---- baseline ---------------------------------------------------------------

const hostProcess: Check = {
  id: 'windowsHostProcess', level: 'baseline',
  run(_m, spec) {
    const setters: string[] = [];
    if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
    const bad = badContainers(spec, (c) => c.securityContext?.windowsOptions?.hostProcess === true);
    if (bad.length) setters.push(containersPhrase(bad));
    if (!setters.length) return undefined;
    return { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
  },
};

const hostNamespaces: Check = {
  id: 'hostNamespaces', level: 'baseline',
  run(_m, spec) {
    const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true).map((f) => `${f}=true`);
    return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
  },
};

const privileged: Check = {
  id: 'privileged', level: 'baseline',
  run(_m, spec) {
    const bad = badContainers(spec, (c) => c.securityContext?.privileged === true);
    return bad.length ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
  },
};

/** The capabilities container runtimes grant by default (upstream's baseline allow list). */
export const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline', level: 'baseline',
  run(_m, spec) {
    const forbidden: string[] = [];
    const bad = badContainers(spec, (c) => {
      const added = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((x) => !BASELINE_CAPABILITIES.has(x));
      forbidden.push(...added);
      return added.length > 0;
    });
    if (!bad.length) return undefined;
    return { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${joinQuote(uniq(forbidden).sort())} in securityContext.capabilities.add` };
  },
};

const hostPathVolumes: Check = {
  id: 'hostPathVolumes', level: 'baseline',
  run(_m, spec) {
    const bad = ((spec.volumes ?? []) as Obj[]).filter((v) => v.hostPath).map((v) => String(v.name));
    return bad.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}` } : undefined;
  },
};

const hostPorts: Check = {
  id: 'hostPorts', level: 'baseline',
  run(_m, spec) {
    const ports: string[] = [];
    const bad = badContainers(spec, (c) => {
      const used = ((c.ports ?? []) as Obj[]).filter((p) => p.hostPort).map((p) => String(p.hostPort));
      ports.push(...used);
      return used.length > 0;
    });
    if (!bad.length) return undefined;
    const u = uniq(ports);
    return { reason: 'hostPort', detail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', u.length)} ${u.join(', ')}` };
  },
};

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const appArmor: Check = {
  id: 'appArmorProfile', level: 'baseline',
  run(meta, spec) {
    const values: string[] = [];
    // The field (1.30+): Unconfined is forbidden at the pod and container level.
    const unconfined = (sc: Obj | undefined): boolean => sc?.appArmorProfile?.type === 'Unconfined';
    const setters: string[] = [];
    if (unconfined(spec.securityContext)) setters.push('pod');
    const bad = badContainers(spec, (c) => unconfined(c.securityContext));
    if (bad.length) setters.push(containersPhrase(bad));
    if (setters.length) values.push(`${setters.join(' and ')} must not set securityContext.appArmorProfile.type to "Unconfined"`);
    // The beta annotations: only runtime/default and localhost/* are allowed.
    const annotated: string[] = [];
    for (const [k, v] of Object.entries((meta.annotations ?? {}) as Record<string, string>)) {
      if (k.startsWith(APPARMOR_PREFIX) && v !== 'runtime/default' && !v.startsWith('localhost/')) annotated.push(`${k}=${JSON.stringify(v)}`);
    }
    values.push(...annotated.sort());
    if (!values.length) return undefined;
    return { reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length), detail: values.join(', ') };
  },
};

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const seLinux: Check = {
  id: 'seLinuxOptions', level: 'baseline',
  run(_m, spec) {
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const invalid = (o: Obj | undefined): boolean => {
      if (!o) return false;
      let bad = false;
      if (!SELINUX_TYPES.has(String(o.type ?? ''))) { bad = true; badTypes.add(String(o.type)); }
      if (o.user) { bad = true; setUser = true; }
      if (o.role) { bad = true; setRole = true; }
      return bad;
    };
    const setters: string[] = [];
    if (invalid(spec.securityContext?.seLinuxOptions)) setters.push('pod');
    const bad = badContainers(spec, (c) => invalid(c.securityContext?.seLinuxOptions));
    if (bad.length) setters.push(containersPhrase(bad));
    if (!setters.length) return undefined;
    const data: string[] = [];
    if (badTypes.size) data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote([...badTypes].sort())}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  },
};

const procMount: Check = {
  id: 'procMount', level: 'baseline',
  run(_m, spec) {
    const types: string[] = [];
    const bad = badContainers(spec, (c) => {
      const t = c.securityContext?.procMount;
      if (t === undefined || t === null || t === 'Default') return false;
      types.push(String(t));
      return true;
    });
    return bad.length ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(uniq(types))}` } : undefined;
  },
};

const seccompBaseline: Check = {
  id: 'seccompProfile_baseline', level: 'baseline',
  run(_m, spec) {
    const setters: string[] = [];
    if (spec.securityContext?.seccompProfile?.type === 'Unconfined') setters.push('pod');
    const bad = badContainers(spec, (c) => c.securityContext?.seccompProfile?.type === 'Unconfined');
    if (bad.length) setters.push(containersPhrase(bad));
    return setters.length ? { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"` } : undefined;
  },
};

/** Namespaced sysctls known safe (upstream's allow list, as of 1.29). */
export const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);

const sysctls: Check = {
  id: 'sysctls', level: 'baseline',
  run(_m, spec) {
    const bad = ((spec.securityContext?.sysctls ?? []) as Obj[]).map((s) => String(s.name)).filter((n) => !SAFE_SYSCTLS.has(n));
    return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
  },
};

// ---- restricted -------------------------------------------------------------

const ALLOWED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

const restrictedVolumes: Check = {
  id: 'restrictedVolumes', level: 'restricted',
  run(_m, spec) {
    const bad: string[] = [];
    const types = new Set<string>();
    for (const v of (spec.volumes ?? []) as Obj[]) {
      const t = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      if (ALLOWED_VOLUME_TYPES.has(t)) continue;
      bad.push(String(v.name));
      types.add(t);
    }
    if (!bad.length) return undefined;
    return {
      reason: 'restricted volume types',
      detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote([...types].sort())}`,
    };
  },
};

const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation', level: 'restricted',
  run(_m, spec) {
    const bad = badContainers(spec, (c) => c.securityContext?.allowPrivilegeEscalation !== false);
    return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
  },
};

const runAsNonRoot: Check = {
  id: 'runAsNonRoot', level: 'restricted',
  run(_m, spec) {
    const setters: string[] = [];
    const podValue = spec.securityContext?.runAsNonRoot as boolean | undefined;
    if (podValue === false) setters.push('pod');
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const v = c.securityContext?.runAsNonRoot as boolean | undefined;
      if (v === false) explicit.push(String(c.name));
      else if (v === undefined || v === null) { if (podValue !== true) implicit.push(String(c.name)); }
    }
    if (explicit.length) setters.push(containersPhrase(explicit));
    if (setters.length) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
    if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
    return undefined;
  },
};

const runAsUser: Check = {
  id: 'runAsUser', level: 'restricted',
  run(_m, spec) {
    const setters: string[] = [];
    if (spec.securityContext?.runAsUser === 0) setters.push('pod');
    const bad = badContainers(spec, (c) => c.securityContext?.runAsUser === 0);
    if (bad.length) setters.push(containersPhrase(bad));
    return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
  },
};

const seccompRestricted: Check = {
  id: 'seccompProfile_restricted', level: 'restricted', overrides: 'seccompProfile_baseline',
  run(_m, spec) {
    const valid = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';
    const setters: string[] = [];
    const badValues: string[] = [];
    let podSet = false;
    const podProfile = spec.securityContext?.seccompProfile;
    if (podProfile) {
      if (valid(podProfile.type)) podSet = true; else { setters.push('pod'); badValues.push(String(podProfile.type)); }
    }
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const p = c.securityContext?.seccompProfile;
      if (p) {
        if (!valid(p.type)) { explicit.push(String(c.name)); badValues.push(String(p.type)); }
      } else if (!podSet) implicit.push(String(c.name));
    }
    if (explicit.length) setters.push(containersPhrase(explicit));
    if (setters.length) return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(uniq(badValues))}` };
    if (implicit.length) return { reason: 'seccompProfile', detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
    return undefined;
  },
};

const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted', level: 'restricted',
  run(_m, spec) {
    const missingDrop: string[] = [];
    const adding: string[] = [];
    const forbidden = new Set<string>();
    for (const c of containers(spec)) {
      const caps = c.securityContext?.capabilities;
      if (!caps) { missingDrop.push(String(c.name)); continue; }
      if (!((caps.drop ?? []) as string[]).includes('ALL')) missingDrop.push(String(c.name));
      const extra = ((caps.add ?? []) as string[]).filter((x) => x !== 'NET_BIND_SERVICE');
      for (const x of extra) forbidden.add(x);
      if (extra.length) adding.push(String(c.name));
    }
    const details: string[] = [];
    if (missingDrop.length) details.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length) details.push(`${containersPhrase(adding)} must not include ${joinQuote([...forbidden].sort())} in securityContext.capabilities.add`);
    return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
  },
};

/** Every check, sorted by ID as upstream's registry orders them (and so its messages). */
export const CHECKS: Check[] = [
  hostProcess, hostNamespaces, privileged, capabilitiesBaseline, hostPathVolumes, hostPorts, appArmor, seLinux, procMount, seccompBaseline, sysctls,
  restrictedVolumes, allowPrivilegeEscalation, runAsNonRoot, runAsUser, seccompRestricted, capabilitiesRestricted,
].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The checks a level applies (privileged: none). */
export function checksFor(level: Level): Check[] {
  if (level === 'privileged') return [];
  if (level === 'baseline') return CHECKS.filter((c) => c.level === 'baseline');
  const overridden = new Set(CHECKS.map((c) => c.overrides).filter(Boolean));
  return CHECKS.filter((c) => !overridden.has(c.id));
}

/** Why the pod (metadata + spec) breaks the level, in check order; empty when it meets it. */
export function evaluatePod(level: Level, meta: Obj, spec: Obj): CheckResult[] {
  const out: CheckResult[] = [];
  for (const c of checksFor(level)) {
    const r = c.run(meta ?? {}, spec ?? {});
    if (r) out.push(r);
  }
  return out;
}

/** "reason (detail), reason (detail)" as upstream joins them. */
export function describeViolations(results: CheckResult[]): string {
  return results.map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason)).join(', ');
}
