// The audit.k8s.io/v1 Event as upstream writes it (one JSON object a line),
// and the small helpers that fill it.

import type { IncomingMessage } from 'node:http';
import type { Level, Stage } from './policy.ts';

export interface AuditUser { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }

export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code?: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** Microseconds since the epoch (Date has milliseconds only). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** RFC 3339 with microseconds, as upstream's MicroTime: 2026-01-02T15:04:05.123456Z. */
export function microTime(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, frac: string) => `.${frac}${String(us % 1000).padStart(3, '0')}Z`);
}

/** The client's addresses as upstream lists them: X-Forwarded-For, X-Real-Ip, then the peer. */
export function sourceIPs(req: IncomingMessage): string[] {
  const ips: string[] = [];
  const add = (ip: string | undefined): void => {
    const v = ip?.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    if (v && !ips.includes(v)) ips.push(v);
  };
  const xff = req.headers['x-forwarded-for'];
  for (const part of (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',')) add(part);
  const real = req.headers['x-real-ip'];
  add(Array.isArray(real) ? real[0] : real);
  add(req.socket?.remoteAddress);
  return ips;
}

export function auditUser(u: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }): AuditUser {
  return { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups], ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}) };
}
