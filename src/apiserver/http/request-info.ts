// Parses a request path into what it asks for, the way upstream's
// RequestInfoFactory does: /api/v1/namespaces/ns/pods/name/status →
// {group:'', version:'v1', namespace:'ns', resource:'pods', name:'name', subresource:'status'}.

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: RequestVerb | string;
  apiPrefix?: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after /api or /apis (for discovery requests). */
  parts: string[];
}

export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const info: RequestInfo = { isResourceRequest: false, path: pathname, verb: method.toLowerCase(), group: '', version: '', namespace: '', resource: '', subresource: '', name: '', parts: [] };
  if (segs[0] !== 'api' && segs[0] !== 'apis') return info;
  info.apiPrefix = segs[0];
  let rest = segs.slice(1);
  info.parts = rest;
  if (info.apiPrefix === 'api') {
    if (rest.length < 1) return info;
    info.version = rest[0];
    rest = rest.slice(1);
  } else {
    if (rest.length < 2) return info;
    info.group = rest[0];
    info.version = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0) return info;
  info.isResourceRequest = true;

  let legacyWatch = false;
  if (rest[0] === 'watch') { legacyWatch = true; rest = rest.slice(1); }

  // /namespaces/{ns}/{resource}/… is a namespaced resource; /namespaces,
  // /namespaces/{name} and /namespaces/{name}/{status|finalize} are the
  // namespace resource itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  info.resource = rest[0];
  info.name = rest[1] ?? '';
  info.subresource = rest.slice(2).join('/');

  const m = info.verb;
  const watchParam = query.get('watch');
  const isWatch = legacyWatch || watchParam === 'true' || watchParam === '1';
  switch (m) {
    case 'get': case 'head':
      // Watching one object (legacy /watch/…/name) is a watch with a name filter.
      info.verb = isWatch ? 'watch' : info.name ? 'get' : 'list';
      // A list or watch of one object by field selector names it, so resourceNames
      // rules and the Node authorizer can judge it (upstream RequestInfoFactory).
      if (!info.name) info.name = nameFromFieldSelector(query.get('fieldSelector'));
      break;
    case 'post': info.verb = 'create'; break;
    case 'put': info.verb = 'update'; break;
    case 'patch': info.verb = 'patch'; break;
    case 'delete': info.verb = info.name ? 'delete' : 'deletecollection'; break;
    default: break;
  }
  return info;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** X of a field selector requiring metadata.name=X (or ==X); '' otherwise. */
function nameFromFieldSelector(sel: string | null): string {
  for (const term of (sel ?? '').split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*([^\s\\]*)\s*$/.exec(term);
    if (m && m[1] && m[1] !== '.' && m[1] !== '..' && !m[1].includes('/') && !m[1].includes('%')) return m[1];
  }
  return '';
}
