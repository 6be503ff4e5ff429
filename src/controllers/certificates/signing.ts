// The CSR signing controller (upstream "csrsigning"): signs approved requests
// of kubernetes.io/kube-apiserver-client, -client-kubelet and kubelet-serving
// with the cluster CA (--cluster-signing-cert-file/-key-file). A request the
// signer will not sign (bad signature, wrong subject or usages) gets a Failed
// condition, reason SignerValidationFailure, as upstream.

import * as fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isNotFound, WorkQueue, type Lister, type ResourceEventHandler } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { hasCertificate, isApproved, isFailed, newCondition, restCsrApi, rfc3339, type CSR, type CsrApi } from './csr.ts';
import {
  DEFAULT_SIGNING_DURATION_MS, SIGNERS, certificateDurationMs, csrFacts, loadSigningCA, parseCsr, signCertificate, signerRefusal,
  type SigningCA,
} from './signer.ts';

export interface SigningDeps {
  csrs: Lister<CSR>;
  api: Pick<CsrApi, 'updateStatus'>;
  ca: SigningCA;
  /** The longest certificate issued (--cluster-signing-duration). */
  maxDurationMs?: number;
  clock: Clock;
  logger: Logger;
  queue: Pick<WorkQueue<string>, 'add'>;
}

/** Approved, not yet issued or failed, and for one of our signers. */
export function needsSigning(csr: CSR): boolean {
  return isApproved(csr) && !hasCertificate(csr) && !isFailed(csr) && SIGNERS.includes(csr.spec?.signerName ?? '');
}

export class CSRSigningController {
  constructor(private readonly d: SigningDeps) {}

  handler(): ResourceEventHandler<CSR> {
    const maybe = (csr: CSR): void => { if (needsSigning(csr)) this.d.queue.add(csr.metadata!.name!); };
    return { add: maybe, update: (_old, cur) => maybe(cur) };
  }

  async sync(name: string): Promise<void> {
    const cached = this.d.csrs.get(undefined, name);
    if (!cached || !needsSigning(cached)) return;
    const csr = structuredClone(cached) as CSR;
    const now = this.d.clock.now();
    const usages = csr.spec.usages ?? [];
    let refusal: string | undefined;
    let parsed;
    try {
      parsed = parseCsr(csr.spec.request);
      if (!(await parsed.verify())) refusal = 'the request\'s signature is invalid';
      else refusal = signerRefusal(csr.spec.signerName, csrFacts(parsed), usages);
    } catch (e) {
      refusal = `unable to parse csr: ${(e as Error).message}`;
    }
    csr.status ??= {};
    if (refusal !== undefined || !parsed) {
      this.d.logger.info({ csr: name, reason: refusal }, 'refusing to sign the request');
      csr.status.conditions = [...(csr.status.conditions ?? []), newCondition('Failed', 'SignerValidationFailure', refusal ?? 'invalid request', rfc3339(now))];
    } else {
      const durationMs = certificateDurationMs(csr.spec.expirationSeconds, this.d.maxDurationMs ?? DEFAULT_SIGNING_DURATION_MS);
      const pem = await signCertificate(this.d.ca, parsed, { usages, nowMs: now, durationMs });
      csr.status.certificate = Buffer.from(pem, 'utf8').toString('base64');
    }
    try {
      await this.d.api.updateStatus(csr);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

/** The controller the manager runs as "csrsigning"; idle (with a warning) without a signing CA. */
export function csrSigningController(): Controller {
  return {
    name: 'csrsigning',
    async run(ctx: ControllerContext): Promise<void> {
      const o = ctx.options ?? {};
      const inf = ctx.informers.informerFor<CSR>('certificates.k8s.io/v1', 'CertificateSigningRequest');
      if (!o.clusterSigningCertFile || !o.clusterSigningKeyFile) {
        ctx.logger.warn('no --cluster-signing-cert-file/--cluster-signing-key-file: CSRs will not be signed');
        return;
      }
      const queue = new WorkQueue<string>({ name: 'certificate', clock: ctx.clock });
      let ca: SigningCA;
      try {
        ca = await loadSigningCA(fs.readFileSync(o.clusterSigningCertFile, 'utf8'), fs.readFileSync(o.clusterSigningKeyFile, 'utf8'));
      } catch (err) {
        ctx.logger.error({ err }, 'cannot load the CSR signing CA: CSRs will not be signed');
        return;
      }
      const c = new CSRSigningController({
        csrs: inf.lister(), api: restCsrApi(ctx.client), ca, maxDurationMs: o.clusterSigningDurationMs, clock: ctx.clock, logger: ctx.logger, queue,
      });
      const handle = inf.on(c.handler());
      try {
        if (!(await waitForSync(ctx.signal, inf))) return;
        await runWorkers(queue, (k) => c.sync(k), { signal: ctx.signal, logger: ctx.logger, workers: 5 });
      } finally {
        handle.dispose();
      }
    },
  };
}
