// Writing responses: objects in the negotiated format, errors as Status.

import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { ApiError } from '../../base/errors.ts';
import type { OutputFormat } from './negotiation.ts';

type Obj = Record<string, any>;  

export function contentTypeOf(fmt: OutputFormat): string {
  switch (fmt.kind) {
    case 'yaml': return 'application/yaml';
    case 'table': return `application/json;as=Table;v=${fmt.version};g=meta.k8s.io`;
    case 'partial': return `application/json;as=${fmt.list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=${fmt.version};g=meta.k8s.io`;
    case 'discovery': return `application/json;g=apidiscovery.k8s.io;v=${fmt.version};as=APIGroupDiscoveryList`;
    default: return 'application/json';
  }
}

export function serialize(obj: unknown, fmt: OutputFormat, pretty = false): string {
  if (fmt.kind === 'yaml') return toYaml(obj, { lineWidth: 0 });
  return pretty ? `${JSON.stringify(obj, null, 2)}\n` : `${JSON.stringify(obj)}\n`;
}

export function writeObject(res: ServerResponse, code: number, obj: unknown, fmt: OutputFormat, opts: { pretty?: boolean; headers?: Record<string, string>; warnings?: string[] } = {}): void {
  if (res.headersSent) { res.end(); return; }
  const body = serialize(obj, fmt, opts.pretty);
  const headers: Record<string, string | string[]> = { 'Content-Type': contentTypeOf(fmt), 'Cache-Control': 'no-cache, private', ...(opts.headers ?? {}) };
  if (opts.warnings?.length) headers.Warning = opts.warnings.map(warningHeader);
  res.writeHead(code, headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

export function writeError(res: ServerResponse, err: ApiError, fmt?: OutputFormat): void {
  const f: OutputFormat = fmt && (fmt.kind === 'json' || fmt.kind === 'yaml') ? fmt : { kind: 'json' };
  writeObject(res, err.code, err.toStatus(), f, { headers: err.headers });
}

export function writeText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function successStatus(details: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
