// `pilot token create|list|delete`: bootstrap tokens for joining nodes, as
// `kubeadm token` manages them (Secrets bootstrap-token-<id> in kube-system),
// through the API with the admin kubeconfig.

import * as path from 'node:path';
import { Command } from 'commander';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { isNotFound, loadKubeconfig, RestClient } from '../client/index.ts';
import { defaultDataDir } from '../server/defaults.ts';
import { caCertHash } from '../agent/bootstrap/discovery.ts';
import {
  BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_TYPE, KEYS, PILOT_DEFAULT_NODE_TOKEN_GROUP, expirationOf, generateToken,
  isValidTokenId, parseToken, rfc3339, secretName, secretValue, tokenSecret, validateExtraGroup,
} from '../apiserver/auth/bootstrap/token.ts';
import { humanDuration } from '../api/printers/duration.ts';
import { parseDuration, parseList } from './flags.ts';

interface Common { dataDir: string; kubeconfig?: string }

function clientOf(o: Common): { client: RestClient; server: string; caPem?: string } {
  const cfg = loadKubeconfig(o.kubeconfig ?? path.join(o.dataDir, 'admin.kubeconfig'));
  return { client: new RestClient(cfg, { userAgent: `pilot-token/0.1.0 (${process.platform}/${process.arch})` }), server: cfg.server, caPem: cfg.ca };
}

const withCommon = (c: Command): Command => c
  .option('--data-dir <dir>', 'where the server keeps admin.kubeconfig', defaultDataDir())
  .option('--kubeconfig <file>', 'credentials and server (default: <data-dir>/admin.kubeconfig)');

export function tokenCommand(): Command {
  const token = new Command('token').description('manage bootstrap tokens: the credentials new nodes join with');

  token.addCommand(withCommon(new Command('create'))
    .description('create a bootstrap token and print it with the command that joins a node')
    .argument('[token]', 'the token to create (<6 [a-z0-9]>.<16 [a-z0-9]>); generated when left out')
    .option('--ttl <duration>', 'how long the token is valid (0: forever)', '24h')
    .option('--description <text>', 'a note on what the token is for')
    .option('--groups <groups>', 'extra groups the token authenticates with, comma-separated (each under system:bootstrappers:)', PILOT_DEFAULT_NODE_TOKEN_GROUP)
    .option('--usages <usages>', 'what the token may be used for, comma-separated (authentication,signing)', 'authentication,signing')
    .action(async (given: string | undefined, o: Common & { ttl: string; description?: string; groups: string; usages: string }) => {
      const parts = given !== undefined ? parseToken(given) : generateToken();
      if (!parts) throw new Error(`the token ${JSON.stringify(given)} is not of the form [a-z0-9]{6}.[a-z0-9]{16}`);
      const ttlMs = parseDuration(o.ttl);
      const groups = parseList(o.groups);
      for (const g of groups) {
        const err = validateExtraGroup(g);
        if (err) throw new Error(`invalid --groups ${err}`);
      }
      const usages = parseList(o.usages);
      for (const u of usages) if (u !== 'authentication' && u !== 'signing') throw new Error(`invalid --usages ${JSON.stringify(u)}: want authentication and/or signing`);
      const { client, server, caPem } = clientOf(o);
      try {
        const secret = tokenSecret(parts, {
          expiresAtMs: ttlMs > 0 ? Date.now() + ttlMs : undefined, description: o.description, extraGroups: groups,
          usages: usages as ('authentication' | 'signing')[],
        });
        await client.resource<Secret>('v1', 'Secret').namespace(BOOTSTRAP_TOKEN_NAMESPACE).create(secret as Secret);
        const tokenText = `${parts.id}.${parts.secret}`;
        process.stdout.write(`${tokenText}\n`);
        const hash = caPem ? ` --ca-cert-hash ${caCertHash(caPem)}` : '';
        process.stdout.write(`Join a node with:\n  pilot agent --server ${server} --token ${tokenText}${hash}\n`);
      } finally {
        client.close();
      }
    }));

  token.addCommand(withCommon(new Command('list'))
    .description('list bootstrap tokens')
    .action(async (o: Common) => {
      const { client } = clientOf(o);
      try {
        const list = await client.resource<Secret>('v1', 'Secret').namespace(BOOTSTRAP_TOKEN_NAMESPACE)
          .list({ fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` });
        process.stdout.write(formatTokenTable(list.items, Date.now()));
      } finally {
        client.close();
      }
    }));

  token.addCommand(withCommon(new Command('delete'))
    .description('delete bootstrap tokens (by id or whole token): nodes can no longer join with them')
    .argument('<tokens...>', 'token ids or tokens')
    .action(async (ids: string[], o: Common) => {
      const { client } = clientOf(o);
      try {
        const secrets = client.resource<Secret>('v1', 'Secret').namespace(BOOTSTRAP_TOKEN_NAMESPACE);
        for (const given of ids) {
          const id = parseToken(given)?.id ?? given;
          if (!isValidTokenId(id)) throw new Error(`${JSON.stringify(given)} is not a token id ([a-z0-9]{6}) or a token`);
          try {
            await secrets.delete(secretName(id));
          } catch (e) {
            if (isNotFound(e)) throw new Error(`bootstrap token ${JSON.stringify(id)} not found`);
            throw e;
          }
          process.stdout.write(`bootstrap token "${id}" deleted\n`);
        }
      } finally {
        client.close();
      }
    }));
  return token;
}

/** kubeadm token list's table: TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS. */
export function formatTokenTable(secrets: Secret[], now: number): string {
  const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
  for (const s of secrets) {
    const id = secretValue(s, KEYS.tokenId);
    const sec = secretValue(s, KEYS.tokenSecret);
    if (!id || !sec || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) continue;
    const exp = expirationOf(s);
    const ttl = exp === undefined ? '<forever>' : Number.isNaN(exp) ? '<invalid>' : exp <= now ? '<invalid>' : humanDuration(exp - now);
    const usages = Object.entries(s.data ?? {})
      .filter(([k, v]) => k.startsWith('usage-bootstrap-') && Buffer.from(v, 'base64').toString() === 'true')
      .map(([k]) => k.slice('usage-bootstrap-'.length)).sort();
    rows.push([`${id}.${sec}`, ttl, exp === undefined ? '<never>' : Number.isNaN(exp) ? '<invalid>' : rfc3339(exp),
      usages.join(',') || '<none>', secretValue(s, KEYS.description) || '<none>', secretValue(s, KEYS.extraGroups) || '<none>']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
