// Watch streams: newline-delimited JSON events on a chunked response, ending
// at timeoutSeconds (or 30-60 minutes), when the client goes away, or with an
// ERROR event carrying a Status (410 Expired for a compacted resourceVersion).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, isApiError } from '../../base/errors.ts';
import type { ResourceREST } from '../registry/rest.ts';
import { bookmarkObject, watchObjects, type Selection, type WatchEvent } from '../registry/list.ts';
import type { Obj } from '../registry/codec.ts';
import type { OutputFormat } from './negotiation.ts';
import { contentTypeOf } from './respond.ts';
import { boolParam, intParam } from './params.ts';
import { encodeOne } from './resources.ts';

const BOOKMARK_INTERVAL_MS = 60_000;

// Watch-cache events share their objects among watchers; so can the encoding.
const encoded = new WeakMap<Obj, Map<string, string>>();
function sharedLine(type: string, obj: Obj): string {
  let byType = encoded.get(obj);
  if (!byType) { byType = new Map(); encoded.set(obj, byType); }
  let line = byType.get(type);
  if (line === undefined) { line = `${JSON.stringify({ type, object: obj })}\n`; byType.set(type, line); }
  return line;
}

export async function serveWatch(req: IncomingMessage, res: ServerResponse, rest: ResourceREST, ns: string, sel: Selection,
  q: URLSearchParams, fmt: OutputFormat, now: () => Date): Promise<void> {
  if (fmt.kind === 'yaml') fmt = { kind: 'json' };
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const allowBookmarks = boolParam(q, 'allowWatchBookmarks') ?? false;
  const sendInitialEvents = boolParam(q, 'sendInitialEvents');
  const rv = q.get('resourceVersion') ?? '';
  if (sendInitialEvents !== undefined && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw ApiError.invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' }]);
  }

  const abort = new AbortController();
  const stop = (): void => abort.abort();
  req.on('close', stop);
  res.on('close', stop);
  const ms = timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  const timer = setTimeout(stop, ms);

  let lastRV = rv && rv !== '0' ? rv : '';
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'Content-Type': contentTypeOf(fmt), 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  const write = async (ev: { type: string; object: unknown }, line?: string): Promise<void> => {
    start();
    if (!res.write(line ?? `${JSON.stringify(ev)}\n`)) {
      // Wait for the client to read, or to go away; drop both listeners either way.
      await new Promise<void>((resolve) => {
        const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  };
  const encode = (ev: WatchEvent): Obj => {
    if (ev.type === 'BOOKMARK') return ev.object;
    return encodeOne(rest.info, ev.object, fmt, q, now());
  };

  const bookmarks = allowBookmarks ? setInterval(() => {
    if (lastRV) void write({ type: 'BOOKMARK', object: bookmarkObject(rest, lastRV) }).catch(() => stop());
  }, BOOKMARK_INTERVAL_MS) : undefined;
  bookmarks?.unref();

  try {
    const events = watchObjects(rest, ns, { ...sel, resourceVersion: rv, sendInitialEvents, allowWatchBookmarks: allowBookmarks }, abort.signal);
    start();
    for await (const ev of events) {
      if (abort.signal.aborted) break;
      lastRV = String(ev.object.metadata?.resourceVersion ?? lastRV);
      // Plain JSON events are the same bytes for every watcher: encode once.
      if (fmt.kind === 'json' && ev.type !== 'BOOKMARK') await write(ev, sharedLine(ev.type, ev.object));
      else await write({ type: ev.type, object: encode(ev) });
    }
  } catch (e) {
    if (abort.signal.aborted) return;
    const err = isApiError(e) ? e : ApiError.internal(e instanceof Error ? e.message : String(e));
    // Errors before any event still go out as a stream: clients expect a watch response.
    await write({ type: 'ERROR', object: err.toStatus() }).catch(() => undefined);
  } finally {
    clearTimeout(timer);
    if (bookmarks) clearInterval(bookmarks);
    req.off('close', stop);
    res.off('close', stop);
    if (!res.writableEnded) res.end();
  }
}
