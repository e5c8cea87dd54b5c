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
  401: 'No valid credential: an API key (`x-api-key` header or `Authorization: Bearer`) or a session cookie.',
  403: "The credentials are valid but do not allow this: the role lacks the operation's permission, the tenant is suspended, a session's change came without `x-csrf-token`, or a page's origin is not allowed.",
  413: 'The request body is larger than this endpoint accepts.',
  415: 'The request body is not of a content type this endpoint reads (send `application/json`).',
  429: 'Too many failed authentications from this address, or too many requests with this key; wait `Retry-After` seconds.',
} as const;

type EdgeStatus = keyof typeof EDGE_ANSWERS;

/** The answers the edge adds to a route, by its access and whether it takes a body. */
export function edgeAnswers(access: RouteAccess, method: string): EdgeStatus[] {
  if (access === 'public') return BODY_METHODS.has(method) ? [413, 415] : [];
  const statuses: EdgeStatus[] = [401, 403, 429];
  if (BODY_METHODS.has(method)) statuses.push(413, 415);
  return statuses.sort((a, b) => a - b);
}

const SECURITY_KEY = [{ apiKey: [] }, { bearer: [] }, { session: [] }];

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
  // Who may call it: the permission its caller's role must hold (docs/tenants.md), said where clients read.
  if (access === 'key') {
    const permission = route.config?.permission;
    const who = permission === undefined ? 'Platform operators only.' : `Needs the permission \`${permission}\`.`;
    schema.description = schema.description === undefined ? who : `${String(schema.description)}\n\n${who}`;
  }
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
          'Call records built from Asterisk ARI events: history, live stream, statistics, tenants and their users. Every ' +
          'operation without `security: []` needs a credential (an API key in `x-api-key` or as `Authorization: Bearer KEY`, ' +
          'or a session cookie) whose role holds the permission the operation names. ' +
          'Errors are `{ code, message, details }` (details always a list).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'cf_session', description: 'From POST /api/session; send x-csrf-token with every change' },
        },
      },
    },
    transform: withEdgeAnswers as FastifyDynamicSwaggerOptions['transform'],
    transformObject: jsonSchemaTransformObject,
  };
}
