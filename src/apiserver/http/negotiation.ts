// Content negotiation: which representation the client asked for (Accept) and
// how to read the body it sent (Content-Type).

import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ApiError } from '../../base/errors.ts';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufBody } from '../../api/protobuf/decode.ts';

export type OutputFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean }
  | { kind: 'discovery'; version: 'v2' | 'v2beta1' };

interface MediaRange { type: string; params: Record<string, string>; q: number }

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type, ...ps] = part.split(';').map((x) => x.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    return { type: (type ?? '').toLowerCase(), params, q: Number.isFinite(q) ? q : 1 };
  }).filter((m) => m.type !== '' && m.q > 0);
}

const JSONish = new Set(['application/json', '*/*', 'application/*', '']);

/**
 * Pick the response format. Clients list preferences in order (kubectl puts
 * Table first, plain JSON last); the first one we can serve wins. Protobuf is
 * not spoken: a client that also accepts JSON gets JSON.
 */
export function negotiateOutput(accept: string | undefined, opts: { allowTable: boolean; allowDiscovery: boolean; allowPartial: boolean }): OutputFormat {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { kind: 'json' };
  ranges.sort((a, b) => b.q - a.q); // stable: keeps client order within equal q
  for (const m of ranges) {
    const as = m.params.as;
    if (as) {
      if (m.type !== 'application/json' || !opts) continue;
      const g = m.params.g, v = m.params.v;
      if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1') && opts.allowTable) return { kind: 'table', version: v };
      if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1') && opts.allowPartial) {
        return { kind: 'partial', version: v, list: as === 'PartialObjectMetadataList' };
      }
      if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1') && opts.allowDiscovery) return { kind: 'discovery', version: v };
      continue;
    }
    if (JSONish.has(m.type)) return { kind: 'json' };
    if (m.type === 'application/yaml' || m.type === 'application/x-yaml' || m.type === 'text/yaml') return { kind: 'yaml' };
  }
  // Only protobuf or unknown types were offered.
  if (ranges.some((m) => m.type === 'application/vnd.kubernetes.protobuf' || m.type.startsWith('application/vnd.kubernetes.protobuf'))) {
    throw ApiError.notAcceptable('only the following media types are accepted: application/json, application/yaml');
  }
  throw ApiError.notAcceptable('only the following media types are accepted: application/json, application/yaml');
}

export type BodyType = 'json' | 'yaml' | 'protobuf' | 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch';

export function bodyTypeOf(contentType: string | undefined): BodyType | undefined {
  const t = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  switch (t) {
    case '': case 'application/json': return 'json';
    case 'application/yaml': case 'application/x-yaml': case 'text/yaml': return 'yaml';
    case PROTOBUF_CONTENT_TYPE: return 'protobuf';
    case 'application/json-patch+json': return 'json-patch';
    case 'application/merge-patch+json': return 'merge-patch';
    case 'application/strategic-merge-patch+json': return 'strategic-merge-patch';
    case 'application/apply-patch+yaml': return 'apply-patch';
    default: return undefined;
  }
}

/** Decode a JSON, YAML or Kubernetes protobuf body into a plain value. Errors read like upstream's decoder. */
export function decodeBody(raw: Buffer, type: BodyType): unknown {
  if (type === 'protobuf') return decodeProtobufBody(raw).object;
  const text = raw.toString('utf8');
  if (text.trim() === '') throw ApiError.badRequest('the body of the request was empty');
  if (type === 'yaml' || type === 'apply-patch') {
    try {
      const docs = parseAllDocuments(text);
      if (docs.length > 1) throw ApiError.badRequest('the body of the request contains more than one YAML document');
      const doc = docs[0];
      if (!doc) throw ApiError.badRequest('the body of the request was empty');
      if (doc.errors.length) throw ApiError.badRequest(`error converting YAML to JSON: ${doc.errors[0].message}`);
      return doc.toJSON() as unknown;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      // yaml is a superset of JSON; fall back for odd inputs.
      try { return parseYaml(text) as unknown; } catch { throw ApiError.badRequest(`error converting YAML to JSON: ${(e as Error).message}`); }
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}
