// The generic API of one resource (client-go's dynamic client): paths come from
// the resource registry, so every served kind — namespaced or cluster-scoped —
// gets the same get/list/create/update/patch/delete/watch.

import type { ListMeta, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { apiVersionOf, type ResourceInfo } from '../api/resources.ts';
import type { Status } from '../base/errors.ts';
import type { Query, RestClient } from './rest.ts';
import type { WatchEvent } from './watch.ts';

/** Anything with Kubernetes object metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this version; '' or '0' starts with the current objects as ADDED. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the stream after this long (it otherwise picks 30–60 min). */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  resourceVersionMatch?: 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

/** json = RFC 6902, merge = RFC 7396, strategic = Kubernetes strategic merge, apply = server-side apply. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** e.g. 'status' or 'scale'. */
  subresource?: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** What an informer needs of a resource: satisfied by ResourceClient (scoped or not). */
export interface ListWatch<T> {
  /** One page of the list. */
  list(opts: ListOptions): Promise<ObjectList<T>>;
  /** Ends quietly when the server ends the stream or opts.signal aborts; throws ApiError (410: relist). */
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export class ResourceClient<T extends KubeObject = KubeObject> implements ListWatch<T> {
  readonly apiVersion: string;

  /** `ns` scopes every call to one namespace; without it, list/watch span all namespaces. */
  constructor(private readonly rest: RestClient, readonly info: ResourceInfo, readonly ns?: string) {
    this.apiVersion = apiVersionOf(info);
  }

  /** The same resource in one namespace. */
  namespace(ns: string): ResourceClient<T> {
    return new ResourceClient<T>(this.rest, this.info, ns);
  }

  /** `/api/v1/namespaces/<ns>/pods/<name>/<sub>`; ns only for namespaced resources. */
  path(ns: string | undefined, name?: string, subresource?: string): string {
    const base = this.info.group ? `/apis/${this.info.group}/${this.info.version}` : `/api/${this.info.version}`;
    let p = base;
    if (this.info.namespaced && ns) p += `/namespaces/${encodeURIComponent(ns)}`;
    p += `/${this.info.plural}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  get(name: string, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.rest.request<T>('GET', this.path(this.requireNs(), name), { query: { resourceVersion: opts.resourceVersion }, signal: opts.signal });
  }

  /** One page; items get apiVersion/kind filled in (the server leaves them out of lists). */
  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { signal, ...q } = opts;
    const list = await this.rest.request<ObjectList<T>>('GET', this.path(this.ns), { query: q as Query, signal });
    list.items ??= [];
    list.metadata ??= {};
    for (const item of list.items) {
      item.apiVersion ??= this.apiVersion;
      item.kind ??= this.info.kind;
    }
    return list;
  }

  /** Every page, followed with `continue`; the result carries the first page's resourceVersion. */
  async listAll(opts: Omit<ListOptions, 'continue'> = {}): Promise<ObjectList<T>> {
    const first = await this.list(opts);
    const items = first.items;
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list({ ...opts, continue: cont, resourceVersion: undefined, resourceVersionMatch: undefined });
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  /** Creates in the scoped namespace, else the object's own. */
  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.rest.request<T>('POST', this.path(this.nsOf(obj)), { body: this.typed(obj), query: writeQuery(opts), signal: opts.signal });
  }

  /** Replaces the object (PUT); metadata.resourceVersion makes it compare-and-swap (409 Conflict when stale). */
  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.rest.request<T>('PUT', this.path(this.nsOf(obj), nameOf(obj)), { body: this.typed(obj), query: writeQuery(opts), signal: opts.signal });
  }

  /** Replaces only the status (the status subresource); spec changes in `obj` are ignored by the server. */
  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.rest.request<T>('PUT', this.path(this.nsOf(obj), nameOf(obj), 'status'), { body: this.typed(obj), query: writeQuery(opts), signal: opts.signal });
  }

  /** `apply` needs opts.fieldManager. */
  patch(name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const query: Query = { ...writeQuery(opts), force: opts.force };
    return this.rest.request<T>('PATCH', this.path(this.requireNs(), name, opts.subresource), {
      body: patch, contentType: PATCH_CONTENT_TYPES[type], query, signal: opts.signal,
    });
  }

  /** The deleted object (or, for some deletions, a Success Status); 404 when absent. */
  delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const { signal, dryRun, ...rest } = opts;
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) };
    return this.rest.request<T | Status>('DELETE', this.path(this.requireNs(), name), { body, signal });
  }

  /** Events; see ListWatch.watch. */
  watch(opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const { signal, ...q } = opts;
    return this.rest.watch<T>(this.path(this.ns), q as Query, signal);
  }

  /** GET of a subresource, e.g. scale. */
  getSubresource<R = unknown>(name: string, subresource: string, opts: { query?: Query; signal?: AbortSignal } = {}): Promise<R> {
    return this.rest.request<R>('GET', this.path(this.requireNs(), name, subresource), opts);
  }

  /** POST to a subresource, e.g. pods/binding or pods/eviction. */
  createSubresource<R = unknown>(name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.rest.request<R>('POST', this.path(this.requireNs(), name, subresource), { body, query: writeQuery(opts), signal: opts.signal });
  }

  /** PUT of a subresource, e.g. scale or namespaces/finalize. */
  updateSubresource<R = unknown>(name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.rest.request<R>('PUT', this.path(this.requireNs(), name, subresource), { body, query: writeQuery(opts), signal: opts.signal });
  }

  private requireNs(): string | undefined {
    if (this.info.namespaced && !this.ns) throw new Error(`${this.info.plural} are namespaced: use .namespace(ns) first`);
    return this.ns;
  }

  private nsOf(obj: T): string | undefined {
    if (!this.info.namespaced) return undefined;
    const ns = this.ns ?? obj.metadata?.namespace;
    if (!ns) throw new Error(`${this.info.plural} are namespaced: set metadata.namespace or use .namespace(ns)`);
    return ns;
  }

  private typed(obj: T): T {
    return { ...obj, apiVersion: obj.apiVersion ?? this.apiVersion, kind: obj.kind ?? this.info.kind };
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('metadata.name is required');
  return name;
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}
