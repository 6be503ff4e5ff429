// A pod's resolv.conf and /etc/hosts, compared byte for byte with what the
// kubelet (and containerd) write, for each dnsPolicy and the dnsConfig,
// hostAliases, subdomain and hostNetwork cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podDnsConfig, podHostsFile, podResolvConf, type PodDnsOptions } from './pod-dns.ts';

const HOST = '# host\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example. lab.example .\noptions timeout:2 rotate\noptions timeout:3\n';
const opts: PodDnsOptions = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', hostResolvConf: HOST };

function pod(spec: Partial<Pod['spec']> = {}, name = 'web-0', ns = 'shop'): Pod {
  return { metadata: { name, namespace: ns, uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } };
}

test('ClusterFirst: cluster DNS, the namespace search path plus the host\'s, ndots:5', () => {
  assert.equal(podResolvConf(pod(), opts),
    'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n');
  assert.equal(podResolvConf(pod({ dnsPolicy: 'ClusterFirst' }), { ...opts, hostResolvConf: 'nameserver 1.1.1.1\n' }),
    'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n');
});

test('Default, and ClusterFirst on the host network: the host resolv.conf', () => {
  const host = 'search corp.example lab.example\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions timeout:3 rotate\n';
  assert.equal(podResolvConf(pod({ dnsPolicy: 'Default' }), opts), host);
  assert.equal(podResolvConf(pod({ hostNetwork: true }), opts), host);
  assert.equal(podResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), opts),
    'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n');
  // A kubelet without a resolv.conf: the local machine's resolver, no search.
  assert.equal(podResolvConf(pod({ dnsPolicy: 'Default' }), { ...opts, hostResolvConf: undefined }), 'search .\nnameserver 127.0.0.1\n');
});

test('None: only dnsConfig', () => {
  const p = pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } });
  assert.equal(podResolvConf(p, opts), 'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\noptions ndots:2 edns0\n');
  assert.equal(podResolvConf(pod({ dnsPolicy: 'None' }), opts), '');
});

test('dnsConfig merges into ClusterFirst: appended without duplicates, options overridden by name', () => {
  const p = pod({ dnsConfig: { nameservers: ['10.43.0.10', '8.8.8.8'], searches: ['svc.cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request-reopen' }] } });
  assert.equal(podResolvConf(p, opts),
    'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example extra.example\nnameserver 10.43.0.10\nnameserver 8.8.8.8\noptions ndots:1 single-request-reopen\n');
});

test('limits: 3 nameservers, 32 search domains, 2048 characters — with the kubelet\'s warnings', () => {
  const p = pod({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: Array.from({ length: 40 }, (_, i) => `d${i}.example`) } });
  const c = podDnsConfig(p, opts);
  assert.deepEqual(c.servers, ['10.43.0.10', '1.1.1.1', '2.2.2.2']);
  assert.equal(c.searches.length, 32);
  assert.deepEqual(c.warnings.map((w) => w.reason), ['DNSConfigForming', 'DNSConfigForming']);
  assert.equal(c.warnings[0].message, 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.43.0.10 1.1.1.1 2.2.2.2');
  assert.match(c.warnings[1].message, /^Search Line limits were exceeded, some search paths have been omitted, the applied search line is: shop\.svc\.cluster\.local .* d26\.example$/);
  const long = podDnsConfig(pod({ dnsConfig: { searches: Array.from({ length: 10 }, (_, i) => `${String(i).repeat(240)}.x`) } }), opts);
  assert.ok(long.searches.join(' ').length <= 2048);
  assert.ok(long.searches.length < 15);
});

test('ClusterFirst without cluster DNS falls back to Default with a MissingClusterDNS warning', () => {
  const c = podDnsConfig(pod(), { ...opts, clusterDNS: [] });
  assert.deepEqual(c.servers, ['192.168.1.1', '192.168.1.2']);
  assert.deepEqual(c.warnings, [{ reason: 'MissingClusterDNS', message: 'pod: "web-0_shop(u1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.' }]);
});

const BASE_HOSTS = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

test('/etc/hosts: the pod\'s name on each IP, FQDN with a subdomain, hostAliases appended', () => {
  assert.equal(podHostsFile(pod(), ['10.42.0.5']), `${BASE_HOSTS}10.42.0.5\tweb-0\n`);
  const sts = pod({ hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote'] }] });
  assert.equal(podHostsFile(sts, ['10.42.0.6', 'fd00::6'], { clusterDomain: 'cluster.local' }),
    `${BASE_HOSTS}10.42.0.6\tdb-0.db.shop.svc.cluster.local\tdb-0\nfd00::6\tdb-0.db.shop.svc.cluster.local\tdb-0\n`
    + '\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n');
  const longName = `${'a'.repeat(62)}-b`;
  assert.equal(podHostsFile(pod({}, longName), ['10.42.0.7']), `${BASE_HOSTS}10.42.0.7\t${'a'.repeat(62)}\n`, 'cut to 63 characters, no trailing dash');
});

test('/etc/hosts on the host network: the node\'s file, marked, plus hostAliases', () => {
  const p = pod({ hostNetwork: true, hostAliases: [{ ip: '10.9.9.9', hostnames: ['x'] }] });
  assert.equal(podHostsFile(p, ['192.168.1.10'], { nodeHostsFile: '127.0.0.1 localhost\n192.168.1.10 node1\n' }),
    '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.168.1.10 node1\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n');
});
