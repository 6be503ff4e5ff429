// The cluster zone's answers, as CoreDNS's kubernetes plugin gives them
// (with `pods insecure` and `fallthrough in-addr.arpa ip6.arpa`), computed
// from a query and the ClusterIndex alone: no I/O, no clock, so every rule is
// unit-testable. The server does the I/O: it forwards what this function
// hands back as not ours, and chases CNAMEs that leave the zone.
//
// Names (relative to the zone):
//   <svc>.<ns>.svc                 A/AAAA: the cluster IPs; headless: ready endpoint IPs
//   <hostname>.<svc>.<ns>.svc      an endpoint by hostname (or dashed IP)
//   _<port>._<proto>.<svc>.<ns>.svc SRV for a named port (headless: one per endpoint)
//   <a-b-c-d>.<ns>.pod             A of the IP spelled in the name
//   dns-version                    TXT "1.1.0"
//   ns.dns                         A of the DNS service
// ExternalName Services answer with a CNAME. Missing names get NXDOMAIN,
// existing names without the asked type NOERROR with no answers (NODATA);
// both carry the zone's SOA in the authority section.

import type { ClusterIndex, DnsEndpoint, DnsService } from './cluster-index.ts';
import { dashedIP } from './cluster-index.ts';
import {
  CLASS_ANY, CLASS_IN, OPCODE_QUERY, RCODE, TYPE, canonicalIP, replyTo, type Message, type ResourceRecord,
} from './wire.ts';

/** Schema version of the Kubernetes DNS specification, served as dns-version.<zone> TXT. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;

export interface AnswerConfig {
  /** The cluster domain, e.g. "cluster.local" (no trailing dot). */
  zone: string;
  /** TTL of every answer (CoreDNS default 5 s). */
  ttl: number;
  /** Addresses of ns.dns.<zone> when kube-system/kube-dns does not exist (e.g. the listen address). */
  nsAddresses?: string[];
  /** False until the caches have synced: names not found get SERVFAIL, not NXDOMAIN (as CoreDNS). */
  synced?: boolean;
}

export const DEFAULT_ANSWER_CONFIG: AnswerConfig = { zone: 'cluster.local', ttl: 5 };

export interface AnswerResult {
  /** Set when the query is answered here. */
  response?: Message;
  /** The query is not ours (outside the zone, or an unknown reverse address): forward it upstream. */
  forward?: true;
  /** The answer ends in a CNAME to a name outside the zone: resolve it upstream and append those records. */
  chase?: { name: string; type: number };
}

/** What a name resolves to inside the zone: IPs (with port and SRV target name) or an external host name. */
interface Target { host: string; isIP: boolean; port: number; targetName: string }

/** null: the name does not exist (NXDOMAIN). [] : it exists with no records (NODATA). */
type Lookup = Target[] | null;

const lower = (s: string): string => s.toLowerCase();

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function relative(name: string, zone: string): string {
  return name === zone ? '' : name.slice(0, name.length - zone.length - 1);
}

/** Port name and protocol match case-insensitively; '' (not asked) matches anything. Wildcards ('*') are not supported (deprecated in CoreDNS). */
function matchName(want: string, have: string): boolean {
  return want === '' || want === lower(have);
}

