import { z } from 'zod';
import { isTimeZone } from '../../tenants/tenant-repo.ts';
import { DTMF_KEYS, FORWARD_CONDITIONS, RING_STRATEGIES } from './model.ts';

// What a client may write of a tenant's routing objects (model.ts), and how the API shows them. Every input is
// bounded (lengths, list sizes, durations), so that nothing a client sends makes the store, the flow machine
// or an answer grow without limit. PINs are written in plain digits and stored as scrypt hashes; an answer only
// says whether there is one (hasPin). Internal numbers are 2 to 8 digits; outside numbers E.164-like.

export const LIMITS = {
  name: 200,
  promptText: 1000,
  ringGroupMembers: 64,
  weeklyRanges: 100,
  exceptions: 100,
  exceptionRanges: 12,
  ivrOptions: DTMF_KEYS.length,
} as const;

export const objectIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'an id: letters, digits, _ and -');
export const internalNumberSchema = z.string().regex(/^[0-9]{2,8}$/, '2 to 8 digits');
export const externalNumberSchema = z.string().regex(/^\+?[0-9]{3,15}$/, 'an outside number: 3 to 15 digits, optionally after +');
const name = z.string().trim().min(1).max(LIMITS.name);
const seconds = (min: number, max: number) => z.number().int().min(min).max(max);
/** A PIN as written: 3 to 12 digits; null removes it; absent (in an update) keeps the stored one. */
export const pinSchema = z.string().regex(/^[0-9]{3,12}$/, 'a PIN has 3 to 12 digits');

const ref = <T extends string>(type: T) => z.object({ type: z.literal(type), id: objectIdSchema });

export const destinationSchema = z
  .discriminatedUnion('type', [
    ref('extension'),
    ref('ring-group'),
    ref('ivr'),
    ref('schedule'),
    ref('voicemail'),
    ref('conference'),
    ref('announcement'),
    z.object({ type: z.literal('external'), number: externalNumberSchema }),
    ref('ai-agent'),
    z.object({ type: z.literal('hangup') }),
  ])
  .meta({ id: 'RoutingDestination', description: "Where a call goes: one of the tenant's objects by id, an outside number, or hang up" });

export const promptSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('text'), text: z.string().trim().min(1).max(LIMITS.promptText) }),
    z.object({ kind: z.literal('audio'), audioId: objectIdSchema }),
  ])
  .meta({ id: 'RoutingPrompt', description: 'What the caller hears: text (synthesized) or an uploaded audio file' });

/** "HH:MM", 00:00 to 24:00. */
export const clockTimeSchema = z.string().regex(/^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'a time HH:MM, 00:00 to 24:00');

/** "YYYY-MM-DD", a real calendar date. */
export const dateSchema = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date YYYY-MM-DD')
  .refine((value) => {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'no such date');

export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => isTimeZone(zone), 'an IANA time zone (Europe/Berlin)');

const forwardShape = Object.fromEntries(FORWARD_CONDITIONS.map((condition) => [condition, destinationSchema.optional()])) as Record<
  (typeof FORWARD_CONDITIONS)[number],
  z.ZodOptional<typeof destinationSchema>
>;
export const forwardSchema = z.object(forwardShape);

// Inputs (POST and PUT: a PUT replaces the object as a whole; fields left out take their defaults).

const extensionFields = z
  .object({
    number: internalNumberSchema,
    name,
    callerIdName: z.string().trim().min(1).max(100).nullable().default(null),
    ringTimeoutS: seconds(5, 300).default(20),
    voicemailBoxId: objectIdSchema.nullable().default(null),
    forward: forwardSchema.default({}),
    record: z.boolean().default(false),
    enabled: z.boolean().default(true),
  });
export const extensionInput = extensionFields.meta({ id: 'ExtensionBody' });

export const ringGroupMemberSchema = z.object({ extensionId: objectIdSchema, timeoutS: seconds(5, 300).nullable().default(null) });

const ringGroupFields = z
  .object({
    name,
    number: internalNumberSchema.nullable().default(null),
    strategy: z.enum(RING_STRATEGIES).default('simultaneous'),
    members: z
      .array(ringGroupMemberSchema)
      .max(LIMITS.ringGroupMembers)
      .refine((members) => new Set(members.map((m) => m.extensionId)).size === members.length, 'an extension is a member once'),
    memberTimeoutS: seconds(5, 300).default(20),
    turns: z.number().int().min(1).max(10).default(1),
    totalTimeoutS: seconds(5, 3600).default(120),
    skipBusy: z.boolean().default(false),
    fallback: destinationSchema.default({ type: 'hangup' }),
  });
export const ringGroupInput = ringGroupFields.meta({ id: 'RingGroupBody' });

const ivrMenuFields = z
  .object({
    name,
    prompt: promptSchema,
    options: z.partialRecord(z.enum(DTMF_KEYS), destinationSchema).default({}),
    directDial: z.boolean().default(false),
    timeoutS: seconds(1, 60).default(5),
    interDigitTimeoutMs: z.number().int().min(500).max(10_000).default(2000),
    invalidPrompt: promptSchema.nullable().default(null),
    timeoutPrompt: promptSchema.nullable().default(null),
    retries: z.number().int().min(0).max(5).default(2),
    failover: destinationSchema.default({ type: 'hangup' }),
  });
