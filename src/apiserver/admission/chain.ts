// The admission chain, as upstream's: every write passes the mutating plugins
// (in order; each may change the object) and then, after the strategy's
// validation, the validating plugins (which may only refuse). Each plugin is
// a named object, so webhooks can later join as two more plugins
// (MutatingAdmissionWebhook at the end of the mutating phase,
// ValidatingAdmissionWebhook before ResourceQuota).

import type { UserInfo, RequestContext } from '../registry/strategy.ts';
import type { AdmissionAttributes as BaseAttributes } from './resourcequota.ts';

type Obj = Record<string, any>;

/** What an admission plugin sees of a request (upstream admission.Attributes). */
export interface AdmissionAttributes extends Omit<BaseAttributes, 'operation' | 'obj'> {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** The new object; for DELETE the object being deleted (as `old`). */
  obj: Obj;
  /** Who asks (absent for the server's own internal writes). */
  user?: UserInfo;
  /** The request: warnings and audit annotations are added to it. */
  ctx?: RequestContext;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Mutating phase: may change `a.obj`; throws ApiError to refuse. */
  admit?(a: AdmissionAttributes): Promise<void> | void;
  /** Validating phase: may only refuse (throw ApiError), warn, or annotate. */
  validate?(a: AdmissionAttributes): Promise<void> | void;
}

/** Adds an audit annotation to the request (read by the audit log as upstream's event.annotations). */
export function addAuditAnnotation(a: AdmissionAttributes, key: string, value: string): void {
  if (!a.ctx) return;
  (a.ctx.auditAnnotations ??= {})[key] = value;
  a.ctx.annotateAudit?.(key, value);
}

export function addWarning(a: AdmissionAttributes, warning: string): void {
  if (a.ctx && !a.ctx.warnings.includes(warning)) a.ctx.warnings.push(warning);
}

export class AdmissionChain {
  constructor(readonly plugins: AdmissionPlugin[]) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(a);
  }

  names(): string[] { return this.plugins.map((p) => p.name); }
}
