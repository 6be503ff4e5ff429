// Per-resource behaviour. The generic REST code (rest.ts) does everything that
// is the same for every resource; a Strategy holds only what differs.

import type { FieldError } from '../../base/errors.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import type { Obj } from './codec.ts';

export interface UserInfo { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export interface RequestContext {
  user: UserInfo;
  now: Date;
  dryRun: boolean;
  /** Field manager for managedFields (from ?fieldManager or the User-Agent). */
  fieldManager: string;
  /** True when the client named no field manager (apply requires one). */
  fieldManagerDefaulted: boolean;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  /** Warnings to send back as `Warning: 299 - "…"` headers. */
  warnings: string[];
  /** Annotations admission adds for the audit event (e.g. pod-security.kubernetes.io/audit-violations). */
  auditAnnotations?: Record<string, string>;
  /** Passes an audit annotation on to the request's audit event (set by the HTTP layer). */
  annotateAudit?: (key: string, value: string) => void;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface Strategy {
  /** Resources whose spec changes bump metadata.generation. */
  tracksGeneration?: boolean;
  /** PUT of a missing object creates it (upstream AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /** Reset/derive fields before defaulting and validation on create (e.g. status). */
  prepareForCreate?(obj: Obj, ctx: RequestContext): void;
  /** Adjust a main-resource update (status is already carried over from old). */
  prepareForUpdate?(obj: Obj, old: Obj, ctx: RequestContext): void;
  /** Extra checks beyond the shared validation package. */
  validate?(obj: Obj): FieldError[];
  validateUpdate?(obj: Obj, old: Obj): FieldError[];
  /**
   * Writes through a status-like subresource (status, approval): `next` is the
   * stored object with the incoming status; adjust it (what the subresource may
   * change) and refuse what the user may not do (throws ApiError).
   */
  prepareForSubresourceUpdate?(subresource: string, next: Obj, incoming: Obj, old: Obj, ctx: RequestContext): void;
  validateSubresourceUpdate?(subresource: string, obj: Obj, old: Obj): FieldError[];
  /** Side effects that must precede the write (allocations). Must undo themselves on dryRun. */
  beforeCreate?(obj: Obj, ctx: RequestContext): Promise<void> | void;
  beforeUpdate?(obj: Obj, old: Obj, ctx: RequestContext): Promise<void> | void;
  /** Called when a write that followed beforeCreate/beforeUpdate failed or was a dry run. */
  rollback?(obj: Obj, old: Obj | undefined): Promise<void> | void;
  /** After a successful update: release what `old` held that `obj` no longer does. */
  afterUpdate?(obj: Obj, old: Obj): Promise<void> | void;
  /** Refuse a delete outright (e.g. the default namespace). Throws ApiError. */
  checkDelete?(obj: Obj): void;
  /** Release what the object held (allocations) once it is gone. */
  afterDelete?(obj: Obj): Promise<void> | void;
  /**
   * Graceful deletion: seconds to wait before the object may be removed, or
   * undefined to delete at once. Only pods use it upstream.
   */
  gracePeriod?(obj: Obj, opts: DeleteOptions): number | undefined;
  /** Mark the object as deleting instead of removing it (namespaces: phase Terminating). */
  beginDelete?(obj: Obj, ctx: RequestContext): void;
  /** Whether, once marked deleting, the object still waits on something beyond metadata.finalizers. */
  pendingFinalization?(obj: Obj): boolean;
}

export interface Registered { info: ResourceInfo; strategy: Strategy }
