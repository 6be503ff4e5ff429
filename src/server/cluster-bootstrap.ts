// Several `pilot server`s on one datastore serve one cluster only if they share its
// CA and service-account keys. As k3s does with its "bootstrap data", the first
// server started with `--token` stores them in the datastore, encrypted with a key
// derived from the token; every later server with the same token loads them, and
// then issues its own serving and admin certificates from that CA (pki.ts).
//
// The blob lives outside /registry/ (no resource's list or watch ever sees it) and
// is written once, create-if-absent: two servers starting at once both try, the
// loser reads and uses the winner's. A wrong token fails to decrypt (AES-GCM is
// authenticated), which stops the server: it never falls back to a CA of its own.
//
// Format (JSON, so `etcdctl get /pilot/bootstrap` shows what it is):
//   { format: "pilot-bootstrap/v1",
//     kdf: { name: "scrypt", N, r, p, salt },         salt: 16 random bytes, base64
//     cipher: "aes-256-gcm", nonce, tag, ciphertext }  nonce: 12 random bytes, base64
// The plaintext is the JSON of ClusterSecrets. The format string is authenticated
// data, so a blob cannot be replayed under another format's rules.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { StoreError, type Store } from '../storage/store.ts';
import type { ClusterSecrets, SharedSecrets } from './pki.ts';

/** Where the encrypted bootstrap data lives in the datastore. */
export const BOOTSTRAP_KEY = '/pilot/bootstrap';
const FORMAT = 'pilot-bootstrap/v1';

/** scrypt cost: ~0.1 s and 32 MiB per derivation, once per server start. Stored in
 *  each blob, so a later change of these leaves existing clusters readable. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;

interface Blob {
  format: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  nonce: string;
  tag: string;
  ciphertext: string;
}

/** A token that does not open the stored bootstrap data, or data that is not ours. */
export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootstrapError';
  }
}

function deriveKey(token: string, salt: Buffer, k: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes, just over Node's 32 MiB default at N = 2^15.
    crypto.scrypt(token, salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r + (1 << 20) }, (err, key) => {
      if (err) reject(err); else resolve(key);
    });
  });
}

function checkToken(token: string): void {
  if (token.length === 0) throw new BootstrapError('the cluster token must not be empty');
}

/** Encrypts the cluster's secrets with a key derived from `token`. */
export async function sealSecrets(secrets: ClusterSecrets, token: string): Promise<Uint8Array> {
  checkToken(token);
  const salt = crypto.randomBytes(16);
  const nonce = crypto.randomBytes(12);
  const key = await deriveKey(token, salt, SCRYPT);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(FORMAT, 'utf8'));
  const plain: ClusterSecrets = { caCertPem: secrets.caCertPem, caKeyPem: secrets.caKeyPem, saPrivateKeyPem: secrets.saPrivateKeyPem };
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  const blob: Blob = {
    format: FORMAT,
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    nonce: nonce.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
  return Buffer.from(JSON.stringify(blob), 'utf8');
}

/** Decrypts what sealSecrets made; a BootstrapError when `token` is not the one it was sealed with. */
export async function openSecrets(data: Uint8Array, token: string): Promise<ClusterSecrets> {
  checkToken(token);
  let blob: Blob;
  try {
    blob = JSON.parse(Buffer.from(data).toString('utf8')) as Blob;
  } catch {
    throw new BootstrapError(`the datastore's ${BOOTSTRAP_KEY} is not Pilot bootstrap data (not JSON)`);
  }
  if (blob?.format !== FORMAT || blob.kdf?.name !== 'scrypt' || blob.cipher !== 'aes-256-gcm') {
    throw new BootstrapError(`the datastore's ${BOOTSTRAP_KEY} has an unknown format (${String(blob?.format)}): written by a newer Pilot?`);
  }
  const { N, r, p } = blob.kdf;
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1 << 20 || r * p > 64) {
    throw new BootstrapError(`the datastore's ${BOOTSTRAP_KEY} has unusable key-derivation parameters`);
  }
  const key = await deriveKey(token, Buffer.from(blob.kdf.salt, 'base64'), { N, r, p });
  let plain: string;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(blob.nonce, 'base64'));
    decipher.setAAD(Buffer.from(FORMAT, 'utf8'));
    decipher.setAuthTag(Buffer.from(blob.tag, 'base64'));
    plain = Buffer.concat([decipher.update(Buffer.from(blob.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new BootstrapError(
      'the cluster token does not match: the datastore holds the CA and keys of a cluster created with a different ' +
      '--token. Start this server with the token the cluster\'s first server was given.');
  }
  const s = JSON.parse(plain) as Partial<ClusterSecrets>;
  if (typeof s.caCertPem !== 'string' || typeof s.caKeyPem !== 'string' || typeof s.saPrivateKeyPem !== 'string') {
    throw new BootstrapError(`the datastore's ${BOOTSTRAP_KEY} decrypts, but lacks the CA or service-account key`);
  }
  return { caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, saPrivateKeyPem: s.saPrivateKeyPem };
}

/** The cluster's secrets in `store` under BOOTSTRAP_KEY, sealed with `token`: the `shared` source of ensurePki. */
export function storeSharedSecrets(store: Store, token: string, key: string = BOOTSTRAP_KEY): SharedSecrets {
  checkToken(token);
  return {
    async load() {
      const kv = await store.get(key);
      return kv ? openSecrets(kv.value, token) : undefined;
    },
    async publish(secrets) {
      const sealed = await sealSecrets(secrets, token);
      try {
        await store.create(key, sealed);
        return secrets;
      } catch (e) {
        // Another server started at the same moment and won: its secrets are the cluster's.
        if (e instanceof StoreError && e.code === 'KeyExists' && e.current) return openSecrets(e.current.value, token);
        throw e;
      }
    },
  };
}

/**
 * A server started without a token on a datastore that already holds bootstrap data
 * would make a CA of its own: a second, separate trust root over the same objects.
 * Refuse instead, and say what to do.
 */
export async function refuseUnsharedStart(store: Store, key: string = BOOTSTRAP_KEY): Promise<void> {
  if (await store.get(key)) {
    throw new BootstrapError(
      'this datastore belongs to a cluster whose servers share a CA (it holds bootstrap data): ' +
      'start this server with the cluster\'s --token (or --token-file) to join it');
  }
}

/** The token in a --token-file: its first line, surrounding whitespace removed. */
export function readTokenFile(file: string): string {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new BootstrapError(`cannot read --token-file ${file}: ${(e as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (!token) throw new BootstrapError(`--token-file ${file} is empty`);
  return token;
}
