import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CODES, isAppError, type ErrorCode } from '../errors.ts';

// The only place that chooses HTTP statuses. 5xx messages never reach the client.

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ERROR_CODES.EVENT_INVALID]: 400,
  [ERROR_CODES.REQUEST_INVALID]: 400,
  [ERROR_CODES.REPLAY_INPUT_INVALID]: 400,
  [ERROR_CODES.CONFIG_INVALID]: 400,
  [ERROR_CODES.UNAUTHORIZED]: 401,
  [ERROR_CODES.FORBIDDEN]: 403,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.DELIVERY_NOT_FOUND]: 404,
  [ERROR_CODES.STORE_UNAVAILABLE]: 503,
  [ERROR_CODES.ARI_UNAVAILABLE]: 503,
};

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({ path: v.instancePath, message: v.message }));
    void reply.code(400).send({ code: ERROR_CODES.REQUEST_INVALID, message: `invalid request: ${error.message}`, details });
    return;
  }
  if (isAppError(error)) {
    const status = STATUS[error.code] ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).send({
      code: error.code,
      message: status >= 500 && status !== 503 ? 'internal error' : error.message,
      ...(status < 500 && error.details !== undefined ? { details: error.details } : {}),
    });
    return;
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status < 500) {
    // Fastify's own client errors: bad JSON, wrong content type, body too large.
    void reply.code(status).send({ code: ERROR_CODES.REQUEST_INVALID, message: error.message });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.code(500).send({ code: ERROR_CODES.INTERNAL, message: 'internal error' });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ code: ERROR_CODES.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` });
}
