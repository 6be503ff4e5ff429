// One error type for everything the API can answer with. It renders a
// Kubernetes `Status` object, so every failure a client sees has the same shape
// kubectl knows how to print: `Error from server (<Reason>): <message>`.

export type StatusReason =
  | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'BadRequest'
  | 'Unauthorized' | 'Forbidden' | 'MethodNotAllowed' | 'Gone' | 'Expired'
  | 'RequestEntityTooLarge' | 'TooManyRequests' | 'InternalError' | 'Timeout'
  | 'NotAcceptable' | 'UnsupportedMediaType' | 'ServiceUnavailable' | '';

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails {
  name?: string; group?: string; kind?: string; uid?: string;
  causes?: StatusCause[]; retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status'; apiVersion: 'v1'; metadata: Record<string, unknown>;
  status: 'Failure' | 'Success'; message?: string; reason?: StatusReason;
  details?: StatusDetails; code: number;
}

/** A field-level validation problem, as upstream's field.Error. */
export interface FieldError {
  /** e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong */
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate'
    | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid' | 'InternalError'
    | 'FieldValueNotFound';
  field: string;
  /** The full human message, e.g. `Required value` or `Invalid value: "x": must be …`. */
  message: string;
}

/** Helpers that build FieldErrors with upstream's wording. */
export const fieldErr = {
  required: (field: string, detail = ''): FieldError =>
    ({ type: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' }),
  invalid: (field: string, value: unknown, detail: string): FieldError =>
    ({ type: 'FieldValueInvalid', field, message: `Invalid value: ${fmtValue(value)}${detail ? `: ${detail}` : ''}` }),
  notSupported: (field: string, value: unknown, valid: string[]): FieldError =>
    ({ type: 'FieldValueNotSupported', field,
      message: `Unsupported value: ${fmtValue(value)}${valid.length ? `: supported values: ${valid.map((v) => `"${v}"`).join(', ')}` : ''}` }),
  duplicate: (field: string, value: unknown): FieldError =>
    ({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${fmtValue(value)}` }),
  forbidden: (field: string, detail: string): FieldError =>
    ({ type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` }),
  tooLong: (field: string, max: number): FieldError =>
    ({ type: 'FieldValueTooLong', field, message: `Too long: may not be longer than ${max}` }),
  notFound: (field: string, value: unknown): FieldError =>
    ({ type: 'FieldValueNotFound', field, message: `Not found: ${fmtValue(value)}` }),
  tooMany: (field: string, actual: number, max: number): FieldError =>
    ({ type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` }),
};

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    // Upstream leaves reason out when there is none (some 500s).
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = this.details;
    return s;
  }

  /** `qualified` is "pods" or "deployments.apps" as upstream prints it. */
  static notFound(qualified: string, name: string, group = '', kind?: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group: group || undefined, kind: kind ?? plainResource(qualified) });
  }
  static alreadyExists(qualified: string, name: string, group = ''): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, group: group || undefined, kind: plainResource(qualified) });
  }
  static conflict(qualified: string, name: string, why: string, group = ''): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, group: group || undefined, kind: plainResource(qualified) });
  }
  /** 422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <msg>, …` */
  static invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
    const qk = group ? `${kind}.${group}` : kind;
    const parts = errs.map((e) => `${e.field}: ${e.message}`);
    const msg = `${qk} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
    return new ApiError(422, 'Invalid', msg, {
      name, group: group || undefined, kind,
      causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    });
  }
  static badRequest(message: string, details?: StatusDetails): ApiError { return new ApiError(400, 'BadRequest', message, details); }
  static unauthorized(message = 'Unauthorized'): ApiError { return new ApiError(401, 'Unauthorized', message); }
  static forbidden(message: string, details?: StatusDetails): ApiError { return new ApiError(403, 'Forbidden', message, details); }
  static methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  }
  /** A watch or list from a compacted revision. */
  static expired(message = 'too old resource version'): ApiError { return new ApiError(410, 'Expired', message); }
  static gone(message: string): ApiError { return new ApiError(410, 'Gone', message); }
  static tooLarge(message = 'Request entity too large'): ApiError { return new ApiError(413, 'RequestEntityTooLarge', message); }
  static unsupportedMediaType(accepted: string[]): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  }
  static notAcceptable(message: string): ApiError { return new ApiError(406, 'NotAcceptable', message); }
  static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  }
  static timeout(message: string): ApiError { return new ApiError(504, 'Timeout', message); }
}

function plainResource(qualified: string): string {
  const i = qualified.indexOf('.');
  return i < 0 ? qualified : qualified.slice(0, i);
}

export function isApiError(e: unknown): e is ApiError { return e instanceof ApiError; }
