// The CSR cleaner (upstream "csrcleaner"): CSRs are one-shot requests, so old
// ones are garbage: pending for more than 24 h, denied or failed more than an
// hour ago, issued (approved) more than an hour ago, or whose certificate has
// expired. It sweeps the informer cache every hour (upstream's polling).

import * as crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isNotFound, type Lister } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { waitForSync } from '../worker.ts';
import { conditionOf, hasCertificate, restCsrApi, type CSR, type CsrApi } from './csr.ts';

const HOUR = 3_600_000;
export const PENDING_EXPIRATION_MS = 24 * HOUR;
export const DENIED_EXPIRATION_MS = HOUR;
export const FAILED_EXPIRATION_MS = HOUR;
export const APPROVED_EXPIRATION_MS = HOUR;
export const POLLING_INTERVAL_MS = HOUR;

const since = (t: string | undefined, now: number): number => (t ? now - Date.parse(t) : 0);

/** Why this CSR is due for deletion now, or undefined. */
export function expiredReason(csr: CSR, now: number): string | undefined {
  const approved = conditionOf(csr, 'Approved');
  const denied = conditionOf(csr, 'Denied');
  const failed = conditionOf(csr, 'Failed');
  if (!approved && !denied && !failed && since(csr.metadata?.creationTimestamp, now) > PENDING_EXPIRATION_MS) return 'pending past its deadline';
  if (denied && since(denied.lastUpdateTime, now) > DENIED_EXPIRATION_MS) return 'denied past its deadline';
  if (failed && since(failed.lastUpdateTime, now) > FAILED_EXPIRATION_MS) return 'failed past its deadline';
  if (approved && hasCertificate(csr) && since(approved.lastUpdateTime, now) > APPROVED_EXPIRATION_MS) return 'issued past its deadline';
  if (hasCertificate(csr)) {
    try {
      const pem = Buffer.from(csr.status!.certificate!, 'base64').toString('utf8');
      if (Date.parse(new crypto.X509Certificate(pem).validTo) <= now) return 'certificate expired';
    } catch { /* an unreadable certificate is not ours to judge */ }
  }
  return undefined;
}

export class CSRCleaner {
  constructor(private readonly d: { csrs: Lister<CSR>; api: Pick<CsrApi, 'delete'>; clock: Clock; logger: Logger }) {}

  /** One pass: deletes every expired CSR; returns their names. */
  async sweep(): Promise<string[]> {
    const now = this.d.clock.now();
    const gone: string[] = [];
    for (const csr of this.d.csrs.list()) {
      const why = expiredReason(csr, now);
      if (!why) continue;
      try {
        await this.d.api.delete(csr.metadata!.name!, csr.metadata!.uid!);
        gone.push(csr.metadata!.name!);
        this.d.logger.info({ csr: csr.metadata!.name, reason: why }, 'cleaned up CSR');
      } catch (e) {
        if (!isNotFound(e)) this.d.logger.warn({ err: e, csr: csr.metadata!.name }, 'could not delete CSR');
      }
    }
    return gone;
  }
}

export function csrCleanerController(): Controller {
  return {
    name: 'csrcleaner',
    async run(ctx: ControllerContext): Promise<void> {
      const inf = ctx.informers.informerFor<CSR>('certificates.k8s.io/v1', 'CertificateSigningRequest');
      if (!(await waitForSync(ctx.signal, inf))) return;
      const c = new CSRCleaner({ csrs: inf.lister(), api: restCsrApi(ctx.client), clock: ctx.clock, logger: ctx.logger });
      while (!ctx.signal.aborted) {
        await c.sweep();
        await new Promise<void>((resolve) => {
          const onAbort = (): void => { t.dispose(); resolve(); };
          const t = ctx.clock.setTimeout(() => { ctx.signal.removeEventListener('abort', onAbort); resolve(); }, POLLING_INTERVAL_MS);
          ctx.signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    },
  };
}
