// Recording core/v1 Events the way client-go's record package does, so
// `kubectl describe` and `kubectl get events` read like upstream:
//  - one Event per (object, type, reason, message) within the aggregation window;
//    repeats PATCH its count and lastTimestamp instead of creating another;
//  - names `<object-name>.<hex nanoseconds>`, in the object's namespace
//    ("default" for cluster-scoped objects);
//  - writes happen in the background, in order; failures are logged, never thrown
//    at the controller that recorded the event.

import { format } from 'node:util';
import type { Event as CoreEvent, ObjectReference } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../base/clock.ts';
import { defaultLogger, type ClientLogger } from './log.ts';
import type { KubeObject } from './resource.ts';
import type { RestClient } from './rest.ts';
import { isNotFound } from './status.ts';

export type EventType = 'Normal' | 'Warning';

/** Where Events go: the API server, or a fake in tests. */
export interface EventSink {
  create(namespace: string, event: CoreEvent): Promise<unknown>;
  /** Strategic merge patch of an existing Event; must reject with a 404 ApiError when it is gone. */
  patch(namespace: string, name: string, patch: Partial<CoreEvent>): Promise<unknown>;
}

export interface EventRecorderOptions {
  /** source.component, e.g. "deployment-controller". */
  component: string;
  /** source.host, e.g. the node name for the kubelet. */
  host?: string;
  /** Repeats further apart than this start a new Event. Default 10 min (upstream's aggregation window). */
  windowMs?: number;
  /** Distinct events remembered for aggregation (least recently seen forgotten first). Default 4096. */
  maxCached?: number;
  /** Writes waiting beyond this many are dropped (an overloaded API server must not grow memory). Default 1000. */
  maxPending?: number;
  clock?: Clock;
  logger?: ClientLogger;
}

interface Seen { namespace: string; name: string; count: number; firstTimestamp: string; lastSeen: number }

export function restEventSink(client: RestClient): EventSink {
  const events = client.resource<CoreEvent>('v1', 'Event');
  return {
    create: (ns, ev) => events.namespace(ns).create(ev),
    patch: (ns, name, patch) => events.namespace(ns).patch(name, 'strategic', patch),
  };
}

export class EventRecorder {
  private readonly sink: EventSink;
  private readonly clock: Clock;
  private readonly logger: ClientLogger;
  private readonly seen = new Map<string, Seen>();
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private seq = 0;

  constructor(target: RestClient | EventSink, private readonly opts: EventRecorderOptions) {
    this.sink = 'create' in target ? target : restEventSink(target);
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? defaultLogger();
  }

  /**
   * Records that `reason` happened to `obj` (an object with kind and metadata, or
   * a reference). Returns at once; the write happens in the background.
   */
  event(obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref = referenceOf(obj);
    if (!ref) {
      this.logger.warn({ reason, message }, 'cannot record event: object has no kind or name');
      return;
    }
    const now = this.clock.now();
    const ts = rfc3339(now);
    const namespace = ref.namespace || 'default';
    const key = JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message]);
    const prior = this.seen.get(key);
    if (prior && now - prior.lastSeen <= (this.opts.windowMs ?? 600_000)) {
      prior.count++;
      prior.lastSeen = now;
      this.touch(key, prior);
      const count = prior.count;
      const full = this.build(ref, namespace, prior.name, type, reason, message, prior.firstTimestamp, ts, count);
      this.enqueue(async () => {
        try {
          await this.sink.patch(namespace, prior.name, { count, lastTimestamp: ts, message });
        } catch (e) {
          // Deleted meanwhile (events expire after an hour): create it afresh.
          if (!isNotFound(e)) throw e;
          await this.sink.create(namespace, full);
        }
      });
      return;
    }
    const name = `${ref.name}.${this.suffix(now)}`;
    this.touch(key, { namespace, name, count: 1, firstTimestamp: ts, lastSeen: now });
    const ev = this.build(ref, namespace, name, type, reason, message, ts, ts, 1);
    this.enqueue(() => this.sink.create(namespace, ev));
  }

  /** event() with a printf-style message (`%s`, `%d`, `%v`-like `%o`). */
  eventf(obj: KubeObject | ObjectReference, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, format(fmt, ...args));
  }

  /** Resolves when every write recorded so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.chain;
      await last;
    } while (last !== this.chain);
  }

  private build(ref: ObjectReference, namespace: string, name: string, type: EventType, reason: string, message: string,
    first: string, last: string, count: number): CoreEvent {
    return {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref, reason, message, type, count,
      firstTimestamp: first, lastTimestamp: last,
      source: this.opts.host ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
  }

  /** Map order is insertion order: re-inserting keeps the most recently seen last, so eviction is LRU. */
  private touch(key: string, entry: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, entry);
    const max = this.opts.maxCached ?? 4096;
    while (this.seen.size > max) this.seen.delete(this.seen.keys().next().value!);
  }

  private enqueue(write: () => Promise<unknown>): void {
    if (this.pending >= (this.opts.maxPending ?? 1000)) {
      this.logger.warn({ component: this.opts.component }, 'too many events waiting to be written; dropping one');
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(write)
      .then(() => undefined, (err: unknown) => { this.logger.warn({ err, component: this.opts.component }, 'event write failed (dropped)'); })
      .finally(() => { this.pending--; });
  }

  /** Upstream's `%x` of UnixNano; a per-recorder sequence keeps two events in one millisecond apart. */
  private suffix(nowMs: number): string {
    return (BigInt(nowMs) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
  }
}

/** A reference to `obj` for involvedObject; undefined when it lacks kind or name. */
export function referenceOf(obj: KubeObject | ObjectReference): ObjectReference | undefined {
  if ('metadata' in obj && obj.metadata) {
    const o = obj as KubeObject;
    if (!o.kind || !o.metadata?.name) return undefined;
    const ref: ObjectReference = { kind: o.kind, name: o.metadata.name };
    if (o.apiVersion) ref.apiVersion = o.apiVersion;
    if (o.metadata.namespace) ref.namespace = o.metadata.namespace;
    if (o.metadata.uid) ref.uid = o.metadata.uid;
    if (o.metadata.resourceVersion) ref.resourceVersion = o.metadata.resourceVersion;
    return ref;
  }
  const r = obj as ObjectReference;
  return r.kind && r.name ? { ...r } : undefined;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