export const ivrMenuInput = ivrMenuFields.meta({ id: 'IvrMenuBody' });

const rangeSchema = z.object({ from: clockTimeSchema, to: clockTimeSchema });

const scheduleFields = z
  .object({
    name,
    timezone: timeZoneSchema.nullable().default(null),
    weekly: z
      .array(rangeSchema.extend({ day: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6), z.literal(7)]) }))
      .max(LIMITS.weeklyRanges)
      .default([]),
    exceptions: z
      .array(
        z.object({
          date: dateSchema,
          name: z.string().trim().max(LIMITS.name).default(''),
          closed: z.boolean().default(true),
          ranges: z.array(rangeSchema).max(LIMITS.exceptionRanges).default([]),
        }),
      )
      .max(LIMITS.exceptions)
      .refine((list) => new Set(list.map((e) => e.date)).size === list.length, 'one exception per date')
      .default([]),
    open: destinationSchema,
    closed: destinationSchema,
  });
export const scheduleInput = scheduleFields.meta({ id: 'ScheduleBody' });

const voicemailBoxFields = z
  .object({
    number: internalNumberSchema,
    name,
    greeting: promptSchema.nullable().default(null),
    maxMessageS: seconds(10, 600).default(120),
    pin: pinSchema.nullable().optional().describe('3 to 12 digits; null removes it; left out in an update: unchanged'),
  });
export const voicemailBoxInput = voicemailBoxFields.meta({ id: 'VoicemailBoxBody' });

const conferenceFields = z
  .object({
    name,
    number: internalNumberSchema.nullable().default(null),
    pin: pinSchema.nullable().optional().describe('3 to 12 digits; null removes it; left out in an update: unchanged'),
    hostPin: pinSchema.nullable().optional().describe('3 to 12 digits; null removes it; left out in an update: unchanged'),
    waitForHost: z.boolean().default(false),
    muteOnEntry: z.boolean().default(false),
    maxParticipants: z.number().int().min(2).max(500).default(50),
    announceJoinLeave: z.boolean().default(false),
    record: z.boolean().default(false),
  });
export const conferenceInput = conferenceFields.meta({ id: 'ConferenceBody' });

const announcementFields = z
  .object({
    name,
    prompt: promptSchema,
    next: destinationSchema.default({ type: 'hangup' }),
  });
export const announcementInput = announcementFields.meta({ id: 'AnnouncementBody' });

export const numberRouteInput = z
  .object({
    destination: destinationSchema.nullable().describe('null: the engine does not route this number'),
    record: z.boolean().default(false),
  })
  .meta({ id: 'NumberRouteBody' });

export const voicemailMessagePatch = z.object({ heard: z.boolean() }).meta({ id: 'VoicemailMessagePatch' });

export type ExtensionInput = z.output<typeof extensionInput>;
export type RingGroupInput = z.output<typeof ringGroupInput>;
export type IvrMenuInput = z.output<typeof ivrMenuInput>;
export type ScheduleInput = z.output<typeof scheduleInput>;
export type VoicemailBoxInput = z.output<typeof voicemailBoxInput>;
export type ConferenceInput = z.output<typeof conferenceInput>;
export type AnnouncementInput = z.output<typeof announcementInput>;

// Shapes as the API shows them.

const stamps = { id: z.string(), tenantId: z.string(), createdAt: z.string(), updatedAt: z.string() };

export const extensionSchema = extensionFields
  .extend({ ...stamps, endpoint: z.string().describe('the PJSIP endpoint: <tenant slug>-<number>') })
  .meta({ id: 'Extension' });
export const ringGroupSchema = ringGroupFields
  .extend({ ...stamps, nextIndex: z.number().int().describe('round-robin: the member rung first by the next call') })
  .meta({ id: 'RingGroup' });
export const ivrMenuSchema = ivrMenuFields.extend(stamps).meta({ id: 'IvrMenu' });
export const scheduleSchema = scheduleFields.extend(stamps).meta({ id: 'Schedule' });
export const voicemailBoxSchema = voicemailBoxFields
  .omit({ pin: true })
  .extend({ ...stamps, hasPin: z.boolean() })
  .meta({ id: 'VoicemailBox' });
export const conferenceSchema = conferenceFields
  .omit({ pin: true, hostPin: true })
  .extend({ ...stamps, hasPin: z.boolean(), hasHostPin: z.boolean() })
  .meta({ id: 'ConferenceRoom' });
export const announcementSchema = announcementFields.extend(stamps).meta({ id: 'Announcement' });
export const voicemailMessageSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    boxId: z.string(),
    callId: z.string().nullable(),
    from: z.string().nullable().describe("the caller's number"),
    durationS: z.number().int(),
    recordingId: z.string(),
    heard: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'VoicemailMessage' });
export const numberRouteSchema = z
  .object({
    number: z.string(),
    tenantId: z.string(),
    label: z.string().nullable(),
    destination: destinationSchema.nullable(),
    record: z.boolean(),
  })
  .meta({ id: 'NumberRoute' });
