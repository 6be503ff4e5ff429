// Roles, ClusterRoles and their bindings, as upstream's RBAC validation checks
// them: rules need verbs and either resources (with API groups) or, for
// ClusterRoles only, non-resource URLs; bindings point at a role of an allowed
// kind in rbac.authorization.k8s.io, name well-formed subjects, and never
// change their roleRef.

import { type Errs, arr, invalid, notSupported, obj, required, str, goAny, semanticEqual } from './field.ts';
import { nameIsPathSegment } from './names.ts';
import { validateObjectMeta } from './meta.ts';

const RBAC = 'rbac.authorization.k8s.io';

function validateRule(rule: Record<string, any>, path: string, namespaced: boolean): Errs {
  const errs: Errs = [];
  if (!arr(rule.verbs).length) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (arr(rule.nonResourceURLs).length) {
    if (namespaced) errs.push(invalid(`${path}.nonResourceURLs`, goAny(rule.nonResourceURLs), 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(rule.apiGroups).length || arr(rule.resources).length || arr(rule.resourceNames).length) {
      errs.push(invalid(`${path}.nonResourceURLs`, goAny(rule.nonResourceURLs), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!arr(rule.apiGroups).length) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!arr(rule.resources).length) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRoleLike(role: any, namespaced: boolean): Errs {
  const errs = validateObjectMeta(role?.metadata, namespaced, nameIsPathSegment);
  arr(role?.rules).forEach((r, i) => errs.push(...validateRule(obj(r), `rules[${i}]`, namespaced)));
  return errs;
}

export const validateRole = (r: any): Errs => validateRoleLike(r, true);
export const validateClusterRole = (r: any): Errs => validateRoleLike(r, false);

function validateBindingLike(b: any, namespaced: boolean): Errs {
  const errs = validateObjectMeta(b?.metadata, namespaced, nameIsPathSegment);
  const ref = obj(b?.roleRef);
  if (str(ref.apiGroup) !== RBAC) errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  if (!str(ref.name)) errs.push(required('roleRef.name'));
  else errs.push(...pathSegmentErrs(str(ref.name), 'roleRef.name'));
  arr(b?.subjects).forEach((raw, i) => {
    const s = obj(raw);
    const p = `subjects[${i}]`;
    if (!str(s.name)) errs.push(required(`${p}.name`));
    switch (s.kind) {
      case 'ServiceAccount':
        if (str(s.apiGroup) !== '') errs.push(notSupported(`${p}.apiGroup`, str(s.apiGroup), ['']));
        if (!namespaced && !str(s.namespace)) errs.push(required(`${p}.namespace`));
        break;
      case 'User': case 'Group':
        if (str(s.apiGroup) !== RBAC) errs.push(notSupported(`${p}.apiGroup`, str(s.apiGroup), [RBAC]));
        break;
      default:
        errs.push(notSupported(`${p}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

function pathSegmentErrs(name: string, path: string): Errs {
  return nameIsPathSegment(name, false).map((m) => invalid(path, name, m));
}

function validateBindingUpdate(b: any, old: any, namespaced: boolean): Errs {
  const errs = validateBindingLike(b, namespaced);
  if (!semanticEqual(b?.roleRef, old?.roleRef)) errs.push(invalid('roleRef', goAny(b?.roleRef), 'cannot change roleRef'));
  return errs;
}

export const validateRoleBinding = (b: any): Errs => validateBindingLike(b, true);
export const validateRoleBindingUpdate = (b: any, old: any): Errs => validateBindingUpdate(b, old, true);
export const validateClusterRoleBinding = (b: any): Errs => validateBindingLike(b, false);
export const validateClusterRoleBindingUpdate = (b: any, old: any): Errs => validateBindingUpdate(b, old, false);
