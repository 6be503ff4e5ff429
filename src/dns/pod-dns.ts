// A pod's /etc/resolv.conf and /etc/hosts, as the kubelet makes them
// (pkg/kubelet/network/dns and the kubelet's managed hosts file), for the
// node agent to write into the sandbox. Pure functions: the agent supplies the
// host's resolv.conf text, the node's /etc/hosts text and the pod's IPs.
//
// resolv.conf per dnsPolicy:
//   ClusterFirst (not hostNetwork), ClusterFirstWithHostNet: the cluster DNS
//     servers, search <ns>.svc.<domain> svc.<domain> <domain> + the host's
//     search domains, options ndots:5. Without cluster DNS: as Default.
//   Default, and ClusterFirst on hostNetwork: the host's resolv.conf.
//   None: nothing but pod.spec.dnsConfig.
// Then dnsConfig is merged in (nameservers and searches appended without
// duplicates, options merged by name with the pod's winning), and the result
// cut to the limits: 3 nameservers, 32 search domains of ≤ 253 characters,
// a search line of ≤ 2048 characters. The text is laid out as containerd
// writes it: search, nameserver lines, options.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { appendOptions, parseResolvConf } from './resolv-conf.ts';

const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_LIST_CHARS = 2048;
const MAX_SEARCH_DOMAIN_LEN = 253;
const HOSTNAME_MAX_LEN = 63;

export interface PodDnsOptions {
  /** Cluster DNS server IPs (kubelet --cluster-dns), e.g. ["10.43.0.10"]. Empty: ClusterFirst falls back to Default. */
  clusterDNS: string[];
  /** Cluster domain (kubelet --cluster-domain), e.g. "cluster.local". */
  clusterDomain: string;
  /** Text of the host's resolv.conf (kubelet --resolv-conf); undefined when the kubelet has none configured. */
  hostResolvConf?: string;
  /** Node IPs, for the nameserver used when there is no host resolv.conf (127.0.0.1 or ::1). */
  nodeIPs?: string[];
}

export interface PodDnsWarning { reason: 'MissingClusterDNS' | 'DNSConfigForming'; message: string }

export interface PodDnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
  /** Warning events the kubelet records on the pod. */
  warnings: PodDnsWarning[];
}

function omitDuplicates(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** format.Pod: name_namespace(uid). */
function podDesc(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

type DnsType = 'none' | 'cluster' | 'host';

function podDnsType(pod: Pod): DnsType {
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'None': return 'none';
    case 'ClusterFirstWithHostNet': return 'cluster';
    case 'ClusterFirst': return pod.spec?.hostNetwork ? 'host' : 'cluster';
    case 'Default': return 'host';
    default: return 'cluster'; // an invalid policy: the kubelet logs it and uses ClusterFirst
  }
}

export function podDnsConfig(pod: Pod, o: PodDnsOptions): PodDnsConfig {
  const warnings: PodDnsWarning[] = [];
  const host = o.hostResolvConf === undefined ? { nameservers: [], searches: [], options: [] } : parseResolvConf(o.hostResolvConf);
  let servers = host.nameservers;
  let searches = host.searches;
  let options = host.options;
  let type = podDnsType(pod);
  if (type === 'none') {
    servers = []; searches = []; options = [];
  } else if (type === 'cluster') {
    if (o.clusterDNS.length > 0) {
      servers = o.clusterDNS.slice();
      searches = o.clusterDomain
        ? omitDuplicates([`${pod.metadata?.namespace ?? 'default'}.svc.${o.clusterDomain}`, `svc.${o.clusterDomain}`, o.clusterDomain, ...host.searches])
        : host.searches;
      options = ['ndots:5'];
    } else {
      warnings.push({
        reason: 'MissingClusterDNS',
        message: `pod: "${podDesc(pod)}". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`,
      });
      type = 'host';
    }
  }
  if (type === 'host' && o.hostResolvConf === undefined) {
    // No resolv.conf for the kubelet: "the nameserver on the local machine", and no search.
    servers = (o.nodeIPs?.length ? o.nodeIPs : ['0.0.0.0']).map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
    searches = ['.'];
  }
  const dc = pod.spec?.dnsConfig;
  if (dc) {
    servers = omitDuplicates([...servers, ...dc.nameservers ?? []]);
    searches = omitDuplicates([...searches, ...dc.searches ?? []]);
    // The pod's options override same-named ones (the kubelet goes through a map; order here is stable).
    options = appendOptions(options, (dc.options ?? []).filter((op) => op.name).map((op) => (op.value ? `${op.name}:${op.value}` : op.name!)));
  }
  if (servers.length > MAX_NAMESERVERS) {
    servers = servers.slice(0, MAX_NAMESERVERS);
    warnings.push({ reason: 'DNSConfigForming', message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(' ')}` });
  }
  const fitted = fitSearches(searches);
  if (fitted.length !== searches.length) {
    warnings.push({ reason: 'DNSConfigForming', message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${fitted.join(' ')}` });
  }
  return { servers, searches: fitted, options, warnings };
}

function fitSearches(searches: string[]): string[] {
  let out = searches.slice(0, MAX_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_DOMAIN_LEN);
  let len = out.join(' ').length;
  while (len > MAX_SEARCH_LIST_CHARS && out.length > 0) {
    len -= out[out.length - 1].length + 1;
    out = out.slice(0, -1);
  }
  return out;
}

/** The pod's /etc/resolv.conf text. */
export function podResolvConf(pod: Pod, o: PodDnsOptions): string {
  return formatResolvConf(podDnsConfig(pod, o));
}

export function formatResolvConf(c: { servers: string[]; searches: string[]; options: string[] }): string {
  let s = '';
  if (c.searches.length) s += `search ${c.searches.join(' ')}\n`;
  if (c.servers.length) s += `nameserver ${c.servers.join('\nnameserver ')}\n`;
  if (c.options.length) s += `options ${c.options.join(' ')}\n`;
  return s;
}

/** The pod's host name and domain: spec.hostname or the pod name (cut to 63 characters), and <subdomain>.<ns>.svc.<domain>. */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata?.name || '';
  if (hostname.length > HOSTNAME_MAX_LEN) hostname = hostname.slice(0, HOSTNAME_MAX_LEN).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  return { hostname, domain: sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '' };
}

function hostAliasesEntries(pod: Pod): string {
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length === 0) return '';
  let s = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) s += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return s;
}

export interface PodHostsOptions {
  /** Default "cluster.local". */
  clusterDomain?: string;
  /** Text of the node's /etc/hosts, copied for hostNetwork pods. */
  nodeHostsFile?: string;
}

/** The pod's /etc/hosts text, as the kubelet manages it. */
export function podHostsFile(pod: Pod, podIPs: string[], o: PodHostsOptions = {}): string {
  if (pod.spec?.hostNetwork) {
    return `# Kubernetes-managed hosts file (host network).\n${o.nodeHostsFile ?? ''}${hostAliasesEntries(pod)}`;
  }
  const { hostname, domain } = podHostnameAndDomain(pod, o.clusterDomain ?? 'cluster.local');
  let s = '# Kubernetes-managed hosts file.\n'
    + '127.0.0.1\tlocalhost\n'
    + '::1\tlocalhost ip6-localhost ip6-loopback\n'
    + 'fe00::0\tip6-localnet\n'
    + 'fe00::0\tip6-mcastprefix\n'
    + 'fe00::1\tip6-allnodes\n'
    + 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasesEntries(pod);
}
