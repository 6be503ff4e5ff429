// ConfigMaps, Secrets and ServiceAccounts.

import { type Errs, key, invalid, required, forbidden, tooLong, isObj, obj, str, semanticEqual, FIELD_IMMUTABLE } from './field.ts';
import { nameIsDNSSubdomain, configMapKeyErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';

export const MAX_SECRET_SIZE = 1024 * 1024;
const IMMUTABLE_SET = 'field is immutable when `immutable` is set';

/** Decoded size of a base64 value (Secret data and ConfigMap binaryData are base64 in JSON). */
function base64Size(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const clean = v.replace(/\s/g, '');
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

export function validateConfigMap(cm: any): Errs {
  const errs = validateObjectMeta(cm?.metadata, true, nameIsDNSSubdomain);
  let size = 0;
  const data = obj(cm?.data);
  const binary = obj(cm?.binaryData);
  for (const [k, v] of Object.entries(data)) {
    for (const m of configMapKeyErrors(k)) errs.push(invalid(key('data', k), k, m));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of configMapKeyErrors(k)) errs.push(invalid(key('binaryData', k), k, m));
    size += base64Size(v);
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(cm?.metadata, old?.metadata);
  if (old?.immutable === true) {
    if (cm?.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_SET));
    if (!semanticEqual(cm?.data, old?.data)) errs.push(forbidden('data', IMMUTABLE_SET));
    if (!semanticEqual(cm?.binaryData, old?.binaryData)) errs.push(forbidden('binaryData', IMMUTABLE_SET));
  }
  errs.push(...validateConfigMap(cm));
  return errs;
}

function isJSONObject(b64: unknown): string | undefined {
  try {
    const text = Buffer.from(str(b64), 'base64').toString('utf8');
    const v = JSON.parse(text);
    return isObj(v) ? undefined : `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export function validateSecret(s: any): Errs {
  const errs = validateObjectMeta(s?.metadata, true, nameIsDNSSubdomain);
  const data = obj(s?.data);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of configMapKeyErrors(k)) errs.push(invalid(key('data', k), k, m));
    size += base64Size(v);
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string) => k in data;
  switch (str(s?.type)) {
    case 'kubernetes.io/service-account-token':
      if (!str(obj(s?.metadata?.annotations)['kubernetes.io/service-account.name'])) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) { errs.push(required('data[.dockercfg]')); break; }
      { const e = isJSONObject(data['.dockercfg']); if (e) errs.push(invalid('data[.dockercfg]', '<secret contents redacted>', e)); }
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) { errs.push(required('data[.dockerconfigjson]')); break; }
      { const e = isJSONObject(data['.dockerconfigjson']); if (e) errs.push(invalid('data[.dockerconfigjson]', '<secret contents redacted>', e)); }
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required('data[username]'), required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!base64Size(data['ssh-privatekey'])) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      break;
  }
  return errs;
}

export function validateSecretUpdate(s: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(s?.metadata, old?.metadata);
  if (str(s?.type) !== str(old?.type)) errs.push(invalid('type', str(s?.type), FIELD_IMMUTABLE));
  if (old?.immutable === true) {
    if (s?.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_SET));
    if (!semanticEqual(s?.data, old?.data)) errs.push(forbidden('data', IMMUTABLE_SET));
  }
  errs.push(...validateSecret(s));
  return errs;
}

export function validateServiceAccount(sa: any): Errs {
  return validateObjectMeta(sa?.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(sa: any, old: any): Errs {
  return [...validateObjectMetaUpdate(sa?.metadata, old?.metadata), ...validateServiceAccount(sa)];
}
