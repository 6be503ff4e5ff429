// Image references and pull credentials: the pull policy a container gets
// when it has none, and the registry credentials imagePullSecrets give for an
// image's registry (kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg).

import type { Container, Secret } from 'kubernetes-types/core/v1.js';
import type { AuthConfig } from './cri/types.ts';

/** Upstream's default: Always for `:latest` or no tag, IfNotPresent otherwise. */
export function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy === 'Always' || c.imagePullPolicy === 'IfNotPresent' || c.imagePullPolicy === 'Never') return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon === -1 ? '' : image.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The registry host of an image reference, as Docker normalises it (docker.io when none). */
export function registryHost(image: string): string {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

interface DockerAuth { username?: string; password?: string; auth?: string; identitytoken?: string; registrytoken?: string }

function hostOf(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  k = k.split('/')[0];
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? 'docker.io' : k;
}

/** Credentials for `image` from the pod's pull secrets, in the order given; [] when none match. */
export function pullAuths(image: string, secrets: readonly Secret[]): AuthConfig[] {
  const host = registryHost(image);
  const out: AuthConfig[] = [];
  for (const s of secrets) {
    let auths: Record<string, DockerAuth> = {};
    try {
      if (s.type === 'kubernetes.io/dockerconfigjson' && s.data?.['.dockerconfigjson']) {
        auths = (JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString('utf8')) as { auths?: Record<string, DockerAuth> }).auths ?? {};
      } else if (s.type === 'kubernetes.io/dockercfg' && s.data?.['.dockercfg']) {
        auths = JSON.parse(Buffer.from(s.data['.dockercfg'], 'base64').toString('utf8')) as Record<string, DockerAuth>;
      }
    } catch { continue; /* a malformed secret gives no credentials, like upstream */ }
    for (const [key, a] of Object.entries(auths)) {
      if (hostOf(key) !== host) continue;
      let { username, password } = a;
      if ((!username || !password) && a.auth) {
        const dec = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = dec.indexOf(':');
        if (i > 0) { username = dec.slice(0, i); password = dec.slice(i + 1); }
      }
      out.push({ username, password, serverAddress: host, identityToken: a.identitytoken, registryToken: a.registrytoken });
    }
  }
  return out;
}
