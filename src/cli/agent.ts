// `pilot agent`: a node agent apart from the server. So far it runs simulated
// nodes only (`--simulate N`, like kwok); the kubelet that runs real containers
// runs inside `pilot server`.

import * as path from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { parseQuantityStrict } from '../api/validation/quantity.ts';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest.ts';
import { parseKeyValues, parseTaints, SIMULATED_DEFAULTS, startSimulatedNodes, validateConfig } from '../agent/simulated/index.ts';
import { defaultDataDir } from '../server/defaults.ts';
import { parseDuration } from './flags.ts';

const D = SIMULATED_DEFAULTS;

export function agentCommand(): Command {
  return new Command('agent')
    .description('run a node agent apart from the server; so far simulated nodes only (--simulate N): they register, heartbeat and run bound pods on paper, like kwok (the real kubelet runs inside `pilot server`)')
    .requiredOption('--simulate <count>', 'simulate this many nodes (required: only simulated nodes run apart from the server so far)')
    .option('--data-dir <dir>', 'where the server keeps admin.kubeconfig (the default credentials)', defaultDataDir())
    .option('--kubeconfig <file>', 'credentials and server (default: <data-dir>/admin.kubeconfig)')
    .option('--server <url>', 'API server URL, overriding the kubeconfig\'s')
    .option('--node-name-prefix <prefix>', 'nodes are named <prefix>0 … <prefix>N-1', D.namePrefix)
    .option('--node-cpu <quantity>', 'cpu capacity of each node', D.capacity.cpu)
    .option('--node-memory <quantity>', 'memory capacity of each node', D.capacity.memory)
    .option('--node-pods <count>', 'pod capacity of each node', D.capacity.pods)
    .option('--node-ephemeral-storage <quantity>', 'ephemeral-storage capacity of each node', D.capacity['ephemeral-storage'])
    .option('--node-extended-resources <list>', 'extended resources of each node, e.g. nvidia.com/gpu=4,example.com/foo=2', '')
    .option('--node-labels <list>', 'extra labels, e.g. topology.kubernetes.io/zone=a,tier=web', '')
    .option('--node-taints <list>', 'taints registered with each node, e.g. dedicated=gpu:NoSchedule,spot:PreferNoSchedule', '')
    .option('--pod-start-delay <duration>', 'time from a pod being bound to it running, e.g. 2s', '0s')
    .option('--pod-fail-ratio <ratio>', 'share of pods (0–1, stable per pod uid) whose containers fail', '0')
    .option('--node-lease-duration-seconds <n>', 'leaseDurationSeconds of each node\'s Lease', String(D.leaseDurationSeconds))
    .option('--node-lease-renew-interval <duration>', 'how often each Lease is renewed (kubelet: a quarter of the duration)', `${D.leaseRenewIntervalMs / 1000}s`)
    .option('--node-status-report-frequency <duration>', 'how often unchanged node status is re-reported', `${D.nodeStatusReportIntervalMs / 60_000}m`)
    .option('--max-requests-inflight <n>', 'API requests in flight at once, all nodes together: as many again for pods as for node heartbeats', String(D.maxInflight))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default(process.env.PILOT_LOG_LEVEL ?? 'info'))
    .action(runSimulatedAgent);
}

function quantity(flag: string, text: string): string {
  const { error } = parseQuantityStrict(text);
  if (error) throw new Error(`invalid ${flag} "${text}": ${error}`);
  return text;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid ${flag} "${text}": want a positive integer`);
  return n;
}

export async function runSimulatedAgent(o: Record<string, string>): Promise<void> {
  const count = positiveInt('--simulate', o.simulate);
  const ratio = Number(o.podFailRatio);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`invalid --pod-fail-ratio "${o.podFailRatio}": want a number from 0 to 1`);
  const capacity: Record<string, string> = {
    cpu: quantity('--node-cpu', o.nodeCpu),
    memory: quantity('--node-memory', o.nodeMemory),
    pods: String(positiveInt('--node-pods', o.nodePods)),
    'ephemeral-storage': quantity('--node-ephemeral-storage', o.nodeEphemeralStorage),
  };
  for (const [k, v] of Object.entries(parseKeyValues(o.nodeExtendedResources, 'extended resource'))) capacity[k] = quantity(`--node-extended-resources ${k}`, v);
  // Every flag is checked before anything is contacted.
  const settings = {
    namePrefix: o.nodeNamePrefix,
    capacity,
    labels: parseKeyValues(o.nodeLabels),
    taints: parseTaints(o.nodeTaints),
    podStartDelayMs: parseDuration(o.podStartDelay),
    podFailRatio: ratio,
    leaseDurationSeconds: positiveInt('--node-lease-duration-seconds', o.nodeLeaseDurationSeconds),
    leaseRenewIntervalMs: parseDuration(o.nodeLeaseRenewInterval),
    nodeStatusReportIntervalMs: parseDuration(o.nodeStatusReportFrequency),
    maxInflight: positiveInt('--max-requests-inflight', o.maxRequestsInflight),
  };
  validateConfig({ ...settings, count });

  const kubeconfig = o.kubeconfig ?? path.join(o.dataDir, 'admin.kubeconfig');
  const config = loadKubeconfig(kubeconfig);
  if (o.server) config.server = o.server.replace(/\/+$/, '');
  // No client-side rate limit: --max-requests-inflight paces the simulator.
  const client = new RestClient(config, { qps: 0, userAgent: `pilot-agent-simulated/0.1.0 (${process.platform}/${process.arch})` });
  const logger = pino({ level: o.logLevel, base: { component: 'simulated-nodes' } }, pino.destination(2));

  const started = performance.now();
  process.stdout.write(`Simulating ${count} nodes (${o.nodeNamePrefix}0 … ${o.nodeNamePrefix}${count - 1}) against ${config.server}\n`);
  let lastReport = started;
  const sim = await startSimulatedNodes({
    client, count, logger, ...settings,
    onRegistered: (n) => {
      const now = performance.now();
      if (n < count && now - lastReport > 2000) {
        lastReport = now;
        process.stdout.write(`  ${n}/${count} nodes registered\n`);
      }
    },
  });
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(`Registered ${count} simulated nodes in ${secs.toFixed(1)} s; handling their pods (${sim.stats().pods} bound so far)\n`);

  // A line a minute for whoever watches the terminal: what the nodes did since the last one.
  let last = sim.stats();
  const progress = setInterval(() => {
    const s = sim.stats();
    process.stdout.write(`  ${s.nodes} nodes, ${s.pods} pods bound: ${s.leaseRenewals - last.leaseRenewals} lease renewals, `
      + `${s.podStatusWrites - last.podStatusWrites} pod status writes, ${s.podDeletes - last.podDeletes} deletions, `
      + `${s.heartbeatErrors + s.podErrors - last.heartbeatErrors - last.podErrors} errors in the last minute\n`);
    last = s;
  }, 60_000);
  progress.unref();

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    void sim.stop().then(() => {
      const s = sim.stats();
      process.stdout.write(`Stopped: ${s.leaseRenewals} lease renewals, ${s.podStatusWrites} pod status writes, ${s.podDeletes} pod deletions\n`);
      client.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
