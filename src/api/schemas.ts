import { z } from 'zod';
import { CALL_STATUSES, CLOSED_BY, DIRECTIONS, DISPOSITIONS } from '../domain/call.ts';
import { MAX_EVENT_PAGE_SIZE } from '../store/call-query.ts';

// The API's wire shapes: validation, TypeScript types and the OpenAPI document come from these.

const iso = z.string().describe('ISO-8601 UTC time');

export const legSchema = z
  .object({
    channelId: z.string(),
    name: z.string(),
    endpoint: z.string(),
    state: z.string(),
    callerNumber: z.string(),
    callerName: z.string(),
    connectedNumber: z.string(),
    context: z.string(),
    exten: z.string(),
    createdAt: iso,
    answeredAt: iso.nullable(),
    endedAt: iso.nullable(),
    cause: z.number().int().nullable(),
    causeText: z.string().nullable(),
    techCause: z.number().int().nullable(),
  })
  .meta({ id: 'Leg' });

export const callSchema = z
  .object({
    id: z.string().describe("The call's linkedid: uniqueid of its first channel"),
    server: z.string(),
    tenantId: z.string().describe("The tenant the call belongs to, decided from its first channel by the tenants' rules; default without rules"),
    status: z.enum(CALL_STATUSES),
    disposition: z.enum(DISPOSITIONS).nullable(),
    direction: z.enum(DIRECTIONS),
    from: z.string(),
    to: z.string(),
    startedAt: iso,
    answeredAt: iso.nullable(),
    answerEstimated: z
      .boolean()
      .describe(
        "True when answeredAt is the engine's estimate: a resync found the call already up (answered while the engine could not see its events); the earliest time it can have been answered, so talkMs is an upper bound",
      ),
    endedAt: iso.nullable(),
    durationMs: z.number().nullable(),
    talkMs: z.number().nullable(),
    hangupCause: z.number().int().nullable(),
    hangupCauseText: z.string().nullable(),
    closedBy: z
      .enum(CLOSED_BY)
      .nullable()
      .describe('How the call finished: its channels hung up, a resync found them gone, or the stale-call sweep closed it'),
    endEstimated: z
      .boolean()
      .describe(
        "True when endedAt is the engine's estimate (closed by a resync or the stale-call sweep), not a reported hangup. A resync ends a call at the last event the engine received from its server before it lost sight of it, or the call's own last event if later",
      ),
    backfilled: z
      .boolean()
      .describe("True when some of the call's facts were rebuilt from Asterisk's CEL for a window the engine could not see (a backfilled ingest gap)"),
    route: z
      .object({
        path: z.array(z.string()).describe('the routing steps in order, as the timeline words them (the latest 64)'),
        answeredBy: z.string().nullable().describe('the extension number that answered, if one did'),
        recorded: z.boolean().describe('the conversation is recorded by a policy (GET /api/calls/{id}/recordings)'),
      })
      .nullable()
      .describe("The path a call routed by the engine took (docs/routing.md); null for any other call"),
    legs: z.array(legSchema),
    eventCount: z.number().int(),
    updatedAt: iso,
  })
  .meta({ id: 'Call' });

export const timelineEntrySchema = z
  .object({
    at: iso,
    kind: z.string(),
    channelId: z.string().nullable(),
    text: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TimelineEntry' });

export const crmLinkSchema = z
  .object({
    sink: z.string(),
    externalCallId: z.string().nullable().describe("The CRM's id of this call (Bitrix24 CALL_ID)"),
    data: z.record(z.string(), z.unknown()).describe('CRM entities, lead creation errors, steps done'),
    updatedAt: iso,
  })
  .meta({ id: 'CrmLink' });

export const callDetailSchema = callSchema
  .extend({ timeline: z.array(timelineEntrySchema), crm: z.array(crmLinkSchema) })
  .meta({ id: 'CallDetail' });

/** Every error answer: a stable code (docs/errors.md), a message, and details, always a list (often empty). */
export const errorSchema = z
  .object({
    code: z.string().describe('Stable error code, e.g. CF_UNAUTHORIZED'),
    message: z.string(),
    details: z.array(z.unknown()).describe('What the code alone does not say: bad fields, bad events by index, allowed methods'),
  })
  .meta({ id: 'Error' });

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)))
    .optional();

const isoQuery = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time')
  .transform((s) => new Date(s).toISOString())
  .optional();

export const callFilterQuery = z.object({
  status: csv(CALL_STATUSES).describe('comma-separated statuses'),
  disposition: csv(DISPOSITIONS).describe('comma-separated dispositions'),
  direction: csv(DIRECTIONS).describe('comma-separated directions'),
  number: z.string().max(64).optional().describe('prefix of the from or to number'),
  server: z.string().max(128).optional(),
  tenant: z.string().max(128).optional().describe('tenant id (who may ask for which tenant is not decided here)'),
  since: isoQuery.describe('startedAt >= since'),
  until: isoQuery.describe('startedAt < until'),
});

export const callListQuery = callFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

export const callPageSchema = z.object({ items: z.array(callSchema), nextCursor: z.string().nullable() });

export const storedEventSchema = z
  .object({
    seq: z.number().describe('Arrival order, increasing'),
    type: z.string(),
    channelId: z.string().nullable(),
    receivedAt: z.string(),
    event: z.unknown().describe('The raw event as received'),
  })
  .meta({ id: 'StoredEvent' });

export const eventPageQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe("Events after this seq: the previous page's nextCursor (from the first event when absent)"),
  limit: z.coerce.number().int().min(1).max(MAX_EVENT_PAGE_SIZE).default(500),
});

export const eventPageSchema = z.object({
  items: z.array(storedEventSchema),
  nextCursor: z.number().int().nullable().describe('The `after` of the next page; null at the end'),
});

/** Paging by a row id, newest first: `cursor` is the previous page's `nextCursor`. */
export const idPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe("The previous page's nextCursor"),
});

/** The next page's cursor: the last id of a full page, null after the last page. */
export function nextIdCursor(items: readonly { id: number }[], limit: number): number | null {
  return items.length === limit ? items[items.length - 1]!.id : null;
}
