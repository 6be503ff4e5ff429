// The scheduler in this process (kube-scheduler's place): a client of the API
// with its own client certificate (system:kube-scheduler), leader-elected on
// the Lease kube-system/kube-scheduler so that of several servers exactly one
// schedules. It reuses the controller manager's runner (leader election, one
// informer factory and fresh state per term) with the scheduler as its one task.

import pino from 'pino';
import { RestClient } from '../client/index.ts';
import { startControllerManager, type ControllerManager, type LeaderElectionTimings } from '../controllers/manager.ts';
import { runScheduler } from '../scheduler/scheduler.ts';
import { issueClientCert, type Pki } from './pki.ts';
import { versionInfo } from './version.ts';

/** Connections of the scheduler's client: watches (6) and the Lease take some, bindings the rest. */
const SOCKETS = 40;

export const SCHEDULER_LEASE = { namespace: 'kube-system', name: 'kube-scheduler' };

export interface InProcessSchedulerOptions {
  url: string;
  pki: Pki;
  leaderElect: boolean;
  identity: string;
  logLevel: string;
  timings?: LeaderElectionTimings;
}

export async function startInProcessScheduler(o: InProcessSchedulerOptions): Promise<ControllerManager> {
  const cert = await issueClientCert(o.pki, { cn: 'system:kube-scheduler', orgs: [] });
  const v = versionInfo();
  const client = new RestClient({ server: o.url, ca: o.pki.caCertPem, cert: cert.certPem, key: cert.keyPem }, {
    userAgent: `kube-scheduler/${v.gitVersion} (${v.platform}) pilot`,
    // No client-side rate limit: bindings are the scheduler's throughput, and
    // the loop already bounds the requests in flight.
    qps: 0,
    // Bindings reuse a few warm connections (opened at start, see warmConnections):
    // new ones are slow to get accepted by a server busy with other clients.
    maxSockets: SOCKETS,
  });
  const runner = startControllerManager({
    client, leaderElect: o.leaderElect, identity: o.identity, lease: SCHEDULER_LEASE,
    controllers: [{ name: 'scheduler', run: (ctx) => runScheduler(ctx, { warmConnections: SOCKETS - 8 }) }],
    logger: pino({ level: o.logLevel, base: { component: 'scheduler' } }, pino.destination(2)),
    ...o.timings,
  });
  return {
    isLeading: () => runner.isLeading(),
    stop: async () => { await runner.stop(); client.close(); },
  };
}
