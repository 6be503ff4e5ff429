// The generic REST logic every resource shares: create, update (incl. status),
// patch (json, merge, strategic, apply), graceful/finalized delete. A Strategy
// supplies what differs per resource. Writes are compare-and-swap on the
// store revision, retried when the client did not pin a resourceVersion
// (upstream's GuaranteedUpdate).

import { ApiError, type FieldError } from '../../base/errors.ts';
import { apiVersionOf, qualifiedName, type ResourceInfo } from '../../api/resources.ts';
import { applyDefaults } from '../../api/defaults/index.ts';
import { validateCreate, validateUpdate } from '../../api/validation/index.ts';
import { dropUnknownFields, validateFields } from '../../api/schema/unknown-fields.ts';
import { schemaFor } from '../../api/schema/index.ts';
import type { SchemaNode } from '../../api/schema/types.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply, recordUpdate } from '../../api/patch/index.ts';
import { StoreError, type Store, type KV } from '../../storage/store.ts';
import { clone, decodeKV, encodeObject, keyFor, resourcePrefix, rfc3339, withResourceVersion, type Obj } from './codec.ts';
import type { KV as StoreKV } from '../../storage/store.ts';
import { mapStoreError } from './store-errors.ts';
import { WatchCache } from './watch-cache.ts';
import { bumpGenerationIfSpecChanged, generateName, keepSystemMeta, prepareMetaForCreate, semanticallyEqual } from './meta.ts';
import type { DeleteOptions, RequestContext, Strategy } from './strategy.ts';
import { defaultGarbageCollectionPolicy, finalizersForDelete, JOB_DELETE_WARNING } from './gc-finalizers.ts';
import type { AdmissionAttributes } from '../admission/chain.ts';
import type { ValueTransformer } from '../encryption/transformer.ts';

export type PatchType = 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch';

/** What the REST layer needs from the rest of the registry (namespace lifecycle). */
export interface NamespaceLookup {
  namespacePhase(name: string): Promise<'Active' | 'Terminating' | undefined>;
}

export interface WriteResult { obj: Obj; created: boolean }

/** A resource kept under another resource's key prefix, in that resource's form. */
export interface StorageForm {
  prefix: string;
  toStorage(obj: Obj): Obj;
  fromStorage(obj: Obj): Obj;
}

const MAX_RETRIES = 16;

interface UpdateOp {
  allowCreate: boolean;
  createBody?: Obj;
  /** The managedFields were computed by server-side apply already. */
  managedByApply?: boolean;
  /** Server-computed change of a subresource: skip main-resource rules (see updateWith). */
  internal?: boolean;
  tryUpdate: (current: Obj) => Obj;
}

export class ResourceREST {
  readonly prefix: string;
  readonly apiVersion: string;
  private schemaCache: SchemaNode | undefined | null = null;
  private cache?: WatchCache;
  /** Validating admission (ResourceQuota): after validation, before the write; throws to refuse. */
  admission?: (a: AdmissionAttributes) => Promise<void>;
  /** Mutating admission (admission/chain.ts): may change the object before the strategy prepares and validates it. */
  mutatingAdmission?: (a: AdmissionAttributes) => Promise<void>;
  /** Encryption at rest (--encryption-provider-config); undefined: stored as plain JSON. */
  transformer?: ValueTransformer;

  constructor(readonly info: ResourceInfo, readonly strategy: Strategy, readonly store: Store, private readonly namespaces: NamespaceLookup,
    private readonly storage?: StorageForm) {
    this.prefix = storage?.prefix ?? resourcePrefix(info.group, info.plural);
    this.apiVersion = apiVersionOf(info);
  }

  /** The resource's watch cache, created on first use (started by its first watch). */
  watchCache(): WatchCache {
    this.cache ??= new WatchCache(this.store, this.prefix, (kv) => this.decode(kv));
    return this.cache;
  }

  stopWatchCache(): void { this.cache?.stop(); }

  /** The object as this API version shows it (converted when stored in another form). */
  decode(kv: StoreKV): Obj {
    const obj = decodeKV(this.transformer ? { ...kv, value: this.fromStorage(kv).data } : kv);
    return this.storage ? withResourceVersion(this.storage.fromStorage(obj), kv.modRevision) : obj;
  }

