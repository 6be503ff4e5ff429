// Namespaces: Active on create, Terminating while their content is removed
// (spec.finalizers, emptied through the finalize subresource), never deleted
// for the system namespaces.

import { ApiError } from '../../../base/errors.ts';
import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';

export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NAME_LABEL = 'kubernetes.io/metadata.name';

function labelWithName(ns: Obj): void {
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAME_LABEL]: ns.metadata.name };
}

export const namespaceStrategy: Strategy = {
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    labelWithName(ns);
  },
  prepareForUpdate(ns, old) {
    // spec.finalizers change only through the finalize subresource.
    ns.spec = { ...(ns.spec ?? {}), finalizers: old.spec?.finalizers };
    if (ns.spec.finalizers === undefined) delete ns.spec.finalizers;
    labelWithName(ns);
  },
  checkDelete(ns) {
    if (PROTECTED_NAMESPACES.has(ns.metadata.name as string)) {
      throw ApiError.forbidden(`namespaces "${String(ns.metadata.name)}" is forbidden: this namespace may not be deleted`, { name: ns.metadata.name as string, kind: 'namespaces' });
    }
  },
  beginDelete(ns) {
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  },
  pendingFinalization(ns) {
    return Array.isArray(ns.spec?.finalizers) && ns.spec.finalizers.length > 0;
  },
};

/** The finalize subresource: only spec.finalizers of the body counts. */
export function finalizeNamespace(body: Obj, current: Obj): Obj {
  const next = structuredClone(current);
  next.spec = { ...(next.spec ?? {}), finalizers: body.spec?.finalizers ?? [] };
  return next;
}
