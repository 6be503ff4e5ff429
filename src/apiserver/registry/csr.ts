// certificates.k8s.io/v1 CertificateSigningRequest: the strategy (upstream
// pkg/registry/certificates/certificates/strategy.go) and the admission checks
// upstream runs on it (CertificateApproval, CertificateSigning,
// CertificateSubjectRestriction):
// - spec.username/uid/groups/extra are the requester's, set by the server;
// - the spec never changes after create;
// - /approval may only change Approved/Denied conditions, and only for users
//   allowed to `approve` the request's signer;
// - /status may change everything else in status (the certificate, Failed…),
//   and setting the certificate needs `sign` on the signer;
// - nobody may ask kubernetes.io/kube-apiserver-client for system:masters.

import { ApiError } from '../../base/errors.ts';
import type { Authorizer } from '../auth/rbac/authorizer.ts';
import { clone, rfc3339, type Obj } from './codec.ts';
import type { Strategy, UserInfo } from './strategy.ts';
import { KUBE_APISERVER_CLIENT_SIGNER, parseCsrRequest, validateCsr, validateCsrUpdate } from './csr-validation.ts';

const GROUP = 'certificates.k8s.io';
const APPROVAL_TYPES = new Set(['Approved', 'Denied']);

const isApproval = (c: Obj): boolean => APPROVAL_TYPES.has(c?.type as string);

/**
 * Upstream's IsAuthorizedForSignerName: `verb` on resource "signers" with the
 * signer's name, or on `<domain>/*` for every signer of that domain.
 */
export function authorizedForSigner(authz: Authorizer, user: UserInfo, verb: 'approve' | 'sign', signerName: string): boolean {
  const attrs = (name: string) => ({ user, verb, resourceRequest: true, apiGroup: GROUP, resource: 'signers', name });
  if (authz.authorize(attrs(signerName)).allowed) return true;
  const slash = signerName.indexOf('/');
  return slash > 0 && authz.authorize(attrs(`${signerName.slice(0, slash)}/*`)).allowed;
}

function forbiddenFor(obj: Obj, why: string): ApiError {
  const name = String(obj.metadata?.name ?? '');
  return ApiError.forbidden(`certificatesigningrequests.${GROUP} ${JSON.stringify(name)} is forbidden: ${why}`,
    { name, group: GROUP, kind: 'certificatesigningrequests' });
}

/** Upstream's populateConditionTimestamps: new conditions get now; unchanged ones keep their transition time. */
function stampConditions(conds: Obj[], old: Obj[], now: string): void {
  for (const c of conds) {
    c.lastUpdateTime ??= now;
    if (!c.lastTransitionTime) {
      const prev = old.find((o) => o.type === c.type && o.status === c.status);
      c.lastTransitionTime = prev?.lastTransitionTime ?? now;
    }
  }
}

export function csrStrategy(authorizer: () => Authorizer | undefined): Strategy {
  return {
    prepareForCreate(obj, ctx) {
      const u = ctx.user;
      const spec = (obj.spec ??= {}) as Obj;
      // Never what the client claims: who asked is who sent it.
      delete spec.username; delete spec.uid; delete spec.groups; delete spec.extra;
      spec.username = u.username;
      if (u.uid) spec.uid = u.uid;
      if (u.groups.length) spec.groups = [...u.groups];
      if (u.extra && Object.keys(u.extra).length) spec.extra = clone(u.extra);
      obj.status = {};
    },
    prepareForUpdate(obj, old) {
      obj.spec = clone(old.spec);
    },
    validate: (obj) => validateCsr(obj),
    validateUpdate: (obj, old) => validateCsrUpdate(obj, old),
    validateSubresourceUpdate: (_sub, obj, old) => validateCsrUpdate(obj, old),
    beforeCreate(obj) {
      const parsed = parseCsrRequest(obj.spec?.request);
      if (obj.spec?.signerName !== KUBE_APISERVER_CLIENT_SIGNER || 'error' in parsed) return;
      const orgs = parsed.csr.subjectName.getField('O');
      if (orgs.includes('system:masters')) {
        throw forbiddenFor(obj, `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed`);
      }
    },
    prepareForSubresourceUpdate(sub, next, incoming, old, ctx) {
      const now = rfc3339(ctx.now);
      const oldConds = clone((old.status?.conditions ?? []) as Obj[]);
      const inConds = clone((incoming.status?.conditions ?? []) as Obj[]);
      const status: Obj = sub === 'approval'
        // Only the decision changes through /approval; the certificate and other conditions stay.
        ? { ...clone(old.status ?? {}), conditions: [...inConds.filter(isApproval), ...oldConds.filter((c) => !isApproval(c))] }
        // And the decision never changes through /status.
        : { ...clone(incoming.status ?? {}), conditions: [...inConds.filter((c) => !isApproval(c)), ...oldConds.filter(isApproval)] };
      if (!(status.conditions as Obj[]).length) delete status.conditions;
      else stampConditions(status.conditions as Obj[], oldConds, now);
      if (status.certificate === undefined || status.certificate === null || status.certificate === '') delete status.certificate;
      next.status = status;
      next.spec = clone(old.spec);

      const authz = authorizer();
      if (!authz) return;
      const signer = String(old.spec?.signerName ?? '');
      if (sub === 'approval' && !authorizedForSigner(authz, ctx.user, 'approve', signer)) {
        throw forbiddenFor(old, `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`);
      }
      if (sub === 'status' && status.certificate !== old.status?.certificate && status.certificate
        && !authorizedForSigner(authz, ctx.user, 'sign', signer)) {
        throw forbiddenFor(old, `user not permitted to sign requests with signerName ${JSON.stringify(signer)}`);
      }
    },
  };
}

