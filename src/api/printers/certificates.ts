// CertificateSigningRequests, as `kubectl get csr` prints them upstream.

import { AGE, NAME, ageOf, col, nameOf, str, type Printer } from './common.ts';
import { humanDuration } from './duration.ts';

/** Upstream's order of precedence: Denied, else Approved, else Pending; then Failed and Issued. */
export function csrCondition(csr: any): string {
  let approved = false, denied = false, failed = false;
  for (const c of (csr?.status?.conditions ?? []) as any[]) {
    if (c?.type === 'Approved') approved = true;
    else if (c?.type === 'Denied') denied = true;
    else if (c?.type === 'Failed') failed = true;
  }
  let s = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) s += ',Failed';
  if (csr?.status?.certificate) s += ',Issued';
  return s;
}

export const csrPrinter: Printer = {
  columns: [
    NAME, AGE,
    col('SignerName', 'string', 'Name of the signer asked to sign the certificate.'),
    col('Requestor', 'string', 'Name of the user who created the request.'),
    col('RequestedDuration', 'string', 'Validity the requester asked for.'),
    col('Condition', 'string', 'Approval and issuance state of the request.'),
  ],
  row(csr, now) {
    const secs = csr?.spec?.expirationSeconds;
    return [nameOf(csr), ageOf(csr, now), str(csr?.spec?.signerName), str(csr?.spec?.username),
      typeof secs === 'number' ? humanDuration(secs * 1000) : '<none>', csrCondition(csr)];
  },
};
