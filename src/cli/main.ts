// The `pilot` command. Flags live here; the run functions live in src/server.

import { Command, Option } from 'commander';
import { DEFAULTS, defaultDataDir } from '../server/defaults.ts';
import { readTokenFile } from '../server/cluster-bootstrap.ts';
import { parseBool, parseDuration, parseList } from './flags.ts';
import { agentCommand } from './agent.ts';
import { dnsCommand } from './dns.ts';
import { tokenCommand } from './token.ts';
import { controllerOptionsFrom } from './controller-flags.ts';

function nonNegativeInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid ${flag} ${v}: must be a whole number >= 0`);
  return n;
}

const program = new Command();
program.name('pilot').description('Kubernetes, written in TypeScript').showHelpAfterError();

program.command('server')
  .description('run the control plane (API server on an embedded or external datastore)')
  .option('--data-dir <dir>', 'state, certificates and kubeconfig', defaultDataDir())
  .option('--secure-port <port>', 'HTTPS port of the API', String(DEFAULTS.securePort))
  .option('--bind-address <addr>', 'address to listen on', DEFAULTS.bindAddress)
  .option('--datastore <url>', 'sqlite:///path/state.db (default: <data-dir>/state.db), etcd://host:port[,host:port…][?ca=&cert=&key=], or memory://')
  .addOption(new Option('--token <secret>', 'cluster token: servers on one datastore given the same token share its CA and keys (high availability)').env('PILOT_TOKEN'))
  .option('--token-file <file>', 'read the cluster token from the first line of this file')
  .option('--token-auth-file <file>', 'static bearer tokens: CSV lines token,user,uid,"group1,group2"')
  .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1): resources encrypted at rest and their providers and keys')
  .option('--audit-policy-file <file>', 'audit Policy (audit.k8s.io/v1): which requests are logged, at which level')
  .option('--audit-log-path <file>', 'write audit events (JSON lines) to this file; "-" for standard output')
  .option('--audit-log-maxsize <MB>', 'megabytes the audit log may reach before it is rotated (0: 100)', '0')
  .option('--audit-log-maxbackup <n>', 'rotated audit log files kept (0: all)', '0')
  .option('--audit-log-maxage <days>', 'days rotated audit log files are kept (0: forever)', '0')
  .addOption(new Option('--authorization-mode <mode>', 'RBAC (with node identities and system:masters) or AlwaysAllow (any authenticated user may do anything)').choices(['RBAC', 'AlwaysAllow']).default('RBAC'))
  .option('--max-requests-inflight <n>', 'read-only requests served at once before 429 (0: unlimited)', '400')
  .option('--max-mutating-requests-inflight <n>', 'mutating requests served at once before 429 (0: unlimited)', '200')
  .option('--tls-san <names>', 'extra host names or IPs for the serving certificate, comma-separated (repeatable)', (v: string, prev: string[] = []) => [...prev, ...parseList(v)])
  .option('--service-cluster-ip-range <cidr>', 'Service IP range', DEFAULTS.serviceCidr)
  .option('--service-node-port-range <range>', 'NodePort range', DEFAULTS.nodePortRange.join('-'))
  .option('--compaction-retain <revisions>', 'revisions of history kept for watches', String(DEFAULTS.compactionRetainRevisions))
  .option('--compaction-interval <duration-ms>', 'milliseconds between compactions', String(DEFAULTS.compactionIntervalMs))
  .option('--cluster-cidr <cidrs>', 'pod IP range of the cluster, one CIDR per IP family (node IPAM gives each node a part)', '10.42.0.0/16')
  .option('--node-cidr-mask-size <bits>', 'prefix length of each node\'s pod CIDR', '24')
  .option('--node-monitor-period <duration>', 'how often the node lifecycle controller checks node health', '5s')
  .option('--node-monitor-grace-period <duration>', 'how long a node may go without heartbeats before it is marked Unknown', '40s')
  .option('--node-startup-grace-period <duration>', 'the same for a node that never posted status', '1m')
  .option('--node-eviction-rate <per-second>', 'nodes per second whose pods may be evicted (NoExecute taints applied)', '0.1')
  .option('--cluster-signing-duration <duration>', 'longest validity of the certificates the CSR signer issues', '8760h')
  .option('--controllers <list>', 'controllers to run: * for all, name to enable, -name to disable (e.g. "*,-namespace")', '*')
  .option('--disable-controllers', 'run no controllers in this server (API only)')
  .option('--disable-scheduler', 'run no scheduler in this server (pods stay Pending unless another scheduler binds them)')
  .option('--disable-agent', 'run no node agent (kubelet) for this host in this server')
  .option('--node-name <name>', 'name of this host\'s Node (default: the host name)')
  .option('--node-ip <ip>', 'InternalIP this host\'s Node reports (default: the first non-loopback IPv4 address)')
  .option('--pod-cidr <cidr>', 'pod CIDR of this host\'s Node while it has no spec.podCIDR', '10.42.0.0/24')
  .option('--leader-elect [bool]', 'run controllers only while holding the Lease kube-system/kube-controller-manager (one active manager across servers)', 'true')
  .option('--leader-elect-lease-duration <duration>', 'how long a standby waits after the leader stopped renewing before taking over', '15s')
  .option('--leader-elect-renew-deadline <duration>', 'how long the leader tries to renew before it stops leading (default: 2/3 of the lease duration)')
  .option('--leader-elect-retry-period <duration>', 'time between acquire and renew attempts (default: 2/15 of the lease duration)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default(process.env.PILOT_LOG_LEVEL ?? DEFAULTS.logLevel))
  .action(async (o: Record<string, string>, cmd: Command) => {
    const range = o.serviceNodePortRange.split('-').map(Number) as [number, number];
    const port = Number(o.securePort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --secure-port ${o.securePort}`);
    const compactionIntervalMs = Number(o.compactionInterval);
    if (!Number.isInteger(compactionIntervalMs) || compactionIntervalMs <= 0) throw new Error(`invalid --compaction-interval ${o.compactionInterval}`);
    if (range.length !== 2 || range.some((n) => !Number.isInteger(n)) || range[0] > range[1]) throw new Error(`invalid --service-node-port-range ${o.serviceNodePortRange}`);
    // PILOT_TOKEN in the environment yields to --token-file; two flags on one command line are a mistake.
    const tokenFile = o.tokenFile as string | undefined;
    if (cmd.getOptionValueSource('token') === 'cli' && tokenFile !== undefined) throw new Error('give --token or --token-file, not both');
    const token = tokenFile !== undefined ? readTokenFile(tokenFile) : o.token as string | undefined;
    if (token !== undefined && token.trim() === '') throw new Error('--token must not be empty');
    const leaseDurationMs = parseDuration(o.leaderElectLeaseDuration);
    const renewDeadlineMs = o.leaderElectRenewDeadline !== undefined ? parseDuration(o.leaderElectRenewDeadline) : leaseDurationMs * 2 / 3;
    const retryPeriodMs = o.leaderElectRetryPeriod !== undefined ? parseDuration(o.leaderElectRetryPeriod) : leaseDurationMs * 2 / 15;
    if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline');
    if (!(renewDeadlineMs > retryPeriodMs * 1.2)) throw new Error('--leader-elect-renew-deadline must be greater than 1.2 × --leader-elect-retry-period');
    const controllers = o.disableControllers ? [] : parseList(o.controllers);
    // Loaded only for `pilot server`: the other commands need none of the control plane.
    const { startServer } = await import('../server/server.ts');
    const srv = await startServer({
      ...DEFAULTS,
      dataDir: o.dataDir, securePort: port, bindAddress: o.bindAddress, datastore: o.datastore,
      tokenAuthFile: o.tokenAuthFile, encryptionProviderConfig: o.encryptionProviderConfig, token,
      audit: {
        policyFile: o.auditPolicyFile, logPath: o.auditLogPath, maxSizeMB: nonNegativeInt(o.auditLogMaxsize, '--audit-log-maxsize'),
        maxBackups: nonNegativeInt(o.auditLogMaxbackup, '--audit-log-maxbackup'), maxAgeDays: nonNegativeInt(o.auditLogMaxage, '--audit-log-maxage'),
      }, tlsSans: o.tlsSan as unknown as string[] | undefined, authorizationMode: o.authorizationMode as 'RBAC' | 'AlwaysAllow', maxRequestsInflight: nonNegativeInt(o.maxRequestsInflight, '--max-requests-inflight'), maxMutatingRequestsInflight: nonNegativeInt(o.maxMutatingRequestsInflight, '--max-mutating-requests-inflight'), serviceCidr: o.serviceClusterIpRange, nodePortRange: range,
      compactionRetainRevisions: Number(o.compactionRetain), compactionIntervalMs, logLevel: o.logLevel,
      agent: o.disableAgent ? undefined : { nodeName: o.nodeName, nodeIP: o.nodeIp, podCIDR: o.podCidr },
      controllers, controllerOptions: controllerOptionsFrom(o), leaderElect: parseBool(o.leaderElect), leaderElection: { leaseDurationMs, renewDeadlineMs, retryPeriodMs },
      disableScheduler: !!o.disableScheduler,
    });
    process.stdout.write(`Pilot API server listening on ${srv.url}\n  export KUBECONFIG=${srv.kubeconfigPath}\n`);
    const stop = (): void => { void srv.close().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.addCommand(agentCommand());
program.addCommand(dnsCommand());
program.addCommand(tokenCommand());

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`pilot: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
