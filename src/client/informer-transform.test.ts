// The informer's transform option (client-go's SetTransform): listed and
// watched objects are cached and handed out in their transformed form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { ResourceInformer } from './informer.ts';
import type { ListWatch, ObjectList, WatchOptions } from './resource.ts';
import type { WatchEvent } from './watch.ts';

const cm = (name: string, rv: string, big = 'x'.repeat(1000)): ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, data: { big, keep: name } });

test('transform applies to listed and watched objects, before caching and handlers', async () => {
  let pushWatch!: (ev: WatchEvent<ConfigMap>) => void;
  const events: WatchEvent<ConfigMap>[] = [];
  let wake: (() => void) | undefined;
  const lw: ListWatch<ConfigMap> = {
    list: async (): Promise<ObjectList<ConfigMap>> => ({ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] }),
    watch: (opts: WatchOptions) => ({
      async *[Symbol.asyncIterator]() {
        pushWatch = (ev) => { events.push(ev); wake?.(); };
        while (!opts.signal?.aborted) {
          const ev = events.shift();
          if (ev) { yield ev; continue; }
          await new Promise<void>((r) => { wake = r; opts.signal?.addEventListener('abort', () => r(), { once: true }); });
        }
      },
    }),
  };
  const seen: ConfigMap[] = [];
  const informer = new ResourceInformer<ConfigMap>(lw, {
    transform: (o) => ({ metadata: o.metadata, data: { keep: o.data?.keep ?? '' } }),
    logger: { debug: () => undefined, warn: () => undefined },
  });
  informer.on({ add: (o) => seen.push(o), update: (_old, o) => seen.push(o) });
  informer.start();
  await informer.waitForSync();
  while (!pushWatch) await new Promise((r) => setImmediate(r));
  pushWatch({ type: 'ADDED', object: cm('b', '11') });
  pushWatch({ type: 'MODIFIED', object: cm('a', '12') });
  while (seen.length < 3) await new Promise((r) => setImmediate(r));
  await informer.stop();
  assert.deepEqual(seen.map((o) => o.data), [{ keep: 'a' }, { keep: 'b' }, { keep: 'a' }]);
  assert.deepEqual(informer.lister().get('ns', 'a')?.data, { keep: 'a' });
  assert.equal(informer.lister().get('ns', 'b')?.metadata?.resourceVersion, '11');
  assert.ok(Object.isFrozen(informer.lister().get('ns', 'b')), 'transformed objects are still frozen by default');
  assert.equal(informer.lastSyncResourceVersion(), '12');
});
