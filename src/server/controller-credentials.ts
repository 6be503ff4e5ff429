// Per-controller credentials for the in-process controller manager (upstream's
// --use-service-account-credentials): each controller talks to the API as the
// service account kube-system/<controller's account>, with a bound token this
// server mints with the cluster's service-account key, so RBAC's
// system:controller:<account> role is all it may do. Tokens last an hour and
// are re-minted well before they expire; the account is (re)created if missing.

import type { Logger } from 'pino';
import { ApiError } from '../base/errors.ts';
import { RestClient } from '../client/index.ts';
import type { Registry } from '../apiserver/registry/registry.ts';
import type { ServiceAccountTokens } from '../apiserver/auth/serviceaccount/tokens.ts';
import { controllerServiceAccount } from '../apiserver/auth/rbac/bootstrap-policy.ts';
import { systemContext } from './bootstrap.ts';

const TOKEN_TTL_S = 3600;
/** Re-mint when less than this is left. */
const REFRESH_BEFORE_MS = 15 * 60_000;

export class ControllerCredentials {
  private readonly clients = new Map<string, RestClient>();

  constructor(private readonly deps: {
    registry: Registry; tokens: ServiceAccountTokens; server: string; caPem: string; userAgent: string; logger: Logger;
  }) {}

  /** A client acting as the controller's service account (one per account, kept across leadership terms). */
  async clientFor(controller: string): Promise<RestClient> {
    const account = controllerServiceAccount(controller);
    const existing = this.clients.get(account);
    if (existing) return existing;
    let uid = await this.ensureAccount(account);
    let minted = this.mint(account, uid);
    const tokenSource = (): string => {
      if (minted.expiresAtMs - Date.now() < REFRESH_BEFORE_MS) minted = this.mint(account, uid);
      return minted.token;
    };
    const client = new RestClient({ server: this.deps.server, ca: this.deps.caPem, tokenSource }, {
      userAgent: `${this.deps.userAgent}/${account}`,
    });
    // Someone deleting the account must not leave the controller locked out until a restart.
    const watchdog = setInterval(() => {
      void this.ensureAccount(account).then((now) => {
        if (now !== uid) { uid = now; minted = this.mint(account, uid); }
      }, (err: unknown) => this.deps.logger.warn({ err, account }, 'could not check a controller service account'));
    }, 60_000);
    watchdog.unref();
    const close = client.close.bind(client);
    client.close = () => { clearInterval(watchdog); close(); };
    this.clients.set(account, client);
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private mint(account: string, uid: string): { token: string; expiresAtMs: number } {
    return this.deps.tokens.issue({ namespace: 'kube-system', serviceAccount: { name: account, uid } }, this.deps.tokens.apiAudiences, TOKEN_TTL_S, Date.now());
  }

  /** The account's UID, creating the account when missing. */
  private async ensureAccount(name: string): Promise<string> {
    const sas = this.deps.registry.rest('', 'v1', 'serviceaccounts')!;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return (await sas.get('kube-system', name)).metadata.uid as string;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      try {
        return (await sas.create('kube-system', { metadata: { name, namespace: 'kube-system' } }, systemContext())).metadata.uid as string;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
    throw new Error(`could not create the service account kube-system/${name}`);
  }
}
