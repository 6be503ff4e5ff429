// What the certificate controllers share: the CSR type, its conditions, and
// the API calls they make (narrow, so each sync is unit-tested without a server).

import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1.js';
import type { RestClient } from '../../client/index.ts';

export type CSR = CertificateSigningRequest;
export type { CertificateSigningRequestCondition };

export function conditionOf(csr: CSR, type: string): CertificateSigningRequestCondition | undefined {
  return csr.status?.conditions?.find((c) => c.type === type);
}

export const isApproved = (csr: CSR): boolean => !!conditionOf(csr, 'Approved') && !conditionOf(csr, 'Denied');
export const isDenied = (csr: CSR): boolean => !!conditionOf(csr, 'Denied');
export const isFailed = (csr: CSR): boolean => !!conditionOf(csr, 'Failed');
export const hasCertificate = (csr: CSR): boolean => !!csr.status?.certificate;

export interface CsrApi {
  /** PUT …/status: the certificate or a Failed condition. */
  updateStatus(csr: CSR): Promise<CSR>;
  /** PUT …/approval: an Approved or Denied condition. */
  updateApproval(csr: CSR): Promise<CSR>;
  /** Deletes a CSR (uid precondition: never a newer one of the same name). */
  delete(name: string, uid: string): Promise<void>;
  /** SubjectAccessReview: may this requester do it? */
  subjectAccessReview(spec: Record<string, unknown>): Promise<boolean>;
}

export function restCsrApi(client: RestClient): CsrApi {
  const csrs = client.resource<CSR>('certificates.k8s.io/v1', 'CertificateSigningRequest');
  const put = (csr: CSR, sub: string): Promise<CSR> =>
    client.request<CSR>('PUT', csrs.path(undefined, csr.metadata!.name!, sub), { body: { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', ...csr } });
  return {
    updateStatus: (csr) => put(csr, 'status'),
    updateApproval: (csr) => put(csr, 'approval'),
    delete: async (name, uid) => { await csrs.delete(name, { preconditions: { uid } }); },
    async subjectAccessReview(spec) {
      const r = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
      });
      return r?.status?.allowed === true;
    },
  };
}

/** A condition as the controllers add it (timestamps: the server fills them when absent). */
export function newCondition(type: string, reason: string, message: string, now: string): CertificateSigningRequestCondition {
  return { type, status: 'True', reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export function rfc3339(ms: number): string { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }
