// Field selectors (`?fieldSelector=`): which fields each resource exposes, the
// `a=b,c!=d` syntax with backslash escapes, and upstream's two-step check —
// first each label is accepted (and possibly renamed) per kind, then objects
// are matched against the kind's selectable field set.
//
// The two lists differ upstream and we keep both: e.g. pods accept
// `status.podIPs` but never expose it (it only ever matches ""), and
// events.k8s.io accepts `regarding.name`, which it renames to the canonical
// `involvedObject.name`. Keys returned by fieldsOf are the canonical names.

import { ApiError } from '../../base/errors.ts';
import type { ResourceInfo } from '../resources.ts';

export interface FieldRequirement {
  /** Canonical field label (after per-kind renaming). */
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldMatcher {
  matches(obj: any): boolean;
  /** True when the selector places no restriction. */
  empty: boolean;
  /** Exact-match requirements, e.g. {'metadata.name': 'x'}, for fast paths (first one per field). */
  exact: Record<string, string>;
  readonly requirements: readonly FieldRequirement[];
  toString(): string;
}

// ---------------------------------------------------------------------------
// Selectable fields per resource

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const int = (v: unknown): string => String(typeof v === 'number' ? Math.trunc(v) : 0);
const bool = (v: unknown): string => (v === true ? 'true' : 'false');

type FieldsFn = (obj: any) => Record<string, string>;

const pods: FieldsFn = (o) => ({
  'spec.nodeName': str(o.spec?.nodeName),
  'spec.restartPolicy': str(o.spec?.restartPolicy),
  'spec.schedulerName': str(o.spec?.schedulerName),
  'spec.serviceAccountName': str(o.spec?.serviceAccountName),
  'spec.hostNetwork': bool(o.spec?.hostNetwork),
  'status.phase': str(o.status?.phase),
  'status.podIP': str(o.status?.podIPs?.[0]?.ip ?? o.status?.podIP),
  'status.nominatedNodeName': str(o.status?.nominatedNodeName),
});

const coreEvents: FieldsFn = (o) => ({
  'involvedObject.kind': str(o.involvedObject?.kind),
  'involvedObject.namespace': str(o.involvedObject?.namespace),
  'involvedObject.name': str(o.involvedObject?.name),
  'involvedObject.uid': str(o.involvedObject?.uid),
  'involvedObject.apiVersion': str(o.involvedObject?.apiVersion),
  'involvedObject.resourceVersion': str(o.involvedObject?.resourceVersion),
  'involvedObject.fieldPath': str(o.involvedObject?.fieldPath),
  'reason': str(o.reason),
  'reportingComponent': str(o.reportingComponent),
  'source': str(o.source?.component || o.reportingComponent),
  'type': str(o.type),
});

// events.k8s.io/v1 shares storage with core events: same canonical labels, read
// from the v1 field names.
const newEvents: FieldsFn = (o) => ({
  'involvedObject.kind': str(o.regarding?.kind),
  'involvedObject.namespace': str(o.regarding?.namespace),
  'involvedObject.name': str(o.regarding?.name),
  'involvedObject.uid': str(o.regarding?.uid),
  'involvedObject.apiVersion': str(o.regarding?.apiVersion),
  'involvedObject.resourceVersion': str(o.regarding?.resourceVersion),
  'involvedObject.fieldPath': str(o.regarding?.fieldPath),
  'reason': str(o.reason),
  'reportingComponent': str(o.reportingController),
  'source': str(o.deprecatedSource?.component || o.reportingController),
  'type': str(o.type),
});

interface KindFields {
  /** Selectable fields beyond metadata.name/metadata.namespace. */
  fields?: FieldsFn;
  /** Labels the kind accepts, mapped to their canonical name. Absent: only metadata.name/namespace. */
  accepts?: Record<string, string>;
  /** Message for a label the kind does not accept. */
  reject?: (label: string) => string;
}

const same = (...labels: string[]): Record<string, string> => Object.fromEntries(labels.map((l) => [l, l]));
const notSupported = (label: string): string => `field label not supported: ${label}`;

const KINDS: Record<string, KindFields> = {
  '/Pod': {
    fields: pods,
    accepts: {
      ...same('metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName',
        'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'),
      'spec.host': 'spec.nodeName', // legacy spelling from old clients
    },
    reject: notSupported,
  },
  '/Node': {
    fields: (o) => ({ 'spec.unschedulable': bool(o.spec?.unschedulable) }),
    accepts: same('metadata.name', 'spec.unschedulable'),
    reject: notSupported,
  },
  '/ReplicationController': {
    fields: (o) => ({ 'status.replicas': int(o.status?.replicas) }),
    accepts: same('metadata.name', 'metadata.namespace', 'status.replicas'),
    reject: notSupported,
  },
  '/Event': {
    fields: coreEvents,
    accepts: same('involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
      'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
      'reportingComponent', 'source', 'type', 'metadata.namespace', 'metadata.name'),
    reject: notSupported,
  },
  'events.k8s.io/Event': {
    fields: newEvents,
    accepts: {
      'reason': 'reason',
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      'reportingController': 'reportingComponent',
      'source': 'source',
      'type': 'type',
      'metadata.namespace': 'metadata.namespace',
      'metadata.name': 'metadata.name',
    },
    reject: notSupported,
  },
  '/Namespace': {
    fields: (o) => ({ 'status.phase': str(o.status?.phase) }),
    accepts: same('status.phase', 'metadata.name'),
    reject: notSupported,
  },
  '/Secret': {
    fields: (o) => ({ type: str(o.type) }),
    accepts: same('type', 'metadata.namespace', 'metadata.name'),
    reject: notSupported,
  },
  '/Service': {
    fields: (o) => ({ 'spec.clusterIP': str(o.spec?.clusterIP), 'spec.type': str(o.spec?.type) }),
    accepts: same('metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'),
    reject: notSupported,
  },
  'certificates.k8s.io/CertificateSigningRequest': {
    fields: (o) => ({ 'spec.signerName': str(o.spec?.signerName) }),
    accepts: same('metadata.name', 'spec.signerName'),
    reject: notSupported,
  },
  'batch/Job': {
    fields: (o) => ({ 'status.successful': int(o.status?.succeeded) }),
    accepts: same('metadata.name', 'metadata.namespace', 'status.successful'),
    reject: (label) => `field label ${JSON.stringify(label)} not supported for Job`,
  },
};

/** Kinds without their own rules accept only the metadata fields. */
const DEFAULT_KIND: Required<Pick<KindFields, 'accepts' | 'reject'>> = {
  accepts: same('metadata.name', 'metadata.namespace'),
  reject: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

function kindOf(res: ResourceInfo): KindFields {
  return KINDS[`${res.group}/${res.kind}`] ?? {};
}

/**
 * The fields a selector can test on `obj`, keyed by canonical label:
 * metadata.name always, metadata.namespace for namespaced resources, plus the
 * resource's own (e.g. pods' spec.nodeName, status.phase).
 */
export function fieldsOf(res: ResourceInfo, obj: any): Record<string, string> {
  const meta: Record<string, string> = { 'metadata.name': str(obj?.metadata?.name) };
  if (res.namespaced) meta['metadata.namespace'] = str(obj?.metadata?.namespace);
  const own = kindOf(res).fields;
  return own ? { ...own(obj ?? {}), ...meta } : meta;
}

// ---------------------------------------------------------------------------
// Parsing

/** Splits on commas not escaped by a backslash (the backslash stays in the term). */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') { terms.push(s.slice(start, i)); start = i + 1; }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator in the term splits it; no escapes on the left-hand side. */
function splitTerm(term: string): { lhs: string; op: '!=' | '==' | '='; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** Undoes `\\`, `\,` and `\=`; bare `,` or `=` and other escapes are errors. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw ApiError.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      // Upstream prints the rune as its code point.
      throw ApiError.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw ApiError.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Escapes a value for use in a field selector string. */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses `?fieldSelector=` for a resource. Supports `=`, `==`, `!=`, commas
 * for AND and backslash escapes in values. Throws ApiError 400 with upstream's
 * message for bad syntax or a field the resource does not support, e.g.
 * `field label not supported: spec.foo` for pods, or
 * `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 */
export function parseFieldSelector(res: ResourceInfo, s: string): FieldMatcher {
  const terms = splitTerms(s).sort();
  const parsed: { field: string; operator: '=' | '!='; value: string }[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw ApiError.badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    parsed.push({ field: parts.lhs, operator: parts.op === '!=' ? '!=' : '=', value: unescapeValue(parts.rhs) });
  }

  const kind = kindOf(res);
  const accepts = kind.accepts ?? DEFAULT_KIND.accepts;
  const reject = kind.accepts ? (kind.reject ?? notSupported) : DEFAULT_KIND.reject;
  const reqs: FieldRequirement[] = parsed.map((r) => {
    const field = Object.prototype.hasOwnProperty.call(accepts, r.field) ? accepts[r.field] : undefined;
    if (field === undefined) throw ApiError.badRequest(reject(r.field));
    return { ...r, field };
  });

  const exact: Record<string, string> = {};
  for (const r of reqs) if (r.operator === '=' && !Object.prototype.hasOwnProperty.call(exact, r.field)) exact[r.field] = r.value;

  return {
    requirements: reqs,
    empty: reqs.length === 0,
    exact,
    matches: (obj) => {
      if (reqs.length === 0) return true;
      const f = fieldsOf(res, obj);
      // A field the kind never exposes reads as "", as upstream's fields.Set does.
      return reqs.every((r) => ((f[r.field] ?? '') === r.value) === (r.operator === '='));
    },
    toString: () => reqs.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(','),
  };
}
