import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { RouteAccess } from './auth.ts';
import { errorSchema } from './schemas.ts';

// The OpenAPI document (/docs/json). The answers every route can give because of the HTTP edge rather than
// its own handler (401, 403, 413, 415, 429) are added here, from each route's declared access and method,
// so no route has to list them and none can forget them. Public routes say `security: []`.

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const EDGE_ANSWERS = {
  401: 'No valid API key (`x-api-key` header or `Authorization: Bearer`).',
  403: 'The credentials are valid but do not allow this (e.g. a page from an origin that is not allowed).',
  413: 'The request body is larger than this endpoint accepts.',
  415: 'The request body is not of a content type this endpoint reads (send `application/json`).',
  429: 'Too many failed authentications from this address, or too many requests with this key; wait `Retry-After` seconds.',
} as const;

type EdgeStatus = keyof typeof EDGE_ANSWERS;

/** The answers the edge adds to a route, by its access and whether it takes a body. */
export function edgeAnswers(access: RouteAccess, method: string): EdgeStatus[] {
  if (access === 'public') return BODY_METHODS.has(method) ? [413, 415] : [];
  const statuses: EdgeStatus[] = access === 'self' ? [401, 403, 429] : [401, 429];
  if (BODY_METHODS.has(method)) statuses.push(413, 415);
  return statuses.sort((a, b) => a - b);
}

const SECURITY_KEY = [{ apiKey: [] }, { bearer: [] }];

type TransformInput = Parameters<NonNullable<FastifyDynamicSwaggerOptions['transform']>>[0];

function withEdgeAnswers(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const route = input.route as RouteOptions;
  const access: RouteAccess = route.config?.access ?? 'key';
  const method = [route.method].flat()[0]!.toUpperCase();
  const schema = { ...(input.schema ?? {}) } as Record<string, unknown>;
  const response = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  const added = edgeAnswers(access, method).filter((status) => response[status] === undefined);
  for (const status of added) response[status] = errorSchema;
  schema.response = response;
  schema.security = access === 'key' ? SECURITY_KEY : [];
  const transformed = jsonSchemaTransform({ ...input, schema } as never);
  const out = transformed.schema as { response?: Record<string, Record<string, unknown>> };
  for (const status of edgeAnswers(access, method)) {
    const answer = out.response?.[status];
    if (answer === undefined) continue;
    out.response![status] = {
      ...answer,
      description: EDGE_ANSWERS[status],
      ...(status === 429 ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before trying again' } } } : {}),
    };
  }
  return transformed;
}

export function openapiOptions(): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      info: {
        title: 'Callflow Engine API',
        version: '0.1.0',
        description:
          'Call records built from Asterisk ARI events: history, live stream, statistics. When the engine has API keys, ' +
          'every operation without `security: []` needs one in the `x-api-key` header or as `Authorization: Bearer KEY`. ' +
          'Errors are `{ code, message, details }` (details always a list).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: withEdgeAnswers as FastifyDynamicSwaggerOptions['transform'],
    transformObject: jsonSchemaTransformObject,
  };
}
