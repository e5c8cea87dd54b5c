import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeAriEvent } from '../../ari/normalize.ts';
import type { Engine } from '../../app/engine.ts';
import type { CallEvent } from '../../domain/events.ts';
import { buildTimeline } from '../../domain/timeline.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { CallPageJson, Store } from '../../store/types.ts';
import { callsCsv } from '../csv.ts';
import { callDetailSchema, callListQuery, callFilterQuery, callPageSchema, callSchema, errorSchema, eventPageQuery, eventPageSchema } from '../schemas.ts';
import { toCallFilter } from './call-filter.ts';
import { scopedFilter, seesEverything, visibleOr404 } from './call-scope.ts';

const idParams = z.object({ id: z.string().min(1).max(200) });

/** A body already in the response's documented shape; fastify sends bytes with a JSON type as they are. */
function preserialized<T>(body: Buffer): T {
  return body as unknown as T;
}

// The page's body, built once per page: a page answered from the listing cache (src/store/listing-cache.ts)
// is the same object on every hit, so its bytes are too.
const pageBodies = new WeakMap<CallPageJson, Buffer>();

function pageBody(page: CallPageJson): Buffer {
  let body = pageBodies.get(page);
  if (body === undefined) {
    body = Buffer.from(`{"items":[${page.items.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`, 'utf8');
    pageBodies.set(page, body);
  }
  return body;
}

export interface CrmLinkView {
  sink: string;
  externalCallId: string | null;
  data: Record<string, unknown>;
  updatedAt: string;
}

export function callRoutes(deps: { store: Store; engine: Engine; crmLinks?: (callId: string) => Promise<CrmLinkView[]> }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/api/calls',
      { config: { permission: 'calls:read' },
        schema: {
          tags: ['calls'],
          summary: 'Calls, newest first, filtered, with cursor paging',
          querystring: callListQuery,
          response: { 200: callPageSchema, 400: errorSchema },
        },
      },
      async (request, reply) => {
        const { limit, cursor, ...filter } = request.query;
        const page = await deps.store.listCallsJson(scopedFilter(request, toCallFilter(filter)), cursor ?? null, limit);
        // The hot listing: records go out as the JSON text the store holds (written from CallRecords,
        // the shape callPageSchema documents), spliced into the page rather than parsed and serialized.
        return reply.type('application/json; charset=utf-8').send(preserialized<z.infer<typeof callPageSchema>>(pageBody(page)));
      },
    );

    r.get(
      '/api/calls/export.csv',
      { config: { permission: 'calls:read' }, schema: { tags: ['calls'], summary: 'CSV of every call the filters select', querystring: callFilterQuery } },
      async (request, reply) => {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="calls-${stamp}.csv"`)
          .send(Readable.from(callsCsv(deps.store.iterateCalls(scopedFilter(request, toCallFilter(request.query))))));
      },
    );

    r.get(
      '/api/calls/:id',
      { config: { permission: 'calls:read' }, schema: { tags: ['calls'], summary: 'One call with its legs and timeline', params: idParams, response: { 200: callDetailSchema, 404: errorSchema } } },
      async (request) => {
        const call = visibleOr404(request, request.params.id, await deps.store.getCall(request.params.id));
        const events = await deps.store.getEvents(call.id);
        const normalized: CallEvent[] = [];
        for (const e of events) {
          try {
            normalized.push(normalizeAriEvent(e.event as Record<string, unknown>, e.receivedAt));
          } catch {
            // Stored before a stricter normalizer: shown in the raw events, not on the timeline.
          }
        }
        const crm = deps.crmLinks ? await deps.crmLinks(call.id) : [];
        return { ...call, timeline: buildTimeline(normalized), crm: crm.map(({ sink, externalCallId, data, updatedAt }) => ({ sink, externalCallId, data, updatedAt })) };
      },
    );

    r.get(
      '/api/calls/:id/events',
      { config: { permission: 'calls:read' },
        schema: {
          tags: ['calls'],
          summary: 'The raw ARI events of a call, in arrival order, a page at a time',
          params: idParams,
          querystring: eventPageQuery,
          response: { 200: eventPageSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const { after, limit } = request.query;
        const { id } = request.params;
        // A scoped caller's call is checked first; an operator's only when the page comes back empty.
        if (!seesEverything(request)) visibleOr404(request, id, await deps.store.getCall(id));
        const page = await deps.store.getEventsPage(id, after ?? null, limit);
        if (page.items.length === 0 && !(await deps.store.getCall(id))) {
          throw new AppError(ERROR_CODES.NOT_FOUND, `call ${id} not found`);
        }
        return {
          items: page.items.map((e) => ({ seq: e.seq, type: e.type, channelId: e.channelId, receivedAt: e.receivedAt, event: e.event })),
          nextCursor: page.nextCursor,
        };
      },
    );

    r.post(
      '/api/calls/:id/rebuild',
      { config: { permission: 'calls:write' },
        schema: {
          tags: ['calls'],
          summary: 'Rebuild a call from its stored events and compare with the stored record',
          params: idParams,
          response: { 200: z.object({ identical: z.boolean(), record: callSchema, stored: callSchema }), 404: errorSchema },
        },
      },
      async (request) => {
        if (!seesEverything(request)) visibleOr404(request, request.params.id, await deps.store.getCall(request.params.id));
        return deps.engine.rebuild(request.params.id);
      },
    );
  };
}
