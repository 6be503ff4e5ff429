// Turning what the server answered into the ApiError the server meant, so
// callers test `e.code === 409` or `e.reason === 'AlreadyExists'` exactly as
// server code does.

import * as http from 'node:http';
import { ApiError, type StatusReason } from '../base/errors.ts';

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Gone', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

interface StatusLike { kind?: unknown; code?: unknown; reason?: unknown; message?: unknown; details?: unknown }

function isStatus(v: unknown): v is StatusLike {
  return !!v && typeof v === 'object' && (v as StatusLike).kind === 'Status';
}

/** An ApiError from a Status object (a response body or a watch ERROR event). */
export function errorFromStatus(status: unknown, fallbackCode = 500): ApiError {
  if (!isStatus(status)) return new ApiError(fallbackCode, REASON_BY_CODE[fallbackCode] ?? '', http.STATUS_CODES[fallbackCode] ?? 'unknown error');
  const code = typeof status.code === 'number' && status.code > 0 ? status.code : fallbackCode;
  const reason = (typeof status.reason === 'string' ? status.reason : REASON_BY_CODE[code] ?? '') as StatusReason;
  const message = typeof status.message === 'string' ? status.message : (http.STATUS_CODES[code] ?? 'unknown error');
  return new ApiError(code, reason, message, status.details as ApiError['details']);
}

/** An ApiError for a failed HTTP response, from its body (a Status, or anything else). */
export function errorFromResponse(code: number, body: string, headers: Record<string, string | string[] | undefined> = {}): ApiError {
  let parsed: unknown;
  try { parsed = body ? JSON.parse(body) : undefined; } catch { parsed = undefined; }
  if (isStatus(parsed)) return errorFromStatus(parsed, code);
  const retryAfter = headers['retry-after'];
  const text = body.trim() || http.STATUS_CODES[code] || 'unknown error';
  return new ApiError(code, REASON_BY_CODE[code] ?? '', `the server responded with ${code}: ${text}`,
    typeof retryAfter === 'string' && /^\d+$/.test(retryAfter) ? { retryAfterSeconds: Number(retryAfter) } : undefined);
}

/** A watch or list that asked for history the server no longer has: relist. */
export function isExpired(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 410;
}

export function isNotFound(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 404;
}

export function isConflict(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
}

export function isAlreadyExists(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
}
