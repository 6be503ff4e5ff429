// The CSR approving controller (upstream "csrapproving", sarapprove.go):
// auto-approves kubelet client certificates. A request for
// kubernetes.io/kube-apiserver-client-kubelet that is a valid node client
// request (CN system:node:<name>, O system:nodes, client usages, no SANs) is
// approved when a SubjectAccessReview says its requester may `create`
// certificatesigningrequests/selfnodeclient (a node renewing its own
// certificate: requester = CN) or …/nodeclient (anyone allowed to ask for a
// node's first certificate: bootstrap tokens). Nothing else is decided here.

import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isNotFound, WorkQueue, type Lister, type ResourceEventHandler } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { conditionOf, newCondition, restCsrApi, rfc3339, type CSR, type CsrApi } from './csr.ts';
import { KUBE_APISERVER_CLIENT_KUBELET, csrFacts, parseCsr, signerRefusal } from './signer.ts';

interface Recognizer {
  subresource: 'selfnodeclient' | 'nodeclient';
  matches(csr: CSR, cn: string): boolean;
  message: string;
}

const RECOGNIZERS: Recognizer[] = [
  { subresource: 'selfnodeclient', matches: (csr, cn) => csr.spec.username === cn, message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' },
  { subresource: 'nodeclient', matches: () => true, message: 'Auto approving kubelet client certificate after SubjectAccessReview.' },
];

export interface ApprovingDeps {
  csrs: Lister<CSR>;
  api: Pick<CsrApi, 'updateApproval' | 'subjectAccessReview'>;
  clock: Clock;
  logger: Logger;
  queue: Pick<WorkQueue<string>, 'add'>;
}

const undecided = (csr: CSR): boolean => !conditionOf(csr, 'Approved') && !conditionOf(csr, 'Denied');

export class CSRApprovingController {
  constructor(private readonly d: ApprovingDeps) {}

  handler(): ResourceEventHandler<CSR> {
    const maybe = (csr: CSR): void => {
      if (undecided(csr) && csr.spec?.signerName === KUBE_APISERVER_CLIENT_KUBELET) this.d.queue.add(csr.metadata!.name!);
    };
    return { add: maybe, update: (_old, cur) => maybe(cur) };
  }

  /** Which permission approves this request, if any (exported for tests). */
  async decide(csr: CSR): Promise<Recognizer | undefined> {
    if (csr.spec.signerName !== KUBE_APISERVER_CLIENT_KUBELET) return undefined;
    let facts;
    try {
      const parsed = parseCsr(csr.spec.request);
      if (!(await parsed.verify())) return undefined;
      facts = csrFacts(parsed);
    } catch {
      return undefined;
    }
    if (signerRefusal(csr.spec.signerName, facts, csr.spec.usages ?? []) !== undefined) return undefined;
    for (const r of RECOGNIZERS) {
      if (!r.matches(csr, facts.cn)) continue;
      const allowed = await this.d.api.subjectAccessReview({
        user: csr.spec.username, uid: csr.spec.uid, groups: csr.spec.groups, extra: csr.spec.extra,
        resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource: r.subresource },
      });
      if (allowed) return r;
    }
    return undefined;
  }

  async sync(name: string): Promise<void> {
    const cached = this.d.csrs.get(undefined, name);
    if (!cached || !undecided(cached)) return;
    const r = await this.decide(cached);
    if (!r) {
      this.d.logger.debug({ csr: name }, 'not auto-approving: no recognizer allowed it');
      return;
    }
    const csr = structuredClone(cached) as CSR;
    csr.status ??= {};
    csr.status.conditions = [...(csr.status.conditions ?? []), newCondition('Approved', 'AutoApproved', r.message, rfc3339(this.d.clock.now()))];
    try {
      await this.d.api.updateApproval(csr);
      this.d.logger.info({ csr: name, requester: csr.spec.username, permission: r.subresource }, 'auto-approved kubelet client certificate request');
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

export function csrApprovingController(): Controller {
  return {
    name: 'csrapproving',
    async run(ctx: ControllerContext): Promise<void> {
      const inf = ctx.informers.informerFor<CSR>('certificates.k8s.io/v1', 'CertificateSigningRequest');
      const queue = new WorkQueue<string>({ name: 'csrapproving', clock: ctx.clock });
      const c = new CSRApprovingController({ csrs: inf.lister(), api: restCsrApi(ctx.client), clock: ctx.clock, logger: ctx.logger, queue });
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
