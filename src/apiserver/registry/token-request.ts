// POST …/serviceaccounts/<name>/token (authentication.k8s.io/v1 TokenRequest,
// `kubectl create token`): a signed, expiring token for the account, bound to
// the audiences asked for and optionally to a Pod, Secret or Node so that it
// dies with that object. Never stored.

import { ApiError, type FieldError } from '../../base/errors.ts';
import type { ServiceAccountTokens } from '../auth/serviceaccount/tokens.ts';
import type { TokenSubject } from '../auth/serviceaccount/claims.ts';
import { rfc3339, type Obj } from './codec.ts';
import type { Registry } from './registry.ts';
import type { RequestContext } from './strategy.ts';
import { findResource } from '../../api/resources.ts';

const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;
const MAX_EXPIRATION_S = 2 ** 32;

const BINDABLE: Record<string, { plural: string; namespaced: boolean }> = {
  Pod: { plural: 'pods', namespaced: true },
  Secret: { plural: 'secrets', namespaced: true },
  Node: { plural: 'nodes', namespaced: false },
};

/** The defaulted and validated request spec (pure). Throws 422 like upstream's validation. */
export function validateTokenRequest(body: Obj, ns: string, saName: string, tokens: Pick<ServiceAccountTokens, 'apiAudiences' | 'maxExpirationSeconds'>): Obj {
  const errs: FieldError[] = [];
  const meta = body?.metadata ?? {};
  if (meta.name && meta.name !== saName) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${String(meta.name)}": must match the service account name if specified` });
  if (meta.namespace && meta.namespace !== ns) errs.push({ type: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: "${String(meta.namespace)}": must match the service account namespace if specified` });
  const spec: Obj = { ...(body?.spec ?? {}) };
  if (!Array.isArray(spec.audiences) || spec.audiences.length === 0) spec.audiences = [...tokens.apiAudiences];
  if (spec.audiences.some((a: unknown) => typeof a !== 'string' || a === '')) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.audiences', message: 'Invalid value: "": audiences must not be empty' });
  }
  spec.expirationSeconds ??= DEFAULT_EXPIRATION_S;
  const exp = spec.expirationSeconds;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(exp)}: must be an integer` });
  } else if (exp < MIN_EXPIRATION_S) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${exp}: may not specify a duration less than 10 minutes` });
  } else if (exp > MAX_EXPIRATION_S) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${exp}: may not specify a duration larger than 2^32 seconds` });
  }
  const ref = spec.boundObjectRef;
  if (ref) {
    if (!ref.kind || !BINDABLE[ref.kind]) {
      errs.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', message: `Unsupported value: "${String(ref.kind ?? '')}": supported values: "Pod", "Secret", "Node"` });
    }
    if (!ref.name) errs.push({ type: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' });
  }
  if (errs.length) throw ApiError.invalid('TokenRequest', 'authentication.k8s.io', saName, errs);
  // Upstream caps requests above the maximum instead of refusing them.
  if (tokens.maxExpirationSeconds > 0 && spec.expirationSeconds > tokens.maxExpirationSeconds) spec.expirationSeconds = tokens.maxExpirationSeconds;
  return spec;
}

export async function createServiceAccountToken(registry: Registry, tokens: ServiceAccountTokens, ns: string, saName: string, body: Obj, ctx: RequestContext): Promise<Obj> {
  const spec = validateTokenRequest(body, ns, saName, tokens);
  // Admission sees the request as a create of serviceaccounts/token (NodeRestriction narrows nodes to their pods' tokens).
  await registry.admission.validate({ operation: 'CREATE', info: findResource('', 'v1', 'serviceaccounts')!, namespace: ns, subresource: 'token',
    obj: { ...body, metadata: { ...(body?.metadata ?? {}), name: saName, namespace: ns }, spec }, dryRun: ctx.dryRun, user: ctx.user, ctx });
  const sa = await registry.rest('', 'v1', 'serviceaccounts')!.get(ns, saName);
  const subject: TokenSubject = { namespace: ns, serviceAccount: { name: saName, uid: sa.metadata.uid } };
  const ref = spec.boundObjectRef;
  if (ref) {
    const b = BINDABLE[ref.kind]!;
    const obj = await registry.rest('', 'v1', b.plural)!.get(b.namespaced ? ns : '', ref.name);
    if (ref.uid && ref.uid !== obj.metadata.uid) {
      throw ApiError.conflict(ref.kind, ref.name, `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    spec.boundObjectRef = { kind: ref.kind, apiVersion: 'v1', name: ref.name, uid: obj.metadata.uid };
    const key = ref.kind.toLowerCase() as 'pod' | 'secret' | 'node';
    subject[key] = { name: ref.name, uid: obj.metadata.uid };
  }
  const { token, expiresAtMs } = tokens.issue(subject, spec.audiences, spec.expirationSeconds, ctx.now.getTime());
  return {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: saName, namespace: ns, creationTimestamp: rfc3339(ctx.now) },
    spec,
    status: { token: ctx.dryRun ? '' : token, expirationTimestamp: rfc3339(new Date(expiresAtMs)) },
  };
}
