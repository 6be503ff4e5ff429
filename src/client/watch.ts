// The watch wire format: one JSON event per line on a chunked response. This
// turns such a byte stream into events; an ERROR event ends it by throwing the
// ApiError its Status describes (410 Expired: the caller must relist).

import { errorFromStatus } from './status.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** For BOOKMARK: only apiVersion, kind and metadata.resourceVersion are meaningful. */
  object: T;
}

/**
 * Events parsed from newline-delimited JSON chunks. Ends when the stream ends;
 * throws ApiError on an ERROR event, and whatever the stream throws otherwise.
 */
export async function* parseWatchStream<T>(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<WatchEvent<T>> {
  let buf = '';
  const decoder = new TextDecoder();
  const emit = (line: string): WatchEvent<T> | undefined => {
    if (!line.trim()) return undefined;
    const ev = JSON.parse(line) as { type?: string; object?: unknown };
    if (ev.type === 'ERROR') throw errorFromStatus(ev.object);
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') {
      throw new Error(`unexpected watch event type ${JSON.stringify(ev.type)}`);
    }
    return { type: ev.type, object: ev.object as T };
  };
  for await (const chunk of chunks) {
    // A multi-byte character may straddle chunks: decode in streaming mode.
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const ev = emit(line);
      if (ev) yield ev;
    }
  }
  buf += decoder.decode();
  const last = emit(buf);
  if (last) yield last;
}
