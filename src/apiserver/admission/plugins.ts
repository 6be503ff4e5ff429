// The server's admission chain, in upstream's plugin order (the subset Pilot
// has): NamespaceLifecycle is done by the REST layer itself; then
// LimitRanger, ServiceAccount, NodeRestriction, PodSecurity and, last,
// ResourceQuota (it charges only what every other plugin let through).
// Priority and the pod defaults (DefaultTolerationSeconds) live in the pod
// strategy. Webhooks would join as MutatingAdmissionWebhook after
// PodSecurity and ValidatingAdmissionWebhook before ResourceQuota.

import { ApiError } from '../../base/errors.ts';
import { listObjects } from '../registry/list.ts';
import type { ResourceREST } from '../registry/rest.ts';
import { semanticallyEqual } from '../registry/meta.ts';
import { AdmissionChain, type AdmissionPlugin } from './chain.ts';
import { LimitRanger } from './limitranger.ts';
import { ServiceAccountAdmission } from './serviceaccount.ts';
import { NodeRestriction } from './noderestriction.ts';
import { PodSecurityAdmission } from './podsecurity/admission.ts';
import type { ResourceQuotaAdmission } from './resourcequota.ts';

type Obj = Record<string, any>;

/** What the plugins read: the registry's REST objects (reads go straight to the store: admission must see the latest). */
export interface AdmissionReads {
  rest(group: string, version: string, plural: string): ResourceREST | undefined;
}

async function getOrUndefined(rest: ResourceREST, ns: string, name: string): Promise<Obj | undefined> {
  try {
    return await rest.get(ns, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** ResourceQuota as the chain's last plugin: it judges creates and main-resource updates, as before the chain. */
function quotaPlugin(quota: ResourceQuotaAdmission): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    async validate(a) {
      if (a.operation === 'DELETE' || a.subresource !== '') return;
      if (a.operation === 'UPDATE' && a.old && semanticallyEqual(a.obj, a.old)) return;
      await quota.admit({ ...a, operation: a.operation });
    },
  };
}

export function defaultAdmissionChain(reads: AdmissionReads, quota?: ResourceQuotaAdmission): AdmissionChain {
  const r = (plural: string, group = ''): ResourceREST => reads.rest(group, 'v1', plural)!;
  const list = async (plural: string, ns: string): Promise<Obj[]> => (await listObjects(r(plural), ns, {})).items;
  const plugins: AdmissionPlugin[] = [
    new LimitRanger({ list: (ns) => list('limitranges', ns) }),
    new ServiceAccountAdmission({ get: (ns, name) => getOrUndefined(r('serviceaccounts'), ns, name) }),
    new NodeRestriction({ getNode: (name) => getOrUndefined(r('nodes'), '', name), getPod: (ns, name) => getOrUndefined(r('pods'), ns, name) }),
    new PodSecurityAdmission({ getNamespace: (name) => getOrUndefined(r('namespaces'), '', name), listPods: (ns) => list('pods', ns) }),
  ];
  if (quota) plugins.push(quotaPlugin(quota));
  return new AdmissionChain(plugins);
}
