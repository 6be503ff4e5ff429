// The token cleaner (upstream pkg/controller/bootstrap/tokencleaner): deletes
// bootstrap token Secrets (type bootstrap.kubernetes.io/token in kube-system)
// once their `expiration` has passed, so an expired token is gone, not just
// refused. A token not yet expired is looked at again when it expires.

import type { Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isNotFound, ResourceInformer, WorkQueue, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const TOKEN_NAMESPACE = 'kube-system';

export interface TokenCleanerApi {
  deleteSecret(namespace: string, name: string, uid: string): Promise<void>;
}

export function restTokenCleanerApi(client: RestClient): TokenCleanerApi {
  const secrets = client.resource<Secret>('v1', 'Secret');
  return { deleteSecret: async (ns, name, uid) => { await secrets.namespace(ns).delete(name, { preconditions: { uid } }); } };
}

/** ms since the epoch; undefined = never expires; NaN = unreadable (treated as expired, as upstream). */
export function expirationOf(s: Secret): number | undefined {
  const v = s.data?.expiration;
  if (v === undefined) return undefined;
  const text = Buffer.from(v, 'base64').toString('utf8');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return NaN;
  return Date.parse(text);
}

export class TokenCleaner {
  constructor(private readonly d: {
    secrets: Lister<Secret>; api: TokenCleanerApi; clock: Clock; logger: Logger;
    queue: Pick<WorkQueue<string>, 'add' | 'addAfter'>;
  }) {}

  handler(): ResourceEventHandler<Secret> {
    const maybe = (s: Secret): void => {
      if (s.type === BOOTSTRAP_TOKEN_SECRET_TYPE && s.metadata?.namespace === TOKEN_NAMESPACE) this.d.queue.add(s.metadata.name!);
    };
    return { add: maybe, update: (_o, s) => maybe(s) };
  }

  async sync(name: string): Promise<void> {
    const s = this.d.secrets.get(TOKEN_NAMESPACE, name);
    if (!s || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || s.metadata?.deletionTimestamp) return;
    const exp = expirationOf(s);
    if (exp === undefined) return;
    const now = this.d.clock.now();
    if (!Number.isNaN(exp) && exp > now) {
      this.d.queue.addAfter(name, exp - now);
      return;
    }
    this.d.logger.info({ secret: `${TOKEN_NAMESPACE}/${name}` }, 'deleting expired bootstrap token secret');
    try {
      await this.d.api.deleteSecret(TOKEN_NAMESPACE, name, s.metadata!.uid!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The controller the manager runs as "tokencleaner"; it watches only kube-system's bootstrap token Secrets. */
export function tokenCleanerController(): Controller {
  return {
    name: 'tokencleaner',
    async run(ctx: ControllerContext): Promise<void> {
      // Its own informer, narrowed by namespace and type: the shared Secret informer would cache every Secret.
      const inf = new ResourceInformer<Secret>(ctx.client.resource<Secret>('v1', 'Secret').namespace(TOKEN_NAMESPACE), {
        fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}`, clock: ctx.clock, logger: ctx.logger, name: 'bootstrap-token-secrets',
      });
      const queue = new WorkQueue<string>({ name: 'token_cleaner', clock: ctx.clock });
      const c = new TokenCleaner({ secrets: inf.lister(), api: restTokenCleanerApi(ctx.client), clock: ctx.clock, logger: ctx.logger, queue });
      const handle = inf.on(c.handler());
      inf.start(ctx.signal);
      try {
        if (!(await waitForSync(ctx.signal, inf))) return;
        await runWorkers(queue, (k) => c.sync(k), { signal: ctx.signal, logger: ctx.logger });
      } finally {
        handle.dispose();
        await inf.stop();
      }
    },
  };
}
