// Reading a resolv.conf the way the kubelet does (pkg/kubelet/network/dns):
// nameserver lines accumulate, the last search line wins (trailing dots
// trimmed, "." dropped), options accumulate with later ones replacing earlier
// ones of the same name. Comments start with '#'.

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Adds options, a later "name[:value]" replacing an earlier one of the same name. */
export function appendOptions(options: string[], more: string[]): string[] {
  const out = options.slice();
  for (const opt of more) {
    const name = opt.split(':')[0];
    const i = out.findIndex((o) => o.split(':')[0] === name);
    if (i >= 0) out[i] = opt; else out.push(opt);
  }
  return out;
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields.length >= 2) conf.nameservers.push(fields[1]);
    if (fields[0] === 'search') conf.searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') conf.options = appendOptions(conf.options, fields.slice(1));
  }
  return conf;
}
