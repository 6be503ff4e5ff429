// Subresources computed by the server: scale (autoscaling/v1 Scale over
// spec.replicas), binding (assign a pod to a node), finalize (namespaces).

import { ApiError } from '../../base/errors.ts';
import { selectorToString } from '../../api/selectors/labels.ts';
import { rfc3339, type Obj } from './codec.ts';
import type { ResourceREST } from './rest.ts';
import type { RequestContext } from './strategy.ts';
import { finalizeNamespace } from './strategies/namespaces.ts';

export function toScale(obj: Obj): Obj {
  const sel = obj.spec?.selector;
  const selector = sel === undefined ? undefined
    : obj.kind === 'ReplicationController' ? Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')
      : selectorToString(sel);
  const m = obj.metadata;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    // replicas is omitempty upstream: 0 is left out.
    spec: obj.spec?.replicas ? { replicas: obj.spec.replicas } : {},
    status: { replicas: obj.status?.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** Write a new replica count from a Scale body (PUT) or a patched Scale (PATCH). */
export async function updateScale(rest: ResourceREST, ns: string, name: string, ctx: RequestContext,
  next: (currentScale: Obj) => Obj): Promise<Obj> {
  let precondition: string | undefined;
  const r = await rest.updateWith(ns, name, ctx, 'scale', undefined, (current) => {
    const scale = next(toScale(current));
    // Scale.spec.replicas is `omitempty` upstream: clients built on Go structs
    // (kubectl scale --current-replicas … --replicas=0) send `"spec":{}` for 0,
    // and the server decodes an absent or null field as the zero value.
    const replicas = scale?.spec?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw ApiError.invalid('Scale', 'autoscaling', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    }
    precondition = scale.metadata?.resourceVersion as string | undefined;
    if (precondition && precondition !== current.metadata.resourceVersion) {
      throw ApiError.conflict(`${rest.info.plural}${rest.info.group ? `.${rest.info.group}` : ''}`, name, 'the object has been modified; please apply your changes to the latest version and try again', rest.info.group);
    }
    return { ...current, spec: { ...current.spec, replicas } };
  });
  return toScale(r.obj);
}

export async function bindPod(pods: ResourceREST, ns: string, binding: Obj, ctx: RequestContext): Promise<void> {
  const name = binding?.metadata?.name as string | undefined;
  const node = binding?.target?.name as string | undefined;
  if (!name) throw ApiError.badRequest('a Binding must have metadata.name');
  if (!node) throw ApiError.invalid('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  await pods.updateWith(ns, name, ctx, 'binding', undefined, (pod) => {
    if (pod.metadata.deletionTimestamp) {
      throw ApiError.conflict('pods/binding', name, `pod ${name} is being deleted, cannot be assigned to a host`);
    }
    if (pod.spec?.nodeName) {
      throw ApiError.conflict('pods/binding', name, `pod ${name} is already assigned to node "${String(pod.spec.nodeName)}"`);
    }
    pod.spec.nodeName = node;
    const conds = ((pod.status ??= {}).conditions ??= []) as Obj[];
    const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now) };
    const i = conds.findIndex((c) => c.type === 'PodScheduled');
    if (i >= 0) conds[i] = scheduled; else conds.push(scheduled);
    if (binding.metadata?.annotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...binding.metadata.annotations };
    return pod;
  }, true);
}

export async function finalize(namespaces: ResourceREST, name: string, body: Obj, ctx: RequestContext): Promise<Obj> {
  const r = await namespaces.updateWith('', name, ctx, 'finalize', body?.metadata?.resourceVersion as string | undefined,
    (current) => finalizeNamespace(body, current), true);
  return r.obj;
}
