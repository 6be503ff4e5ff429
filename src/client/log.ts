// The little logging the client machinery does (watch failures, handler
// exceptions). A pino Logger fits; the default writes warnings to stderr.

import pino from 'pino';

export interface ClientLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

let fallback: ClientLogger | undefined;

/** One shared stderr logger at PILOT_CLIENT_LOG_LEVEL (default warn), made on first use. */
export function defaultLogger(): ClientLogger {
  fallback ??= pino({ level: process.env.PILOT_CLIENT_LOG_LEVEL ?? 'warn', base: { component: 'client' } }, pino.destination(2));
  return fallback;
}
