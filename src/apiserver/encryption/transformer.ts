// The seam between the registry and encryption at rest: a ValueTransformer
// turns an encoded object into what the store keeps and back. One resource's
// transformer is its ordered provider list from the EncryptionConfiguration:
// the first provider writes; a read tries every provider whose prefix the
// stored value carries (identity, with no prefix, reads plain JSON). A value
// read by anything but the first provider is "stale": the registry rewrites it
// on the next update even when nothing changed, which is how key rotation
// works (`kubectl get secrets -A -o json | kubectl replace -f -`).

import type { KeyedProvider } from './providers.ts';

export interface ValueTransformer {
  toStorage(plain: Uint8Array, storageKey: string): Uint8Array;
  /** Throws (with a message naming what failed) when no provider can read the value. */
  fromStorage(stored: Uint8Array, storageKey: string): { data: Uint8Array; stale: boolean };
}

/** A provider of the list: one of the keyed ones, or identity (plain data). */
export type ProviderEntry = KeyedProvider | { type: 'identity' };

const ENCRYPTED_MARK = Buffer.from('k8s:enc:');

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export class PrefixTransformer implements ValueTransformer {
  constructor(private readonly providers: ProviderEntry[]) {
    if (!providers.length) throw new Error('a resource needs at least one provider');
  }

  toStorage(plain: Uint8Array, storageKey: string): Uint8Array {
    const first = this.providers[0];
    if (first.type === 'identity') return plain;
    return Buffer.concat([first.prefix, first.seal(plain, storageKey)]);
  }

  fromStorage(stored: Uint8Array, storageKey: string): { data: Uint8Array; stale: boolean } {
    const errors: string[] = [];
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i];
      if (p.type === 'identity') {
        // Identity must not hand encrypted bytes on as if they were the object.
        if (startsWith(stored, ENCRYPTED_MARK)) continue;
        return { data: stored, stale: i !== 0 };
      }
      if (!startsWith(stored, p.prefix)) continue;
      try {
        return { data: p.open(stored.subarray(p.prefix.length), storageKey), stale: i !== 0 };
      } catch (e) {
        errors.push(`${p.type} key ${JSON.stringify(p.keyName)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length) throw new Error(`failed to decrypt: ${errors.join('; ')}`);
    if (startsWith(stored, ENCRYPTED_MARK)) {
      const end = Buffer.from(stored.subarray(0, 64)).toString('latin1').split(':').slice(0, 5).join(':');
      throw new Error(`no matching prefix found: the value is encrypted with ${end}:, which is not in the encryption configuration`);
    }
    throw new Error('no matching prefix found: the value is not encrypted and identity is not a provider for this resource');
  }
}
