// Validation of certificates.k8s.io/v1 CertificateSigningRequests, as
// upstream's pkg/apis/certificates/validation: the request must be one PEM
// "CERTIFICATE REQUEST" that parses, the signer name a domain-prefixed path,
// the usages known and unique, expirationSeconds at least 10 minutes; status
// writes keep Approved/Denied exclusive and irrevocable, and an issued
// certificate immutable.

import * as x509 from '@peculiar/x509';
import type { FieldError } from '../../base/errors.ts';
import type { Obj } from './codec.ts';

export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

export const KNOWN_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
];

const CONDITION_TYPES = ['Approved', 'Denied', 'Failed'];
const MIN_EXPIRATION_SECONDS = 600;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const invalid = (field: string, value: unknown, detail: string): FieldError =>
  ({ type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
const required = (field: string): FieldError => ({ type: 'FieldValueRequired', field, message: 'Required value' });
const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });

/** The PEM blocks of a text: label and DER. */
export function pemBlocks(text: string): { label: string; der: Buffer; headers: boolean }[] {
  const out: { label: string; der: Buffer; headers: boolean }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!;
    out.push({ label: m[1]!, der: Buffer.from(body.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, ''), 'base64'), headers: /^[A-Za-z-]+:/m.test(body) });
  }
  return out;
}

/** The parsed CSR of spec.request (base64 of PEM), or the reason it is not one. */
export function parseCsrRequest(b64: unknown): { csr: x509.Pkcs10CertificateRequest } | { error: string } {
  if (typeof b64 !== 'string' || b64 === '') return { error: 'required' };
  const pem = Buffer.from(b64, 'base64').toString('utf8');
  const blocks = pemBlocks(pem);
  if (blocks.length === 0) return { error: 'PEM block type must be CERTIFICATE REQUEST' };
  if (blocks[0]!.label !== 'CERTIFICATE REQUEST') return { error: 'PEM block type must be CERTIFICATE REQUEST' };
  try {
    return { csr: new x509.Pkcs10CertificateRequest(new Uint8Array(blocks[0]!.der)) };
  } catch (e) {
    return { error: `invalid certificate request: ${(e as Error).message}` };
  }
}

/** Upstream's ValidateSignerName: `<domain>/<path>`, the domain a DNS-1123 subdomain with at least one dot. */
export function validateSignerName(name: unknown, field = 'spec.signerName'): FieldError[] {
  if (typeof name !== 'string' || name === '') return [required(field)];
  const slash = name.indexOf('/');
  if (slash < 0) return [invalid(field, name, 'must be a fully qualified domain and path of the form \'example.com/signer-name\'')];
  const domain = name.slice(0, slash);
  const path = name.slice(slash + 1);
  const errs: FieldError[] = [];
  if (!domain.includes('.') || !DNS1123_SUBDOMAIN.test(domain) || domain.length > 253) {
    errs.push(invalid(field, name, 'the domain portion must be a fully qualified domain name, e.g. \'example.com\''));
  }
  if (path === '' || path.length > 63 + 253 || !/^[A-Za-z0-9]([-A-Za-z0-9_.\/]*[A-Za-z0-9])?$/.test(path)) {
    errs.push(invalid(field, name, 'the path portion must be a valid path segment, e.g. \'signer-name\''));
  }
  if (name.length > 571) errs.push(invalid(field, name, 'must be no more than 571 characters'));
  return errs;
}

export function validateCsr(obj: Obj): FieldError[] {
  const spec = (obj.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  const parsed = parseCsrRequest(spec.request);
  if ('error' in parsed) errs.push(parsed.error === 'required' ? required('spec.request') : invalid('spec.request', '<request>', parsed.error));
  errs.push(...validateSignerName(spec.signerName));
  const usages = spec.usages as unknown;
  if (!Array.isArray(usages) || usages.length === 0) {
    errs.push(required('spec.usages'));
  } else {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (typeof u !== 'string' || !KNOWN_USAGES.includes(u)) {
        errs.push({ type: 'FieldValueNotSupported', field: `spec.usages[${i}]`, message: `Unsupported value: ${JSON.stringify(u)}: supported values: ${KNOWN_USAGES.map((k) => JSON.stringify(k)).join(', ')}` });
      } else if (seen.has(u)) {
        errs.push({ type: 'FieldValueDuplicate', field: `spec.usages[${i}]`, message: `Duplicate value: ${JSON.stringify(u)}` });
      }
      if (typeof u === 'string') seen.add(u);
    });
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    const s = spec.expirationSeconds as unknown;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < MIN_EXPIRATION_SECONDS) {
      errs.push(invalid('spec.expirationSeconds', s, 'may not specify a duration less than 600 seconds (10 minutes)'));
    }
  }
  errs.push(...validateStatus(obj));
  return errs;
}

function validateStatus(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const conds = (obj.status?.conditions ?? []) as Obj[];
  if (!Array.isArray(conds)) return [invalid('status.conditions', conds, 'must be a list')];
  const seen = new Set<string>();
  conds.forEach((c, i) => {
    const f = `status.conditions[${i}]`;
    if (!c?.type) { errs.push(required(`${f}.type`)); return; }
    if (CONDITION_TYPES.includes(c.type as string)) {
      if (seen.has(c.type as string)) errs.push({ type: 'FieldValueDuplicate', field: `${f}.type`, message: `Duplicate value: ${JSON.stringify(c.type)}` });
      seen.add(c.type as string);
      if (c.status !== 'True') {
        errs.push({ type: 'FieldValueNotSupported', field: `${f}.status`, message: `Unsupported value: ${JSON.stringify(c.status ?? '')}: supported values: "True"` });
      }
    } else if (!['True', 'False', 'Unknown'].includes(c.status as string)) {
      errs.push({ type: 'FieldValueNotSupported', field: `${f}.status`, message: `Unsupported value: ${JSON.stringify(c.status ?? '')}: supported values: "False", "True", "Unknown"` });
    }
  });
  if (seen.has('Approved') && seen.has('Denied')) {
    errs.push(invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  }
  const cert = obj.status?.certificate as unknown;
  if (cert !== undefined && cert !== null && cert !== '') {
    const blocks = typeof cert === 'string' ? pemBlocks(Buffer.from(cert, 'base64').toString('utf8')) : [];
    if (blocks.length === 0) errs.push(invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    for (const b of blocks) {
      if (b.label !== 'CERTIFICATE') { errs.push(invalid('status.certificate', '<certificate data>', 'only CERTIFICATE PEM blocks are allowed, found ' + JSON.stringify(b.label))); break; }
      if (b.headers) { errs.push(invalid('status.certificate', '<certificate data>', 'no PEM block headers are permitted')); break; }
      try { new x509.X509Certificate(new Uint8Array(b.der)); } catch (e) {
        errs.push(invalid('status.certificate', '<certificate data>', `invalid certificate: ${(e as Error).message}`)); break;
      }
    }
  }
  return errs;
}

const hasCond = (o: Obj, type: string): boolean => ((o.status?.conditions ?? []) as Obj[]).some((c) => c?.type === type);

/** Updates (any subresource): the request's spec never changes, decisions and certificates stay. */
export function validateCsrUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateStatus(obj);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (hasCond(old, t) && !hasCond(obj, t)) errs.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  }
  const oldCert = old.status?.certificate as string | undefined;
  if (oldCert && obj.status?.certificate !== oldCert) errs.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  return errs;
}
