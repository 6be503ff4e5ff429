// Upstream's EncryptionConfiguration (apiserver.config.k8s.io/v1), the file
// behind --encryption-provider-config: which resources are encrypted at rest,
// with which providers and keys. A resource's transformer is found as
// upstream finds it: its exact name (`secrets`, `deployments.apps`), then its
// group's wildcard (`*.apps`, `*.` for the core group), then `*.*`; when a
// resource is named by several entries, the first entry wins. Resources no
// entry names are stored as plain JSON.

import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { aescbcProvider, aesgcmProvider, secretboxProvider, type KeyedProvider } from './providers.ts';
import { PrefixTransformer, type ProviderEntry, type ValueTransformer } from './transformer.ts';

export const ENCRYPTION_API_VERSION = 'apiserver.config.k8s.io/v1';

export class EncryptionConfig {
  constructor(private readonly byResource: Map<string, ValueTransformer>) {}

  /** The transformer for a stored resource (its storage group and plural), or undefined: plain JSON. */
  transformerFor(group: string, resource: string): ValueTransformer | undefined {
    return this.byResource.get(`${resource}.${group}`) ?? this.byResource.get(`*.${group}`) ?? this.byResource.get('*.*');
  }

  /** The configured resource names, normalised (`secrets.`, `*.apps`, `*.*`), for logs. */
  resources(): string[] { return [...this.byResource.keys()]; }
}

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw { return typeof v === 'object' && v !== null && !Array.isArray(v); }

/** `secrets` → `secrets.` (core), `deployments.apps` stays, `*.` and `*.*` stay. */
function normaliseResource(r: string, where: string): string {
  if (r === '' || /\s/.test(r)) throw new Error(`${where}: invalid resource name ${JSON.stringify(r)}`);
  if (r === '*') throw new Error(`${where}: "*" is not a resource; use "*." for every core resource or "*.*" for all resources`);
  const dot = r.indexOf('.');
  const name = dot < 0 ? r : r.slice(0, dot);
  const group = dot < 0 ? '' : r.slice(dot + 1);
  if (group === '*' && name !== '*') throw new Error(`${where}: ${JSON.stringify(r)}: a group wildcard needs a resource wildcard ("*.*")`);
  return `${name}.${group}`;
}

function decodeSecret(s: unknown, where: string): Buffer {
  if (typeof s !== 'string' || s === '') throw new Error(`${where}.secret is required`);
  const b = Buffer.from(s, 'base64');
  // Buffer.from ignores junk; compare without padding to catch it.
  if (b.toString('base64').replace(/=+$/, '') !== s.trim().replace(/=+$/, '')) throw new Error(`${where}.secret is not valid base64`);
  return b;
}

function keyedProviders(type: 'aesgcm' | 'aescbc' | 'secretbox', cfg: unknown, where: string): KeyedProvider[] {
  if (!isObject(cfg) || !Array.isArray(cfg.keys) || cfg.keys.length === 0) throw new Error(`${where}.keys: at least one key is required`);
  const seen = new Set<string>();
  return cfg.keys.map((k: unknown, i: number) => {
    const kw = `${where}.keys[${i}]`;
    if (!isObject(k) || typeof k.name !== 'string' || k.name === '') throw new Error(`${kw}.name is required`);
    if (k.name.includes(':')) throw new Error(`${kw}.name must not contain ":"`);
    if (seen.has(k.name)) throw new Error(`${kw}.name: duplicate key name ${JSON.stringify(k.name)}`);
    seen.add(k.name);
    const secret = decodeSecret(k.secret, kw);
    try {
      if (type === 'aesgcm') return aesgcmProvider(k.name, secret);
      if (type === 'aescbc') return aescbcProvider(k.name, secret);
      return secretboxProvider(k.name, secret);
    } catch (e) {
      throw new Error(`${kw}.secret: ${(e as Error).message}`);
    }
  });
}

function providerEntries(p: unknown, where: string): ProviderEntry[] {
  if (!isObject(p)) throw new Error(`${where}: a provider must be an object`);
  const types = Object.keys(p);
  if (types.length !== 1) throw new Error(`${where}: exactly one provider type is required, found ${types.length ? types.join(', ') : 'none'}`);
  const t = types[0];
  switch (t) {
    case 'identity': return [{ type: 'identity' }];
    case 'aesgcm': case 'aescbc': case 'secretbox': return keyedProviders(t, p[t], `${where}.${t}`);
    case 'kms': throw new Error(`${where}: the kms provider is not supported`);
    default: throw new Error(`${where}: unknown provider type ${JSON.stringify(t)}`);
  }
}

/** Parses and validates an EncryptionConfiguration document (YAML or JSON). */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`not valid YAML: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new Error('not an EncryptionConfiguration');
  if (doc.kind !== 'EncryptionConfiguration' || doc.apiVersion !== ENCRYPTION_API_VERSION) {
    throw new Error(`expected kind EncryptionConfiguration and apiVersion ${ENCRYPTION_API_VERSION}, got kind ${String(doc.kind)}, apiVersion ${String(doc.apiVersion)}`);
  }
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw new Error('resources: at least one entry is required');
  const byResource = new Map<string, ValueTransformer>();
  doc.resources.forEach((entry: unknown, i: number) => {
    const where = `resources[${i}]`;
    if (!isObject(entry) || !Array.isArray(entry.resources) || entry.resources.length === 0) throw new Error(`${where}.resources: at least one resource is required`);
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) throw new Error(`${where}.providers: at least one provider is required`);
    const transformer = new PrefixTransformer(entry.providers.flatMap((p: unknown, j: number) => providerEntries(p, `${where}.providers[${j}]`)));
    for (const [j, r] of (entry.resources as unknown[]).entries()) {
      if (typeof r !== 'string') throw new Error(`${where}.resources[${j}] must be a string`);
      const name = normaliseResource(r.toLowerCase(), `${where}.resources[${j}]`);
      if (!byResource.has(name)) byResource.set(name, transformer);
    }
  });
  return new EncryptionConfig(byResource);
}

export function loadEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--encryption-provider-config: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseEncryptionConfig(text);
  } catch (e) {
    throw new Error(`--encryption-provider-config ${file}: ${(e as Error).message}`);
  }
}
