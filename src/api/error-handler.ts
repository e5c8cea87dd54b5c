import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERROR_CODES, isAppError, type ErrorCode } from '../errors.ts';
import { unauthorized, type ApiKeys } from './auth.ts';
import { allowedMethods } from './route-table.ts';

// The only place that chooses HTTP statuses, and the one shape of every error answer:
// `{ code, message, details }`, details always an array (empty when there is nothing to add).
// 5xx messages and details never reach the client.

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ERROR_CODES.EVENT_INVALID]: 400,
  [ERROR_CODES.REQUEST_INVALID]: 400,
  [ERROR_CODES.REPLAY_INPUT_INVALID]: 400,
  [ERROR_CODES.CONFIG_INVALID]: 400,
  [ERROR_CODES.UNAUTHORIZED]: 401,
  [ERROR_CODES.FORBIDDEN]: 403,
  [ERROR_CODES.TENANT_SUSPENDED]: 403,
  [ERROR_CODES.LOGIN_FAILED]: 401,
  [ERROR_CODES.IDEMPOTENCY_IN_PROGRESS]: 409,
  [ERROR_CODES.CONFLICT]: 409,
  [ERROR_CODES.IDEMPOTENCY_KEY_REUSED]: 422,
  [ERROR_CODES.ROUTING_INVALID]: 422,
  [ERROR_CODES.ROUTING_INVALID_REFERENCE]: 422,
  [ERROR_CODES.ROUTING_IN_USE]: 409,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.DELIVERY_NOT_FOUND]: 404,
  [ERROR_CODES.METHOD_NOT_ALLOWED]: 405,
  [ERROR_CODES.PAYLOAD_TOO_LARGE]: 413,
  [ERROR_CODES.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ERROR_CODES.RATE_LIMITED]: 429,
  [ERROR_CODES.STORE_UNAVAILABLE]: 503,
  [ERROR_CODES.ARI_UNAVAILABLE]: 503,
};

/** Fastify's own client errors (body parsing, content type, router) by the status it gives them. */
const FASTIFY_CODE: Record<number, ErrorCode> = {
  401: ERROR_CODES.UNAUTHORIZED,
  403: ERROR_CODES.FORBIDDEN,
  404: ERROR_CODES.NOT_FOUND,
  405: ERROR_CODES.METHOD_NOT_ALLOWED,
  413: ERROR_CODES.PAYLOAD_TOO_LARGE,
  415: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
  429: ERROR_CODES.RATE_LIMITED,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: unknown[];
}

/** An error's details as the wire carries them: always a list. */
export function detailsList(details: unknown): unknown[] {
  if (details === undefined || details === null) return [];
  return Array.isArray(details) ? details : [details];
}

function send(reply: FastifyReply, status: number, body: ErrorBody): void {
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({ path: v.instancePath, message: v.message }));
    // A route may name its own code for a body that fails its schema (routing objects: CF_ROUTING_INVALID, 422).
    const code = request.routeOptions.config?.validationCode ?? ERROR_CODES.REQUEST_INVALID;
    send(reply, STATUS[code] ?? 400, { code, message: `invalid request: ${error.message}`, details });
    return;
  }
  if (isAppError(error)) {
    const status = STATUS[error.code] ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const hidden = status >= 500 && status !== 503;
    send(reply, status, {
      code: error.code,
      message: hidden ? 'internal error' : error.message,
      details: status < 500 ? detailsList(error.details) : [],
    });
    return;
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own: bad JSON, an unknown content type, a body over the limit, a malformed URL.
    send(reply, status, { code: FASTIFY_CODE[status] ?? ERROR_CODES.REQUEST_INVALID, message: clientMessage(error), details: [] });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  send(reply, 500, { code: ERROR_CODES.INTERNAL, message: 'internal error', details: [] });
}

/** Fastify's messages for client errors name the limit or the type, never anything internal. */
function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is larger than this endpoint accepts';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type; send application/json';
    default:
      return error.message;
  }
}

/**
 * Requests the router cannot even read (a malformed percent-escape, an over-long path parameter) are
 * answered before any hook runs; like an unmatched path, a stranger gets 401 and a key holder the reason.
 */
export function frameworkErrorHandler(keys: ApiKeys) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (!keys.authenticated(request)) {
      errorHandler(unauthorized() as unknown as FastifyError, request, reply);
      return;
    }
    const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
    send(reply, tooLong ? 414 : 400, {
      code: ERROR_CODES.REQUEST_INVALID,
      message: tooLong ? 'a path parameter is longer than 100 characters' : 'the path cannot be read (a malformed %-escape)',
      details: [],
    });
  };
}

/**
 * No route for the method and path. Reached only after the access check (an unmatched request needs a
 * key), so a stranger learns nothing about which paths exist. A known path with another method gets 405
 * and the methods it takes.
 */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const path = shown(request.url.split('?', 1)[0] ?? '/');
  const allow = allowedMethods(request);
  // A route of this very method that passed the request on (a static file that is not there) means 404.
  if (allow.length > 0 && !allow.includes(request.method)) {
    void reply.header('allow', allow.join(', '));
    throw new AppError(ERROR_CODES.METHOD_NOT_ALLOWED, `${request.method} is not allowed on ${path}; use ${allow.join(', ')}`, {
      details: [{ allow }],
    });
  }
  throw new AppError(ERROR_CODES.NOT_FOUND, `no route ${request.method} ${path}`);
}

/** A path as echoed in a message: bounded, so an answer never grows with what a client sends. */
function shown(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