  /** The bytes to store under `key` (encrypted when the resource is). */
  encode(obj: Obj, key: string): Uint8Array {
    const plain = encodeObject(this.storage ? this.storage.toStorage(obj) : obj);
    return this.transformer ? this.transformer.toStorage(plain, key) : plain;
  }

  /** Decrypts a stored value; a wrong key or corrupt data is a 500 for this object, as upstream. */
  private fromStorage(kv: StoreKV): { data: Uint8Array; stale: boolean } {
    try {
      return this.transformer!.fromStorage(kv.value, kv.key);
    } catch (e) {
      throw ApiError.internal(`unable to transform key ${JSON.stringify(kv.key)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Written with a key or provider that is no longer the first: rewrite it even when unchanged (key rotation). */
  private isStale(kv: StoreKV): boolean { return !!this.transformer && this.fromStorage(kv).stale; }

  key(ns: string, name: string): string { return keyFor(this.prefix, this.info.namespaced ? ns : '', name); }

  private schema(): SchemaNode {
    if (this.schemaCache === null) this.schemaCache = schemaFor(this.apiVersion, this.info.kind);
    return this.schemaCache ?? {};
  }

  private notFound(name: string): ApiError { return ApiError.notFound(qualifiedName(this.info), name, this.info.group); }

  private async getKV(ns: string, name: string): Promise<KV | undefined> {
    return this.store.get(this.key(ns, name));
  }

  async get(ns: string, name: string): Promise<Obj> {
    const kv = await this.getKV(ns, name);
    if (!kv) throw this.notFound(name);
    return this.decode(kv);
  }

  // ---- create ---------------------------------------------------------------

  async create(ns: string, body: Obj, ctx: RequestContext): Promise<Obj> {
    const obj = this.checkBody(body, ns, undefined);
    this.checkUnknownFields(obj, ctx, 'create');
    if (this.info.namespaced) await this.checkNamespaceAcceptsObjects(ns, String(obj.metadata?.name ?? ''));
    const meta = obj.metadata as Obj;
    if (!meta.name && meta.generateName) meta.name = generateName(String(meta.generateName));
    prepareMetaForCreate(obj, ctx.now, !!this.strategy.tracksGeneration);
    await this.mutatingAdmission?.({ operation: 'CREATE', info: this.info, namespace: ns, subresource: '', obj, dryRun: ctx.dryRun, user: ctx.user, ctx });
    this.strategy.prepareForCreate?.(obj, ctx);
    applyDefaults(this.info, obj);
    // Allocation comes before validation, as upstream's BeginCreate: a Service
    // is validated with the cluster IP it was given.
    await this.strategy.beforeCreate?.(obj, ctx);
    try {
      this.throwIfInvalid(obj, [...validateCreate(this.info, obj), ...(this.strategy.validate?.(obj) ?? [])]);
      await this.admission?.({ operation: 'CREATE', info: this.info, namespace: ns, subresource: '', obj, dryRun: ctx.dryRun, user: ctx.user, ctx });
    } catch (e) {
      await this.strategy.rollback?.(obj, undefined);
      throw e;
    }
    this.recordManager(undefined, obj, ctx, '');

    // A generated name can collide; upstream retries with a new suffix.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.strategy.beforeCreate?.(obj, ctx);
      if (ctx.dryRun) {
        await this.strategy.rollback?.(obj, undefined);
        // A dry run still reports AlreadyExists like the real write would.
        if (await this.getKV(ns, obj.metadata.name as string)) throw ApiError.alreadyExists(qualifiedName(this.info), obj.metadata.name as string, this.info.group);
        return obj;
      }
      try {
        const kv = await this.store.create(this.key(ns, obj.metadata.name as string), this.encode(obj, this.key(ns, obj.metadata.name as string)));
        return withResourceVersion(obj, kv.modRevision);
      } catch (e) {
        await this.strategy.rollback?.(obj, undefined);
        if (e instanceof StoreError && e.code === 'KeyExists' && body.metadata?.generateName && !body.metadata?.name && attempt < 8) {
          obj.metadata.name = generateName(String(body.metadata.generateName));
          continue;
        }
        throw mapStoreError(e, this.info, obj.metadata.name as string);
      }
    }
  }

  // ---- update / patch -------------------------------------------------------

  /** PUT. `subresource` '' = main resource, 'status' = status only. */
  async update(ns: string, name: string, body: Obj, ctx: RequestContext, subresource = ''): Promise<WriteResult> {
    const incoming = this.checkBody(body, ns, name);
    this.checkUnknownFields(incoming, ctx, 'update');
    const precondition = incoming.metadata.resourceVersion as string | undefined;
    return this.guaranteedUpdate(ns, name, ctx, subresource, precondition, {
      allowCreate: !!this.strategy.allowCreateOnUpdate && subresource === '',
      createBody: incoming,
      tryUpdate: () => clone(incoming),
    });
  }

  async patch(ns: string, name: string, type: PatchType, patch: unknown, ctx: RequestContext, opts: { subresource?: string; force?: boolean } = {}): Promise<WriteResult> {
    const subresource = opts.subresource ?? '';
    if (type === 'apply-patch') return this.apply(ns, name, patch, ctx, subresource, !!opts.force);
    if (patch === null || typeof patch !== 'object') throw ApiError.badRequest('the body of the request was not a valid patch');
    return this.guaranteedUpdate(ns, name, ctx, subresource, patchPrecondition(type, patch), {
      allowCreate: false,
      tryUpdate: (current) => {
        let out: Obj;
        switch (type) {
          case 'json-patch': out = applyJsonPatch(current, patch) as Obj; break;
          case 'merge-patch': out = applyMergePatch(current, patch) as Obj; break;
          case 'strategic-merge-patch': out = applyStrategicMergePatch(current, patch, this.schema()) as Obj; break;
        }
        if (!out || typeof out !== 'object' || Array.isArray(out)) throw ApiError.badRequest('the patch produced an object that is not a JSON object');
        this.checkUnknownFields(out, ctx, 'patch');
        return out;
      },
    });
  }

  private async apply(ns: string, name: string, patch: unknown, ctx: RequestContext, subresource: string, force: boolean): Promise<WriteResult> {
    if (!ctx.fieldManager || ctx.fieldManagerDefaulted) {
      throw ApiError.invalid('PatchOptions', 'meta.k8s.io', '', [{ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
    }
    const applied = patch as Obj;
    if (!applied || typeof applied !== 'object' || Array.isArray(applied)) throw ApiError.badRequest('the body of the request was not a valid apply configuration');
    this.checkBody(clone(applied), ns, name);
    this.checkUnknownFields(applied, ctx, 'patch');
    const kv = await this.getKV(ns, name);
    if (!kv && subresource === '') {
      const obj = serverSideApply({ live: undefined, applied: clone(applied), manager: ctx.fieldManager, force, schema: this.schema(), now: ctx.now }) as Obj;
      obj.metadata = { ...(obj.metadata ?? {}), name, ...(this.info.namespaced ? { namespace: ns } : {}) };
      const created = await this.create(ns, obj, { ...ctx, fieldManager: '' });
      return { obj: created, created: true };
    }
    if (!kv) throw this.notFound(name);
    return this.guaranteedUpdate(ns, name, ctx, subresource, applied.metadata?.resourceVersion as string | undefined, {
      allowCreate: false,
      managedByApply: true,
      tryUpdate: (current) => serverSideApply({ live: current, applied: clone(applied), manager: ctx.fieldManager, force, schema: this.schema(), now: ctx.now, subresource: subresource || undefined }) as Obj,
    });
  }

  /**
   * Read, compute the new object, CAS-write; retry on a lost race unless the
   * client pinned a resourceVersion (then the race is the client's 409).
   */
  private async guaranteedUpdate(ns: string, name: string, ctx: RequestContext, subresource: string, precondition: string | undefined,
    op: UpdateOp): Promise<WriteResult> {
    const q = qualifiedName(this.info);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const kv = await this.getKV(ns, name);
      if (!kv) {
        if (op.allowCreate && op.createBody) {
          const body = clone(op.createBody);
          delete body.metadata.resourceVersion;
          return { obj: await this.create(ns, body, ctx), created: true };
        }
        throw this.notFound(name);
      }
      const old = this.decode(kv);
      if (precondition && precondition !== old.metadata.resourceVersion) {
        throw ApiError.conflict(q, name, 'the object has been modified; please apply your changes to the latest version and try again', this.info.group);
      }
      let obj = op.tryUpdate(clone(old));
      obj = this.checkBody(obj, ns, name);
      let allocated = false;
      if (!op.internal) {
        obj = this.prepareUpdate(obj, old, ctx, subresource);
        applyDefaults(this.info, obj);
        if (subresource === '' && this.mutatingAdmission) {
          await this.mutatingAdmission({ operation: 'UPDATE', info: this.info, namespace: ns, subresource, obj, old, dryRun: ctx.dryRun, user: ctx.user, ctx });
        }
        if (subresource === '') { await this.strategy.beforeUpdate?.(obj, old, ctx); allocated = true; }
        const errs = subresource === '' || subresource === 'scale'
          ? [...validateUpdate(this.info, obj, old), ...(this.strategy.validateUpdate?.(obj, old) ?? [])]
          : [...validateUpdate(this.info, obj, old), ...(this.strategy.validateSubresourceUpdate?.(subresource, obj, old) ?? [])];
        if (errs.length && allocated) await this.strategy.rollback?.(obj, old);
        this.throwIfInvalid(obj, errs);
        if (this.admission && (subresource === '' || subresource === 'status') && !semanticallyEqual(obj, old)) {
          try {
            await this.admission({ operation: 'UPDATE', info: this.info, namespace: ns, subresource, obj, old, dryRun: ctx.dryRun, user: ctx.user, ctx });
          } catch (e) {
            if (allocated) await this.strategy.rollback?.(obj, old);
            throw e;
          }
        }
      }

      if (!op.managedByApply) this.recordManager(old, obj, ctx, subresource);
      if (semanticallyEqual(obj, old) && !this.isStale(kv)) {
        if (allocated) await this.strategy.rollback?.(obj, old);
        return { obj: old, created: false };
      }

      // The last finalizer gone from an object being deleted: it is removed now.
      if (this.readyToRemove(obj)) {
        if (allocated) await this.strategy.rollback?.(obj, old);
        if (ctx.dryRun) return { obj, created: false };
        try {
          const gone = await this.store.delete(kv.key, kv.modRevision);
          await this.strategy.afterDelete?.(old);
          return { obj: withResourceVersion(obj, gone.modRevision), created: false };
        } catch (e) {
          if (e instanceof StoreError && e.code === 'Conflict' && !precondition) continue;
          throw mapStoreError(e, this.info, name);
        }
      }

      if (ctx.dryRun) {
        if (allocated) await this.strategy.rollback?.(obj, old);
        return { obj: withResourceVersion(obj, kv.modRevision), created: false };
      }
      try {
        const written = await this.store.update(kv.key, this.encode(obj, kv.key), kv.modRevision);
        await this.strategy.afterUpdate?.(obj, old);
        return { obj: withResourceVersion(obj, written.modRevision), created: false };
      } catch (e) {
        if (allocated) await this.strategy.rollback?.(obj, old);
        if (e instanceof StoreError && (e.code === 'Conflict') && !precondition) continue;
        if (e instanceof StoreError && e.code === 'NotFound') throw this.notFound(name);
        throw mapStoreError(e, this.info, name);
      }
    }
    throw ApiError.conflict(q, name, 'the object has been modified; please apply your changes to the latest version and try again', this.info.group);
  }

  /**
   * A read-modify-write computed by the server itself (scale, binding,
   * finalize): `fn` gets the current object and returns the next one. With
   * `internal`, the main-resource update rules and validation are skipped
   * because `fn` changes only what the subresource owns.
   */
  async updateWith(ns: string, name: string, ctx: RequestContext, subresource: string, precondition: string | undefined,
    fn: (current: Obj) => Obj, internal = false): Promise<WriteResult> {
    return this.guaranteedUpdate(ns, name, ctx, subresource, precondition, { allowCreate: false, internal, tryUpdate: fn });
  }

  /**
   * Main resource writes keep status; status writes keep everything but status
   * and annotations (upstream's status strategies reset spec and labels, and
   * let annotations through: how the Deployment controller records revisions).
   */
  private prepareUpdate(obj: Obj, old: Obj, ctx: RequestContext, subresource: string): Obj {
    const hasStatus = this.info.subresources.some((s) => s.name === 'status');
    if (subresource === 'status' || subresource === 'approval') {
      const next = clone(old);
      next.status = obj.status;
      if (next.status === undefined) delete next.status;
      if (obj.metadata && 'annotations' in obj.metadata) {
        if (obj.metadata.annotations == null) delete next.metadata.annotations; else next.metadata.annotations = obj.metadata.annotations;
      }
      if (obj.metadata?.managedFields) next.metadata.managedFields = obj.metadata.managedFields;
      this.strategy.prepareForSubresourceUpdate?.(subresource, next, obj, old, ctx);
      return next;
    }
    keepSystemMeta(obj, old);
    if (hasStatus) {
      if (old.status === undefined) delete obj.status; else obj.status = clone(old.status);
    }
    this.strategy.prepareForUpdate?.(obj, old, ctx);
    if (this.strategy.tracksGeneration) bumpGenerationIfSpecChanged(obj, old);
    return obj;
  }

  private readyToRemove(obj: Obj): boolean {
    const m = obj.metadata;
    if (!m.deletionTimestamp) return false;
    if (Array.isArray(m.finalizers) && m.finalizers.length > 0) return false;
    if (this.strategy.pendingFinalization?.(obj)) return false;
    // A graceful deletion still counting down (a pod on a node) is finished by its kubelet.
    return !m.deletionGracePeriodSeconds;
  }

  // ---- delete ---------------------------------------------------------------

  async delete(ns: string, name: string, opts: DeleteOptions, ctx: RequestContext): Promise<{ obj: Obj; deleted: boolean }> {
    const q = qualifiedName(this.info);
    const gcPolicy = defaultGarbageCollectionPolicy(this.info);
    if (gcPolicy === 'Orphan' && this.info.kind === 'Job' && opts.propagationPolicy === undefined && opts.orphanDependents === undefined
      && !ctx.warnings.includes(JOB_DELETE_WARNING)) ctx.warnings.push(JOB_DELETE_WARNING);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const kv = await this.getKV(ns, name);
      if (!kv) throw this.notFound(name);
      const old = this.decode(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== old.metadata.uid) {
        throw ApiError.conflict(q, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`, this.info.group);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
        throw ApiError.conflict(q, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`, this.info.group);
      }
      this.strategy.checkDelete?.(old);
      await this.admission?.({ operation: 'DELETE', info: this.info, namespace: ns, subresource: '', obj: old, old, dryRun: ctx.dryRun, user: ctx.user, ctx });
      let grace = this.strategy.gracePeriod?.(old, opts);
      if (grace !== undefined && grace <= 0) grace = undefined;
      const deleting = !!old.metadata.deletionTimestamp;
      const current = Number(old.metadata.deletionGracePeriodSeconds ?? 0);
      // A graceful deletion still counting down: only a shorter grace period
      // changes it, and the finalizers stay as they are (upstream's pendingGraceful).
      if (deleting && current > 0 && grace !== undefined && grace >= current) return { obj: old, deleted: false };
      // The propagation policy becomes GC finalizers (gc-finalizers.ts); while
      // an object is being deleted, a later DELETE may still switch them.
      const fin = finalizersForDelete(old.metadata.finalizers as string[] | undefined, opts, gcPolicy);
      const waitsOnFinalizers = fin.finalizers.length > 0 || !!this.strategy.pendingFinalization?.(old);

      let step: Promise<{ obj: Obj; deleted: boolean }>;
      if (deleting) {
        // Already deleting (grace 0, or a shorter grace period given): hurry it.
        const shorter = current > 0 && grace !== undefined ? grace : undefined;
        if (shorter !== undefined) step = this.markDeleting(kv, old, shorter, ctx, fin);
        else if (!waitsOnFinalizers) step = this.removeNow(kv, old, ctx, name);
        else if (current > 0 || fin.changed) step = this.markDeleting(kv, old, 0, ctx, fin);
        else return { obj: old, deleted: false };
      } else if (grace !== undefined || waitsOnFinalizers) {
        step = this.markDeleting(kv, old, grace ?? 0, ctx, fin);
      } else {
        step = this.removeNow(kv, old, ctx, name);
      }
      const r = await step.catch((e: unknown) => e);
      if (r instanceof StoreError && r.code === 'Conflict') continue;
      if (r instanceof Error) throw mapStoreError(r, this.info, name);
      return r as { obj: Obj; deleted: boolean };
    }
    throw ApiError.conflict(q, name, 'the object has been modified; please apply your changes to the latest version and try again', this.info.group);
  }

  private async removeNow(kv: KV, old: Obj, ctx: RequestContext, _name: string): Promise<{ obj: Obj; deleted: boolean }> {
    if (ctx.dryRun) return { obj: old, deleted: true };
    const gone = await this.store.delete(kv.key, kv.modRevision);
    await this.strategy.afterDelete?.(old);
    return { obj: withResourceVersion(old, gone.modRevision), deleted: true };
  }

  private async markDeleting(kv: KV, old: Obj, grace: number, ctx: RequestContext, fin: { changed: boolean; finalizers: string[] }): Promise<{ obj: Obj; deleted: boolean }> {
    const obj = clone(old);
    const m = obj.metadata;
    if (fin.changed) {
      if (fin.finalizers.length) m.finalizers = fin.finalizers; else delete m.finalizers;
    }
    if (!m.deletionTimestamp || grace < Number(m.deletionGracePeriodSeconds ?? Infinity)) {
      m.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + grace * 1000));
    }
    m.deletionGracePeriodSeconds = grace;
    if (this.strategy.tracksGeneration && !old.metadata.deletionTimestamp) m.generation = (Number(m.generation) || 0) + 1;
    this.strategy.beginDelete?.(obj, ctx);
    if (ctx.dryRun) return { obj, deleted: false };
    const written = await this.store.update(kv.key, this.encode(obj, kv.key), kv.modRevision);
    return { obj: withResourceVersion(obj, written.modRevision), deleted: false };
  }

  // ---- shared checks --------------------------------------------------------

  /** apiVersion/kind/name/namespace of a body must agree with the URL; fills them in. */
  checkBody(body: Obj, ns: string, name: string | undefined): Obj {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw ApiError.badRequest('the body of the request was not a JSON object');
    const obj = body;
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw ApiError.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${this.apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== this.info.kind) {
      throw ApiError.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${this.info.kind})`);
    }
    // apiVersion and kind lead, as upstream serializes objects.
    const { apiVersion: _a, kind: _k, ...rest } = obj;
    const obj2: Obj = { apiVersion: this.apiVersion, kind: this.info.kind, ...rest };
    return this.checkMeta(obj2, ns, name);
  }

