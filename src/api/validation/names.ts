// Name and identifier rules of the Kubernetes API, with upstream's exact
// wording. Each `xxxErrors` function returns the list of problems (empty when
// valid), as upstream's `IsXxx` helpers do; the `isXxx` predicates are the
// boolean shorthand other code wants.

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qnameCharFmt = '[A-Za-z0-9]';
const qnameExtCharFmt = '[-A-Za-z0-9_.]';
const qualifiedNameFmt = `(${qnameCharFmt}${qnameExtCharFmt}*)?${qnameCharFmt}`;
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const percentFmt = '[0-9]+%';

const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);
const percentRe = new RegExp(`^${percentFmt}$`);

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
export const DNS1035_LABEL_MAX = 63;
export const LABEL_VALUE_MAX = 63;
const QUALIFIED_NAME_MAX = 63;

export function maxLenError(n: number): string { return `must be no more than ${n} characters`; }
export function emptyError(): string { return 'must be non-empty'; }
export function inclusiveRangeError(lo: number, hi: number): string { return `must be between ${lo} and ${hi}, inclusive`; }

/** Upstream's RegexError: "<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')". */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((ex, i) => { if (i > 0) out += ' or '; out += `'${ex}', `; });
  return `${out}regex used for validation is '${fmt}')`;
}

const dns1123LabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1035LabelMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const qualifiedNameMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const configMapKeyMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const envVarNameMsg = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const percentMsg = "a valid percent string must be a numeric string followed by an ending '%'";

export function dns1123LabelErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!dns1123LabelRe.test(v)) {
    // A valid subdomain that is not a label can only be failing on its dots.
    if (dns1123SubdomainRe.test(v)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

export function dns1123SubdomainErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123SubdomainRe.test(v)) errs.push(regexError(dns1123SubdomainMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

export function dns1035LabelErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1035_LABEL_MAX) errs.push(maxLenError(DNS1035_LABEL_MAX));
  if (!dns1035LabelRe.test(v)) errs.push(regexError(dns1035LabelMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

const qualifiedNameRegexMsg = () => regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc');

/** A label key / annotation key / finalizer: optional DNS-subdomain prefix and '/', then a name. */
export function qualifiedNameErrors(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const m of dns1123SubdomainErrors(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [`a qualified name ${qualifiedNameRegexMsg()} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${qualifiedNameRegexMsg()}`);
  return errs;
}

export function labelValueErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!labelValueRe.test(v)) errs.push(regexError(labelValueMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

function chDirPrefixErrors(v: string): string[] {
  if (v === '.') return ["must not be '.'"];
  if (v === '..') return ["must not be '..'"];
  if (v.startsWith('..')) return ["must not start with '..'"];
  return [];
}

export function configMapKeyErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!configMapKeyRe.test(v)) errs.push(regexError(configMapKeyMsg, configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  return errs.concat(chDirPrefixErrors(v));
}

export function envVarNameErrors(v: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(v)) errs.push(regexError(envVarNameMsg, envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  return errs.concat(chDirPrefixErrors(v));
}

/** IANA_SVC_NAME rules used for container port names and named target ports. */
export function portNameErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (v.length > 0 && (v.startsWith('-') || v.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function portNumErrors(n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function percentErrors(v: string): string[] {
  return percentRe.test(v) ? [] : [regexError(percentMsg, percentFmt, '1%', '93%')];
}

/** Names used as a single URL path segment (the rule every object name must also meet). */
export function pathSegmentNameErrors(v: string, prefix = false): string[] {
  if (!prefix) {
    if (v === '.') return ["may not be '.'"];
    if (v === '..') return ["may not be '..'"];
  }
  const errs: string[] = [];
  if (v.includes('/')) errs.push("may not contain '/'");
  if (v.includes('%')) errs.push("may not contain '%'");
  return errs;
}

// Parsing of IP addresses, close to Go's net.ParseIP as used by upstream
// (the "sloppy" variant that tolerates leading zeros in IPv4 octets).
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

export function parseIPv6(s: string): number[] | undefined {
  if (!s.includes(':')) return undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4) return undefined;
    text = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  const total = left.length + right.length;
  if (halves.length === 2) return total > 7 ? undefined : [...left, ...new Array<number>(8 - total).fill(0), ...right];
  return total === 8 ? left : undefined;
}

export function isIPv4(s: string): boolean { return parseIPv4(s) !== undefined; }
export function isIPv6(s: string): boolean { return parseIPv6(s) !== undefined; }
export function isIP(s: string): boolean { return isIPv4(s) || isIPv6(s); }

export function ipErrors(s: string): string[] {
  return isIP(s) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

// Boolean shorthands for other code.
export const isDNS1123Label = (s: string): boolean => dns1123LabelErrors(s).length === 0;
export const isDNS1123Subdomain = (s: string): boolean => dns1123SubdomainErrors(s).length === 0;
export const isDNS1035Label = (s: string): boolean => dns1035LabelErrors(s).length === 0;
export const isQualifiedName = (s: string): boolean => qualifiedNameErrors(s).length === 0;
export const isValidLabelValue = (s: string): boolean => labelValueErrors(s).length === 0;
export const isConfigMapKey = (s: string): boolean => configMapKeyErrors(s).length === 0;

/** A name function validates an object's name; `prefix` is true for generateName. */
export type NameFn = (name: string, prefix: boolean) => string[];

// With generateName a trailing '-' is fine: upstream masks the end before checking.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameFn = (n, prefix) => dns1123SubdomainErrors(prefix ? maskTrailingDash(n) : n);
export const nameIsDNSLabel: NameFn = (n, prefix) => dns1123LabelErrors(prefix ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label: NameFn = (n, prefix) => dns1035LabelErrors(prefix ? maskTrailingDash(n) : n);
export const nameIsPathSegment: NameFn = (n, prefix) => pathSegmentNameErrors(n, prefix);
