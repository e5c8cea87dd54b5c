// One error type for the whole engine. Codes are stable and documented in docs/errors.md;
// a code is never reused for another meaning. The HTTP status is chosen only at the HTTP edge.

export const ERROR_CODES = {
  CONFIG_INVALID: 'CF_CONFIG_INVALID',
  EVENT_INVALID: 'CF_EVENT_INVALID',
  REQUEST_INVALID: 'CF_REQUEST_INVALID',
  NOT_FOUND: 'CF_NOT_FOUND',
  UNAUTHORIZED: 'CF_UNAUTHORIZED',
  FORBIDDEN: 'CF_FORBIDDEN',
  METHOD_NOT_ALLOWED: 'CF_METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'CF_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'CF_UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'CF_RATE_LIMITED',
  IDEMPOTENCY_IN_PROGRESS: 'CF_IDEMPOTENCY_IN_PROGRESS',
  IDEMPOTENCY_KEY_REUSED: 'CF_IDEMPOTENCY_KEY_REUSED',
  DATA_DIR_LOCKED: 'CF_DATA_DIR_LOCKED',
  STORE_UNAVAILABLE: 'CF_STORE_UNAVAILABLE',
  STORE_WRITE_SKIPPED: 'CF_STORE_WRITE_SKIPPED',
  MIGRATION_FAILED: 'CF_MIGRATION_FAILED',
  ARI_UNAVAILABLE: 'CF_ARI_UNAVAILABLE',
  ARI_REQUEST_FAILED: 'CF_ARI_REQUEST_FAILED',
  REPLAY_INPUT_INVALID: 'CF_REPLAY_INPUT_INVALID',
  CEL_INPUT_INVALID: 'CF_CEL_INPUT_INVALID',
  CEL_UNAVAILABLE: 'CF_CEL_UNAVAILABLE',
  CRM_REQUEST_FAILED: 'CF_CRM_REQUEST_FAILED',
  CRM_RATE_LIMITED: 'CF_CRM_RATE_LIMITED',
  CRM_AUTH_FAILED: 'CF_CRM_AUTH_FAILED',
  DELIVERY_NOT_FOUND: 'CF_DELIVERY_NOT_FOUND',
  TENANT_SUSPENDED: 'CF_TENANT_SUSPENDED',
  LOGIN_FAILED: 'CF_LOGIN_FAILED',
  CONFLICT: 'CF_CONFLICT',
  SECRET_UNREADABLE: 'CF_SECRET_UNREADABLE',
  SPEECH_FAILED: 'CF_SPEECH_FAILED',
  ROUTING_INVALID: 'CF_ROUTING_INVALID',
  ROUTING_INVALID_REFERENCE: 'CF_ROUTING_INVALID_REFERENCE',
  ROUTING_IN_USE: 'CF_ROUTING_IN_USE',
  INTERNAL: 'CF_INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Safe to show to a client: field paths, ids. Never secrets. */
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