  private checkMeta(obj: Obj, ns: string, name: string | undefined): Obj {
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw ApiError.badRequest('metadata must be an object');
    const m = obj.metadata as Obj;
    // These ObjectMeta fields are `omitempty` maps and lists upstream: once the
    // last label or annotation is removed (`kubectl label x k-`), the field is gone.
    for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      const v: unknown = m[f];
      if (v === null || (typeof v === 'object' && Object.keys(v as object).length === 0)) delete m[f];
    }
    if (this.info.namespaced) {
      if (m.namespace && m.namespace !== ns) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = ns;
    } else if (m.namespace) {
      delete m.namespace;
    }
    if (name !== undefined) {
      if (m.name && m.name !== name) throw ApiError.badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${name})`);
      m.name = name;
    }
    return obj;
  }

  /** Type errors always fail; unknown fields fail (Strict), warn (Warn) or pass (Ignore). */
  private checkUnknownFields(obj: Obj, ctx: RequestContext, op: 'create' | 'update' | 'patch'): void {
    const r = validateFields(this.apiVersion, this.info.kind, obj, ctx.fieldValidation, op);
    if (r.error) throw ApiError.badRequest(r.error);
    ctx.warnings.push(...r.warnings);
    // Warn and Ignore still drop what the schema does not know, as Go decoding does.
    dropUnknownFields(this.apiVersion, this.info.kind, obj);
  }

  private throwIfInvalid(obj: Obj, errs: FieldError[]): void {
    if (errs.length) throw ApiError.invalid(this.info.kind, this.info.group, String(obj.metadata?.name ?? ''), errs);
  }

  private async checkNamespaceAcceptsObjects(ns: string, name: string): Promise<void> {
    const phase = await this.namespaces.namespacePhase(ns);
    if (phase === undefined) throw ApiError.notFound('namespaces', ns, '', 'namespaces');
    if (phase === 'Terminating') {
      throw new ApiError(403, 'Forbidden', `${qualifiedName(this.info)} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { kind: this.info.plural, group: this.info.group || undefined, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] });
    }
  }

  private recordManager(old: Obj | undefined, obj: Obj, ctx: RequestContext, subresource: string): void {
    if (!ctx.fieldManager) return;
    recordUpdate({ old, updated: obj, manager: ctx.fieldManager, now: ctx.now, subresource: subresource || undefined, schema: this.schema() });
  }
}

/** A patch that names metadata.resourceVersion makes that version a precondition. */
function patchPrecondition(type: PatchType, patch: unknown): string | undefined {
  if (type === 'json-patch') return undefined;
  const rv = (patch as Obj)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}
