// Authorization for the API server: RBAC over the live Roles and bindings
// (plus node identities and system:masters), the default policy reconciled at
// every start, and escalation checks on writes of RBAC objects.
// `--authorization-mode AlwaysAllow` turns it off (every authenticated user may do anything).

import type { Logger } from 'pino';
import type { Registry } from '../apiserver/registry/registry.ts';
import { alwaysAllow, RbacAuthorizer, type Authorizer } from '../apiserver/auth/rbac/authorizer.ts';
import { EscalationGuard } from '../apiserver/auth/rbac/escalation.ts';
import { reconcileBootstrapPolicy } from '../apiserver/auth/rbac/reconcile.ts';
import { RegistryRbacSource } from '../apiserver/auth/rbac/source.ts';
import { RegistryNodeGraph } from '../apiserver/auth/rbac/node-graph.ts';
import { systemContext } from './bootstrap.ts';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

export async function startAuthorization(registry: Registry, mode: AuthorizationMode, logger: Logger): Promise<{ authorizer: Authorizer; stop(): Promise<void> }> {
  // The default roles exist whatever the mode, so switching modes later just works.
  const r = await reconcileBootstrapPolicy(registry, systemContext);
  if (r.created || r.updated) logger.info(r, 'RBAC bootstrap policy reconciled');
  if (mode === 'AlwaysAllow') return { authorizer: alwaysAllow, stop: async () => {} };
  const source = new RegistryRbacSource(registry, logger);
  // The Node authorizer's graph: what pods bound to each node reference.
  const nodeGraph = new RegistryNodeGraph(registry, logger);
  await Promise.all([source.start(), nodeGraph.start()]);
  const authorizer = new RbacAuthorizer(source, nodeGraph);
  registry.rbacGuard = new EscalationGuard(authorizer, authorizer.resolver);
  registry.authorizer = authorizer;
  return {
    authorizer,
    async stop() {
      registry.rbacGuard = undefined;
      registry.authorizer = undefined;
      await Promise.all([source.stop(), nodeGraph.stop()]);
    },
  };
}