/** The IP a reverse-lookup name spells, or undefined. */
export function reverseAddress(name: string): string | undefined {
  const n = lower(name);
  if (n.endsWith('.in-addr.arpa')) {
    const labels = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4 || labels.some((l) => !/^(0|[1-9]\d{0,2})$/.test(l) || Number(l) > 255)) return undefined;
    return labels.reverse().join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    return canonicalIP(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

export function isReverseName(name: string): boolean {
  const n = lower(name);
  return n === 'in-addr.arpa' || n.endsWith('.in-addr.arpa') || n === 'ip6.arpa' || n.endsWith('.ip6.arpa');
}

export function answer(query: Message, index: ClusterIndex, cfg: AnswerConfig = DEFAULT_ANSWER_CONFIG): AnswerResult {
  const res = replyTo(query);
  if (query.opcode !== OPCODE_QUERY) return { response: { ...res, rcode: RCODE.NOTIMP } };
  if (query.questions.length !== 1) return { response: { ...res, rcode: RCODE.FORMERR } };
  const q = query.questions[0];
  const zone = lower(cfg.zone);
  const qname = lower(q.name);
  if (isReverseName(qname)) return reverse(query, index, cfg, res);
  if (!inZone(qname, zone)) return { forward: true };
  if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return { response: { ...res, rcode: RCODE.REFUSED } };
  return new ZoneAnswerer(index, cfg, zone).answer(q.name, q.type, res);
}

/** PTR for Service cluster IPs (first) or endpoint IPs; anything else in the reverse zones falls through upstream. */
function reverse(query: Message, index: ClusterIndex, cfg: AnswerConfig, res: Message): AnswerResult {
  const q = query.questions[0];
  if (q.type !== TYPE.PTR) return { forward: true };
  const ip = reverseAddress(q.name);
  if (!ip) return { forward: true };
  const zone = lower(cfg.zone);
  let targets = index.servicesByClusterIP(ip).map((s) => `${s.name}.${s.namespace}.svc.${zone}`);
  if (targets.length === 0) targets = index.endpointsByIP(ip).map((e) => `${e.hostname}.${e.service.name}.${e.service.namespace}.svc.${zone}`);
  targets = [...new Set(targets)];
  if (targets.length === 0) return { forward: true };
  res.aa = true;
  res.answers = targets.map((t) => ({ name: q.name, type: TYPE.PTR, class: CLASS_IN, ttl: cfg.ttl, data: { target: t } }));
  return { response: res };
}

class ZoneAnswerer {
  constructor(private readonly index: ClusterIndex, private readonly cfg: AnswerConfig, private readonly zone: string) {}

  answer(qnameAsAsked: string, qtype: number, res: Message): AnswerResult {
    const qname = lower(qnameAsAsked);
    res.aa = true;
    const rr = (name: string, type: number, data: ResourceRecord['data'], ttl = this.cfg.ttl): ResourceRecord => ({ name, type, class: CLASS_IN, ttl, data });
    let records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    let chase: AnswerResult['chase'];
    let exists: boolean;

    switch (qtype) {
      case TYPE.A: case TYPE.AAAA: {
        const r = this.address(qnameAsAsked, qtype, []);
        exists = r !== null;
        if (r) { records = r.records; chase = r.chase; }
        break;
      }
      case TYPE.TXT: {
        if (qname === `dns-version.${this.zone}`) {
          records = [rr(qnameAsAsked, TYPE.TXT, { texts: [Buffer.from(DNS_SCHEMA_VERSION)] }, DNS_VERSION_TTL)];
          exists = true;
        } else {
          exists = this.lookup(qname) !== null;
        }
        break;
      }
      case TYPE.CNAME: {
        const t = this.lookup(qname);
        exists = t !== null;
        if (t?.length && !t[0].isIP) records = [rr(qnameAsAsked, TYPE.CNAME, { target: t[0].host })];
        break;
      }
      case TYPE.SRV: {
        const t = this.lookup(qname);
        exists = t !== null;
        if (t) this.srv(qnameAsAsked, t, records, extra);
        break;
      }
      case TYPE.SOA:
        // Only the apex has an SOA; below it CoreDNS answers NODATA without looking the name up.
        if (qname === this.zone) records = [this.soa(qnameAsAsked)];
        exists = true;
        break;
      case TYPE.NS:
        if (qname === this.zone) {
          const nsName = `ns.dns.${this.zone}`;
          records = [rr(qnameAsAsked, TYPE.NS, { target: nsName })];
          for (const ip of this.nsAddresses()) extra.push(rr(nsName, ip.includes(':') ? TYPE.AAAA : TYPE.A, { address: ip }));
          exists = true;
        } else exists = this.lookup(qname) !== null;
        break;
      case TYPE.AXFR: case TYPE.IXFR:
        return { response: { ...res, aa: false, rcode: RCODE.REFUSED } };
      default:
        // No records of other types live here; a lookup tells NODATA from NXDOMAIN.
        exists = this.lookup(qname) !== null;
    }

    if (!exists) {
      // Until the caches have synced, "not found" may be wrong: SERVFAIL makes clients retry.
      res.rcode = this.cfg.synced === false ? RCODE.SERVFAIL : RCODE.NXDOMAIN;
      res.authorities = [this.soa(qnameAsAsked)];
      return { response: res };
    }
    if (records.length === 0) {
      res.authorities = [this.soa(qnameAsAsked)];
      return { response: res };
    }
    res.answers = records;
    res.additionals = extra;
    return { response: res, chase };
  }

  /** The zone's SOA, its names spelled with the case of the zone in the question (as CoreDNS keeps it). */
  soa(qnameAsAsked: string): ResourceRecord {
    const zone = qnameAsAsked.slice(qnameAsAsked.length - this.zone.length);
    const ttl = Math.min(this.cfg.ttl, 300);
    return {
      name: zone, type: TYPE.SOA, class: CLASS_IN, ttl,
      data: {
        mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: this.index.serial(),
        refresh: 7200, retry: 1800, expire: 86400, minimum: this.cfg.ttl,
      },
    };
  }

  private nsAddresses(): string[] {
    const dns = this.index.service('kube-system', 'kube-dns');
    if (dns?.clusterIPs.length) return dns.clusterIPs;
    return this.cfg.nsAddresses ?? [];
  }

  /**
   * A/AAAA records for a name, following CNAMEs inside the zone (at most 8,
   * no loops). null when the name does not exist.
   */
  private address(nameAsAsked: string, qtype: number, chain: string[]): { records: ResourceRecord[]; chase?: AnswerResult['chase'] } | null {
    const name = lower(nameAsAsked);
    const targets = this.lookup(name);
    if (targets === null) return null;
    const records: ResourceRecord[] = [];
    const seen = new Set<string>();
    let chase: AnswerResult['chase'];
    for (const t of targets) {
      if (!t.isIP) {
        const target = lower(t.host);
        if (target === name || chain.includes(target) || chain.length > 7) continue;
        const cname: ResourceRecord = { name: nameAsAsked, type: TYPE.CNAME, class: CLASS_IN, ttl: this.cfg.ttl, data: { target: t.host } };
        if (inZone(target, this.zone)) {
          const next = this.address(t.host, qtype, [...chain, name]);
          if (next?.records.length) { records.push(cname, ...next.records); chase = next.chase; }
        } else {
          records.push(cname);
          chase = { name: t.host, type: qtype };
        }
        continue;
      }
      const v6 = t.host.includes(':');
      if ((qtype === TYPE.AAAA) !== v6 || seen.has(t.host)) continue;
      seen.add(t.host);
      records.push({ name: nameAsAsked, type: qtype, class: CLASS_IN, ttl: this.cfg.ttl, data: { address: t.host } });
    }
    return { records, chase };
  }

  private srv(qnameAsAsked: string, targets: Target[], records: ResourceRecord[], extra: ResourceRecord[]): void {
    const internal = targets.filter((t) => t.isIP); // SRV for ExternalName is not served (as CoreDNS)
    if (internal.length === 0) return;
    // All records share priority 0, so each weighs 100/n (at least 1).
    const weight = Math.max(1, Math.floor(100 / internal.length));
    const seenSrv = new Set<string>();
    const seenAddr = new Set<string>();
    for (const t of internal) {
      if (t.port === -1) continue;
      const k = `${t.targetName}|${t.port}`;
      if (!seenSrv.has(k)) {
        seenSrv.add(k);
        records.push({ name: qnameAsAsked, type: TYPE.SRV, class: CLASS_IN, ttl: this.cfg.ttl, data: { priority: 0, weight, port: t.port, target: t.targetName } });
      }
      const a = `${t.targetName}|${t.host}`;
      if (!seenAddr.has(a)) {
        seenAddr.add(a);
        extra.push({ name: t.targetName, type: t.host.includes(':') ? TYPE.AAAA : TYPE.A, class: CLASS_IN, ttl: this.cfg.ttl, data: { address: t.host } });
      }
    }
  }

  /** Everything a (lower-case) name in the zone resolves to; null if it does not exist. */
  lookup(name: string): Lookup {
    const base = relative(name, this.zone);
    if (base === '' || base === 'svc' || base === 'pod') return [];
    if (base === 'ns.dns') return this.nsAddresses().map((ip) => ({ host: ip, isIP: true, port: -1, targetName: name }));
    if (base === 'dns-version') return [];
    const segs = base.split('.');
    const kind = segs.pop()!;
    if (kind !== 'svc' && kind !== 'pod') return null;
    const ns = segs.pop()!;
    if (!this.index.hasNamespace(ns)) return null;
    if (segs.length === 0) return []; // <ns>.svc / <ns>.pod: exists, no records
    const first = segs.pop()!;
    if (kind === 'pod') return segs.length === 0 ? this.pod(first, name) : null;
    let endpoint: string | undefined;
    let port = '';
    let proto = '';
    if (segs.length === 1) endpoint = segs[0];
    else if (segs.length === 2) { proto = segs[1].replace(/^_/, ''); port = segs[0].replace(/^_/, ''); }
    else if (segs.length > 2) return null;
    const svc = this.index.service(ns, first);
    if (!svc) return null;
    return this.serviceTargets(svc, endpoint, port, proto);
  }

  /** `pods insecure`: any dashed IP in an existing namespace answers with that IP. */
  private pod(label: string, name: string): Lookup {
    const spelled = (label.split('-').length - 1 === 3 && !label.includes('--')) ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
    const ip = canonicalIP(spelled);
    return ip ? [{ host: ip, isIP: true, port: -1, targetName: name }] : null;
  }

  private serviceTargets(svc: DnsService, endpoint: string | undefined, port: string, proto: string): Lookup {
    const base = `${svc.name}.${svc.namespace}.svc.${this.zone}`;
    if (svc.type === 'ExternalName') {
      // ExternalName has no endpoints, ports or protocols to ask about.
      if (endpoint !== undefined || port !== '' || proto !== '' || !svc.externalName || canonicalIP(svc.externalName)) return null;
      return [{ host: svc.externalName, isIP: false, port: -1, targetName: base }];
    }
    const out: Target[] = [];
    if (svc.headless || endpoint !== undefined) {
      const eps: DnsEndpoint[] = this.index.serviceEndpoints(svc.namespace, svc.name);
      for (const e of eps) {
        if (endpoint !== undefined && e.hostname !== endpoint) continue;
        for (const p of e.ports) {
          if (!matchName(port, p.name) || !matchName(proto, p.protocol)) continue;
          out.push({ host: e.ip, isIP: true, port: p.port, targetName: `${e.hostname}.${base}` });
        }
      }
      return out.length ? out : null;
    }
    for (const p of svc.ports) {
      if (!matchName(port, p.name) || !matchName(proto, p.protocol)) continue;
      for (const ip of svc.clusterIPs) out.push({ host: ip, isIP: true, port: p.port, targetName: base });
    }
    return out.length ? out : null;
  }
}

