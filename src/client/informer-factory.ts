// One informer per resource for a whole process: the controllers that all
// watch pods share one list, one watch and one cache of pods.

import type { Clock } from '../base/clock.ts';
import { ResourceInformer, type Informer, type InformerOptions } from './informer.ts';
import type { ClientLogger } from './log.ts';
import type { KubeObject } from './resource.ts';
import type { RestClient } from './rest.ts';

export interface SharedInformerFactoryOptions {
  /** Watch only this namespace (default: all). */
  namespace?: string;
  /** Default resync for every informer (0 = never). */
  resyncMs?: number;
  clock?: Clock;
  logger?: ClientLogger;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, ResourceInformer<KubeObject>>();
  private signal?: AbortSignal;

  constructor(private readonly client: RestClient, private readonly opts: SharedInformerFactoryOptions = {}) {}

  /**
   * The informer of apiVersion/kind, made on first request. Options apply only
   * when this call makes it. Informers requested after start() start at once.
   */
  informerFor<T extends KubeObject>(apiVersion: string, kind: string, opts: Omit<InformerOptions, 'clock' | 'logger'> = {}): Informer<T> {
    const key = `${apiVersion}/${kind}`;
    let inf = this.informers.get(key);
    if (!inf) {
      let rc = this.client.resource(apiVersion, kind);
      if (this.opts.namespace && rc.info.namespaced) rc = rc.namespace(this.opts.namespace);
      inf = new ResourceInformer<KubeObject>(rc, {
        resyncMs: this.opts.resyncMs, clock: this.opts.clock, logger: this.opts.logger, name: rc.info.plural, ...opts,
      });
      this.informers.set(key, inf);
      if (this.signal) inf.start(this.signal);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer made so far, and any made later, until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) inf.start(signal);
  }

  /** Resolves when every informer made so far has synced; rejects if `signal` aborts first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  /** Stops every informer and waits for their loops to exit. */
  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
