// The encryption-at-rest providers of upstream's EncryptionConfiguration, one
// key each. A stored value reads `k8s:enc:<provider>:v1:<key name>:<payload>`
// (upstream's envelope prefix, so values written by either are recognisable);
// the payload layouts match upstream's too:
//   aesgcm    12-byte random nonce ‖ ciphertext ‖ 16-byte tag; AAD = the storage key
//   aescbc    16-byte random IV ‖ AES-CBC ciphertext with PKCS#7 padding (no AAD)
//   secretbox 24-byte random nonce ‖ XSalsa20-Poly1305 box (no AAD)
// Binding the storage key into AES-GCM means a ciphertext copied to another
// key (e.g. another Secret's) does not decrypt.

import * as crypto from 'node:crypto';
import nacl from 'tweetnacl';

export type ProviderType = 'aesgcm' | 'aescbc' | 'secretbox';

/** One provider with one key: seals and opens the payload after the prefix. */
export interface KeyedProvider {
  type: ProviderType;
  keyName: string;
  /** `k8s:enc:<type>:v1:<keyName>:` */
  prefix: Buffer;
  seal(plain: Uint8Array, storageKey: string): Buffer;
  /** Throws when the key is wrong or the payload corrupt. */
  open(payload: Uint8Array, storageKey: string): Buffer;
}

export function envelopePrefix(type: ProviderType, keyName: string): Buffer {
  return Buffer.from(`k8s:enc:${type}:v1:${keyName}:`);
}

const GCM_NONCE = 12;
const GCM_TAG = 16;
const CBC_IV = 16;

export function aesgcmProvider(keyName: string, key: Buffer): KeyedProvider {
  if (![16, 24, 32].includes(key.length)) throw new Error(`aesgcm key ${keyName} must be 16, 24 or 32 bytes, got ${key.length}`);
  const algo = `aes-${key.length * 8}-gcm` as crypto.CipherGCMTypes;
  return {
    type: 'aesgcm', keyName, prefix: envelopePrefix('aesgcm', keyName),
    seal(plain, storageKey) {
      const nonce = crypto.randomBytes(GCM_NONCE);
      const c = crypto.createCipheriv(algo, key, nonce, { authTagLength: GCM_TAG });
      c.setAAD(Buffer.from(storageKey));
      return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
    },
    open(payload, storageKey) {
      if (payload.length < GCM_NONCE + GCM_TAG) throw new Error('the stored data was shorter than the required size');
      const p = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const d = crypto.createDecipheriv(algo, key, p.subarray(0, GCM_NONCE), { authTagLength: GCM_TAG });
      d.setAAD(Buffer.from(storageKey));
      d.setAuthTag(p.subarray(p.length - GCM_TAG));
      return Buffer.concat([d.update(p.subarray(GCM_NONCE, p.length - GCM_TAG)), d.final()]);
    },
  };
}

export function aescbcProvider(keyName: string, key: Buffer): KeyedProvider {
  // Upstream's docs ask for 32 bytes; its code accepts any AES key size, so do we.
  if (![16, 24, 32].includes(key.length)) throw new Error(`aescbc key ${keyName} must be 16, 24 or 32 bytes, got ${key.length}`);
  const algo = `aes-${key.length * 8}-cbc`;
  return {
    type: 'aescbc', keyName, prefix: envelopePrefix('aescbc', keyName),
    seal(plain) {
      const iv = crypto.randomBytes(CBC_IV);
      const c = crypto.createCipheriv(algo, key, iv); // PKCS#7 padding is node's default
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open(payload) {
      if (payload.length < CBC_IV * 2 || (payload.length - CBC_IV) % CBC_IV !== 0) {
        throw new Error('the stored data is not a multiple of the block size');
      }
      const p = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const d = crypto.createDecipheriv(algo, key, p.subarray(0, CBC_IV));
      try {
        return Buffer.concat([d.update(p.subarray(CBC_IV)), d.final()]);
      } catch {
        // A wrong key almost always shows up as bad padding.
        throw new Error('invalid PKCS7 data (empty or not padded)');
      }
    },
  };
}

export function secretboxProvider(keyName: string, key: Buffer): KeyedProvider {
  if (key.length !== nacl.secretbox.keyLength) throw new Error(`secretbox key ${keyName} must be 32 bytes, got ${key.length}`);
  const k = new Uint8Array(key);
  return {
    type: 'secretbox', keyName, prefix: envelopePrefix('secretbox', keyName),
    seal(plain) {
      const nonce = nacl.randomBytes(nacl.secretbox.nonceLength);
      return Buffer.concat([nonce, nacl.secretbox(new Uint8Array(plain), nonce, k)]);
    },
    open(payload) {
      const n = nacl.secretbox.nonceLength;
      if (payload.length < n + nacl.secretbox.overheadLength) throw new Error('the stored data was shorter than the required size');
      const out = nacl.secretbox.open(new Uint8Array(payload.subarray(n)), new Uint8Array(payload.subarray(0, n)), k);
      if (!out) throw new Error('decryption failed: wrong key or corrupt data');
      return Buffer.from(out);
    },
  };
}
