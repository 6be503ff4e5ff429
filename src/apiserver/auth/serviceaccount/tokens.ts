// The cluster's service-account token service: one issuer, one signing key
// (the PKI's sa.key, ES256), the audiences the API server accepts. It issues
// bound tokens for the TokenRequest API and verifies them for authentication,
// TokenReview and the OIDC discovery documents.

import * as crypto from 'node:crypto';
import { buildClaims, type TokenSubject } from './claims.ts';
import { jwkOf, signJwt, algOf } from './jwt.ts';
import { ServiceAccountTokenAuthenticator, type ObjectGetter } from './authenticator.ts';

/** k3s's and kubeadm's default issuer. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountTokensOptions {
  signingKeyPem: string;
  issuer?: string;
  /** Accepted audiences (upstream --api-audiences); default [issuer]. */
  apiAudiences?: string[];
  /** Upstream --service-account-max-token-expiration; 0: no cap. */
  maxExpirationSeconds?: number;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: string[];
  readonly maxExpirationSeconds: number;
  private readonly signingKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;

  constructor(opts: ServiceAccountTokensOptions) {
    this.signingKey = crypto.createPrivateKey(opts.signingKeyPem);
    algOf(this.signingKey);
    this.publicKey = crypto.createPublicKey(this.signingKey);
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.apiAudiences = opts.apiAudiences?.length ? opts.apiAudiences : [this.issuer];
    this.maxExpirationSeconds = opts.maxExpirationSeconds ?? 0;
  }

  issue(subject: TokenSubject, audiences: string[], expirationSeconds: number, nowMs: number): { token: string; expiresAtMs: number } {
    const nowS = Math.floor(nowMs / 1000);
    const claims = buildClaims({ ...subject, issuer: this.issuer, audiences, nowS, expirationSeconds });
    return { token: signJwt(claims, this.signingKey), expiresAtMs: (nowS + expirationSeconds) * 1000 };
  }

  authenticator(getObject: ObjectGetter, now?: () => number): ServiceAccountTokenAuthenticator {
    return new ServiceAccountTokenAuthenticator({ keys: [this.publicKey], issuers: [this.issuer], audiences: this.apiAudiences, getObject, now });
  }

  /** /.well-known/openid-configuration, as upstream serves it. `jwksUri` is where /openid/v1/jwks is reached. */
  discoveryDocument(jwksUri: string): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [algOf(this.signingKey)],
    };
  }

  jwks(): { keys: Record<string, string>[] } {
    return { keys: [jwkOf(this.publicKey)] };
  }
}
