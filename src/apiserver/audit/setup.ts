// The audit flags → an Auditor. As upstream, events are written only with
// both a policy and a log path; either alone audits nothing (and says so).

import type { Logger } from 'pino';
import { Auditor } from './auditor.ts';
import { AuditLogWriter } from './log-writer.ts';
import { loadPolicy } from './policy.ts';

export interface AuditConfig {
  /** --audit-policy-file */
  policyFile?: string;
  /** --audit-log-path ("-": standard output) */
  logPath?: string;
  /** --audit-log-maxsize: megabytes before the file is rotated (0: 100). */
  maxSizeMB?: number;
  /** --audit-log-maxbackup: rotated files kept (0: all). */
  maxBackups?: number;
  /** --audit-log-maxage: days rotated files are kept (0: forever). */
  maxAgeDays?: number;
}

const ERROR_LOG_INTERVAL_MS = 10_000;

/** Throws on a bad policy file, so the server refuses to start. */
export function createAuditor(cfg: AuditConfig, logger: Logger): Auditor {
  const policy = cfg.policyFile !== undefined ? loadPolicy(cfg.policyFile) : undefined;
  if (policy && cfg.logPath === undefined) logger.warn('--audit-policy-file without --audit-log-path: no audit events are written');
  if (!policy && cfg.logPath !== undefined) logger.warn('--audit-log-path without --audit-policy-file: no audit events are written');
  if (!policy || cfg.logPath === undefined) return new Auditor({ logger });
  let lastError = 0;
  const sink = new AuditLogWriter(cfg.logPath, {
    maxSizeBytes: (cfg.maxSizeMB ?? 0) * 1024 * 1024, maxBackups: cfg.maxBackups ?? 0, maxAgeDays: cfg.maxAgeDays ?? 0,
    onError: (err) => {
      // A full disk fails every write: say so, but not thousands of times a second.
      const now = Date.now();
      if (now - lastError < ERROR_LOG_INTERVAL_MS) return;
      lastError = now;
      logger.error({ err, path: cfg.logPath }, 'writing the audit log failed; events are being dropped');
    },
  });
  return new Auditor({ policy, sink, logger });
}
