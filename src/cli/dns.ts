// `pilot dns`: cluster DNS on its own, a client of the API like any other
// component (CoreDNS with the kubernetes plugin, in one command).

import * as path from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest.ts';
import { DNS_DEFAULTS, startClusterDns } from '../dns/cluster-dns.ts';
import { defaultDataDir } from '../server/defaults.ts';

export function dnsCommand(): Command {
  return new Command('dns')
    .description('run cluster DNS: Service and pod names of the cluster domain, other names forwarded to the host\'s resolvers')
    .option('--data-dir <dir>', 'where the server keeps admin.kubeconfig (the default credentials)', defaultDataDir())
    .option('--kubeconfig <file>', 'credentials and server (default: <data-dir>/admin.kubeconfig)')
    .option('--server <url>', 'API server URL, overriding the kubeconfig\'s')
    .option('--listen <host:port>', 'address for DNS over UDP and TCP', DNS_DEFAULTS.listen)
    .option('--cluster-domain <domain>', 'the zone answered from the cluster', DNS_DEFAULTS.clusterDomain)
    .option('--ttl <seconds>', 'TTL of cluster answers', String(DNS_DEFAULTS.ttl))
    .option('--upstream-resolv-conf <file>', 'resolv.conf whose nameservers answer every other name', DNS_DEFAULTS.resolvConf)
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default(process.env.PILOT_LOG_LEVEL ?? 'info'))
    .action(runDns);
}

export async function runDns(o: Record<string, string>): Promise<void> {
  const ttl = Number(o.ttl);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new Error(`invalid --ttl "${o.ttl}": want whole seconds from 0 to 3600`);
  const domain = o.clusterDomain.replace(/\.$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(domain)) throw new Error(`invalid --cluster-domain "${o.clusterDomain}"`);
  const config = loadKubeconfig(o.kubeconfig ?? path.join(o.dataDir, 'admin.kubeconfig'));
  if (o.server) config.server = o.server.replace(/\/+$/, '');
  const client = new RestClient(config, { userAgent: `pilot-dns/0.1.0 (${process.platform}/${process.arch})` });
  const logger = pino({ level: o.logLevel, base: { component: 'dns' } }, pino.destination(2));
  const dns = await startClusterDns({ client, listen: o.listen, clusterDomain: domain, ttl, upstreamResolvConf: o.upstreamResolvConf, logger });
  const ups = dns.forwarder.upstreams.map((u) => `${u.host}:${u.port}`).join(', ') || 'none';
  process.stdout.write(`Cluster DNS for ${domain} listening on ${dns.host}:${dns.port} (UDP and TCP); forwarding other names to ${ups}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void dns.stop().then(() => { client.close(); process.exit(0); });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
