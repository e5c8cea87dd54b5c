import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_CODES } from '../../errors.ts';
import type { RefType } from '../../routing/objects/graph.ts';
import type { ConferenceRoom, VoicemailBox } from '../../routing/objects/model.ts';
import { TABLES, type RoutingStore } from '../../routing/objects/routing-store.ts';
import {
  announcementInput,
  announcementSchema,
  conferenceInput,
  conferenceSchema,
  extensionInput,
  extensionSchema,
  ivrMenuInput,
  ivrMenuSchema,
  numberRouteInput,
  numberRouteSchema,
  ringGroupInput,
  ringGroupSchema,
  scheduleInput,
  scheduleSchema,
  voicemailBoxInput,
  voicemailBoxSchema,
  voicemailMessagePatch,
  voicemailMessageSchema,
} from '../../routing/objects/schemas.ts';
import { extensionCredentials, resetSipPassword } from '../../routing/provisioning/sip-credentials.ts';
import { hashPin } from '../../tenants/passwords.ts';
import { actorOf, type Principal } from '../../tenants/principal.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { errorSchema } from '../schemas.ts';
import { managedTenant, notFound } from './account-support.ts';

// A tenant's call routing (docs/routing.md): CRUD of its extensions, ring groups, IVR menus, schedules,
// voicemail boxes (and their messages), conference rooms and announcements, and where its numbers go.
// Reading needs routing:read, changing routing:write; an operator acts in the tenant it names (x-tenant-id).
// Another tenant's objects are not there (404). Every change is in the audit log, in the same transaction.
// A body that fails the schema is 422 CF_ROUTING_INVALID (details name the fields); a reference to an object
// the tenant does not have 422 CF_ROUTING_INVALID_REFERENCE; deleting an object in use 409 CF_ROUTING_IN_USE.

export interface RoutingRouteDeps {
  tenants: TenantStore;
  routing: RoutingStore;
  /** A tenant's routing changed (the runtime reads it again). */
  onRoutingChanged?: (tenantId: string) => void;
  /** Extensions' SIP passwords and their provisioning on Asterisk (docs/routing.md, "Provisioning"); absent: none. */
  sip?: ExtensionSipDeps;
  /** Deletes a stored recording's file on Asterisk (a deleted voicemail message's audio); absent: files are left. */
  deleteRecordingAudio?: (name: string) => Promise<boolean>;
}

export interface ExtensionSipDeps {
  /** The engine's secrets key: passwords are stored sealed under it. */
  secretsKey: Buffer;
  /** An extension was created, changed, deleted, or given a new password (after the change committed). */
  extensionChanged?: (tenantId: string, extensionId: string, endpoint: string) => void;
  /** Where an endpoint stands on each ARI server (absent: no provisioning, every list empty). */
  statusOf?: (endpoint: string) => { server: string; state: 'pushed' | 'removed' | 'failed' | 'pending' }[];
}

const provisioningSchema = z.object({
  id: z.string(),
  endpoint: z.string(),
  enabled: z.boolean(),
  hasSipPassword: z.boolean(),
  provisioned: z.boolean().describe('Enabled, with a password, and pushed to every ARI server by the last attempt'),
  servers: z.array(z.object({ server: z.string(), state: z.enum(['pushed', 'removed', 'failed', 'pending']) })),
});

/** The extension create reply: the object and, this once, its SIP password. */
const extensionCreated = extensionSchema.extend({ sipPassword: z.string().optional().describe('The SIP password of the endpoint, shown only here (and by a reset)') });

interface KindRoute {
  kind: RefType;
  path: string;
  /** In audit actions: routing.<action>.create. */
  action: string;
  plural: string;
  input: z.ZodType;
  schema: z.ZodType;
}

const KINDS: KindRoute[] = [
  { kind: 'extension', path: 'extensions', action: 'extension', plural: 'extensions', input: extensionInput, schema: extensionSchema },
  { kind: 'ring-group', path: 'ring-groups', action: 'ring_group', plural: 'ring groups', input: ringGroupInput, schema: ringGroupSchema },
  { kind: 'ivr', path: 'ivr-menus', action: 'ivr_menu', plural: 'IVR menus', input: ivrMenuInput, schema: ivrMenuSchema },
  { kind: 'schedule', path: 'schedules', action: 'schedule', plural: 'schedules', input: scheduleInput, schema: scheduleSchema },
  { kind: 'voicemail', path: 'voicemail-boxes', action: 'voicemail_box', plural: 'voicemail boxes', input: voicemailBoxInput, schema: voicemailBoxSchema },
  { kind: 'conference', path: 'conferences', action: 'conference', plural: 'conference rooms', input: conferenceInput, schema: conferenceSchema },
  { kind: 'announcement', path: 'announcements', action: 'announcement', plural: 'announcements', input: announcementInput, schema: announcementSchema },
];

const idParams = z.object({ id: z.string().min(1).max(64) });
const messageParams = idParams.extend({ messageId: z.string().min(1).max(64) });
const numberParams = z.object({ number: z.string().min(1).max(64) });
const READ = { permission: 'routing:read', validationCode: ERROR_CODES.ROUTING_INVALID } as const;
const WRITE = { permission: 'routing:write', validationCode: ERROR_CODES.ROUTING_INVALID } as const;
const TAGS = ['routing'];

/** An object as the API shows it: PIN hashes become hasPin / hasHostPin. */
export function routingView(kind: RefType, object: unknown): unknown {
  if (object === null || object === undefined) return object;
  if (kind === 'voicemail') {
    const { pinHash, ...rest } = object as VoicemailBox;
    return { ...rest, hasPin: pinHash !== null };
  }
  if (kind === 'conference') {
    const { pinHash, hostPinHash, ...rest } = object as ConferenceRoom;
    return { ...rest, hasPin: pinHash !== null, hasHostPin: hostPinHash !== null };
  }
  return object;
}

/** A body as the store writes it: PINs hashed (null removes, undefined keeps). */
async function toWrite(kind: RefType, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (kind !== 'voicemail' && kind !== 'conference') return body;
  const { pin, hostPin, ...rest } = body as { pin?: string | null; hostPin?: string | null };
  const hashed = async (value: string | null | undefined) => (typeof value === 'string' ? hashPin(value) : value);
  const out: Record<string, unknown> = { ...rest, pinHash: await hashed(pin) };
  if (kind === 'conference') out.hostPinHash = await hashed(hostPin);
  return out;
}

export function routingRoutes(deps: RoutingRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { tenants, routing } = deps;
    const sipChanged = (tenantId: string, extension: { id: string; endpoint: string }) => deps.sip?.extensionChanged?.(tenantId, extension.id, extension.endpoint);

    /** Runs a change and appends its audit entry in one transaction. */
    async function audited<T>(
      principal: Principal,
      tenantId: string,
      entry: { action: string; targetType: string; targetId?: string; before?: unknown },
      change: (tx: RoutingStore) => Promise<T>,
      after: (result: T) => unknown = (result) => result,
    ): Promise<T> {
      const result = await routing.transaction(async (tx) => {
        const done = await change(tx);
        const targetId = entry.targetId ?? (done as { id?: unknown } | null)?.id;
        await tenants.appendAudit(
          {
            tenantId,
            actor: actorOf(principal),
            action: entry.action,
            targetType: entry.targetType,
            targetId: typeof targetId === 'string' ? targetId : null,
            before: entry.before ?? null,
            after: after(done) ?? null,
          },
          tx.sql,
        );
        return done;
      });
      deps.onRoutingChanged?.(tenantId);
      return result;
    }

    for (const k of KINDS) {
      const base = `/api/routing/${k.path}`;
      const what = TABLES[k.kind].what;
      const view = (object: unknown) => routingView(k.kind, object);

      r.get(
        base,
        { config: READ, schema: { tags: TAGS, summary: `The tenant's ${k.plural}`, response: { 200: z.object({ items: z.array(k.schema) }), 400: errorSchema } } },
        async (request) => {
          const { tenantId } = managedTenant(request);
          return { items: (await routing.list(k.kind, tenantId)).map(view) };
        },
      );

      r.get(
        `${base}/:id`,
        { config: READ, schema: { tags: TAGS, summary: `One ${what}`, params: idParams, response: { 200: k.schema, 404: errorSchema } } },
        async (request) => {
          const { tenantId } = managedTenant(request);
          const object = await routing.get(k.kind, tenantId, request.params.id);
          if (object === null) throw notFound(what, request.params.id);
          return view(object);
        },
      );

      r.post(
        base,
        {
          config: WRITE,
          schema: {
            tags: TAGS,
            summary: `Create a ${what}`,
            body: k.input,
            response: { 201: k.kind === 'extension' ? extensionCreated : k.schema, 400: errorSchema, 409: errorSchema, 422: errorSchema },
          },
        },
        async (request, reply) => {
          const { principal, tenantId } = managedTenant(request);
          const input = await toWrite(k.kind, request.body as Record<string, unknown>);
          let sipPassword: string | null = null;
          const created = await audited(
            principal,
            tenantId,
            { action: `routing.${k.action}.create`, targetType: k.action },
            async (tx) => {
              const made = await tx.create(k.kind, tenantId, input as never);
              // An extension's SIP password is made with it, in the same transaction; the audit entry never has it.
              if (k.kind === 'extension' && deps.sip) sipPassword = await resetSipPassword(tx.sql, deps.sip.secretsKey, tenantId, made.id);
              return made;
            },
            view,
          );
          if (k.kind === 'extension') sipChanged(tenantId, created as { id: string; endpoint: string });
          if (sipPassword === null) return reply.code(201).send(view(created));
          // The one reply that carries the password: no cache keeps it.
          return reply.code(201).header('cache-control', 'no-store').send({ ...(view(created) as object), sipPassword });
        },
      );

      r.put(
        `${base}/:id`,
        {
          config: WRITE,
          schema: {
            tags: TAGS,
            summary: `Replace a ${what} as a whole (fields left out take their defaults; PINs left out stay)`,
            params: idParams,
            body: k.input,
            response: { 200: k.schema, 404: errorSchema, 409: errorSchema, 422: errorSchema },
          },
        },
        async (request) => {
          const { principal, tenantId } = managedTenant(request);
          const { id } = request.params;
          const before = await routing.get(k.kind, tenantId, id);
          if (before === null) throw notFound(what, id);
          const input = await toWrite(k.kind, request.body as Record<string, unknown>);
          const updated = await audited(
            principal,
            tenantId,
            { action: `routing.${k.action}.update`, targetType: k.action, targetId: id, before: view(before) },
            async (tx) => {
              const result = await tx.update(k.kind, tenantId, id, input as never);
              if (result === null) throw notFound(what, id);
              return result;
            },
            view,
          );
          if (k.kind === 'extension') sipChanged(tenantId, updated as { id: string; endpoint: string });
          return view(updated);
        },
      );

      r.delete(
        `${base}/:id`,
        {
          config: WRITE,
          schema: { tags: TAGS, summary: `Delete a ${what} nothing points at (409 CF_ROUTING_IN_USE lists what does)`, params: idParams, response: { 204: z.null(), 404: errorSchema, 409: errorSchema } },
        },
        async (request, reply) => {
          const { principal, tenantId } = managedTenant(request);
          const { id } = request.params;
          const before = await routing.get(k.kind, tenantId, id);
          if (before === null) throw notFound(what, id);
          await audited(
            principal,
            tenantId,
            { action: `routing.${k.action}.delete`, targetType: k.action, targetId: id, before: view(before) },
            async (tx) => {
              if (!(await tx.delete(k.kind, tenantId, id))) throw notFound(what, id);
              return null;
            },
            () => null,
          );
          if (k.kind === 'extension') sipChanged(tenantId, before as { id: string; endpoint: string });
          return reply.code(204).send(null);
        },
      );
    }

    // Extensions' SIP passwords (docs/routing.md, "Provisioning")

    if (deps.sip) {
      const sip = deps.sip;
      r.post(
        '/api/routing/extensions/:id/sip-password',
        {
          config: WRITE,
          schema: {
            tags: TAGS,
            summary: "Give an extension a new SIP password (shown only in this reply); its phone must register with it",
            params: idParams,
            response: { 200: z.object({ id: z.string(), endpoint: z.string(), sipPassword: z.string() }), 404: errorSchema },
          },
        },
        async (request, reply) => {
          const { principal, tenantId } = managedTenant(request);
          const { id } = request.params;
          const extension = await routing.get('extension', tenantId, id);
          if (extension === null) throw notFound('extension', id);
          const sipPassword = await audited(
            principal,
            tenantId,
            { action: 'routing.extension.sip_password_reset', targetType: 'extension', targetId: id },
            async (tx) => {
              const password = await resetSipPassword(tx.sql, sip.secretsKey, tenantId, id);
              if (password === null) throw notFound('extension', id);
              return password;
            },
            () => ({ endpoint: extension.endpoint }),
          );
          sipChanged(tenantId, extension);
          reply.header('cache-control', 'no-store');
          return { id, endpoint: extension.endpoint, sipPassword };
        },
      );

      r.get(
        '/api/routing/extensions/:id/provisioning',
        {
          config: READ,
          schema: { tags: TAGS, summary: "Whether an extension's PJSIP endpoint is on every ARI server (the last push or removal per server)", params: idParams, response: { 200: provisioningSchema, 404: errorSchema } },
        },
        async (request) => {
          const { tenantId } = managedTenant(request);
          const { id } = request.params;
          const credentials = await extensionCredentials(routing.sql, tenantId, id);
          if (credentials === null) throw notFound('extension', id);
          const servers = sip.statusOf?.(credentials.endpoint) ?? [];
          const hasSipPassword = credentials.sealedPassword !== null;
          return {
            id,
            endpoint: credentials.endpoint,
            enabled: credentials.enabled,
            hasSipPassword,
            provisioned: credentials.enabled && hasSipPassword && servers.length > 0 && servers.every((s) => s.state === 'pushed'),
            servers,
          };
        },
      );
    }

    // Voicemail messages

    r.get(
      '/api/routing/voicemail-boxes/:id/messages',
      { config: READ, schema: { tags: TAGS, summary: "A voicemail box's messages, newest first (at most 500)", params: idParams, response: { 200: z.object({ items: z.array(voicemailMessageSchema) }), 404: errorSchema } } },
      async (request) => {
        const { tenantId } = managedTenant(request);
        const items = await routing.listMessages(tenantId, request.params.id);
        if (items === null) throw notFound('voicemail box', request.params.id);
        return { items };
      },
    );

    r.patch(
      '/api/routing/voicemail-boxes/:id/messages/:messageId',
      { config: WRITE, schema: { tags: TAGS, summary: 'Mark a voicemail message heard or not', params: messageParams, body: voicemailMessagePatch, response: { 200: voicemailMessageSchema, 404: errorSchema } } },
      async (request) => {
        const { principal, tenantId } = managedTenant(request);
        const { id, messageId } = request.params;
        const before = await routing.getMessage(tenantId, id, messageId);
        if (before === null) throw notFound('voicemail message', messageId);
        return audited(principal, tenantId, { action: 'routing.voicemail_message.update', targetType: 'voicemail_message', targetId: messageId, before }, async (tx) => {
          const message = await tx.markHeard(tenantId, id, messageId, request.body.heard);
          if (message === null) throw notFound('voicemail message', messageId);
          return message;
        });
      },
    );

    r.delete(
      '/api/routing/voicemail-boxes/:id/messages/:messageId',
      { config: WRITE, schema: { tags: TAGS, summary: 'Delete a voicemail message', params: messageParams, response: { 204: z.null(), 404: errorSchema } } },
      async (request, reply) => {
        const { principal, tenantId } = managedTenant(request);
        const { id, messageId } = request.params;
        const before = await routing.getMessage(tenantId, id, messageId);
        if (before === null) throw notFound('voicemail message', messageId);
        await audited(
          principal,
          tenantId,
          { action: 'routing.voicemail_message.delete', targetType: 'voicemail_message', targetId: messageId, before },
          async (tx) => {
            if (!(await tx.deleteMessage(tenantId, id, messageId))) throw notFound('voicemail message', messageId);
            return null;
          },
          () => null,
        );
        // The audio goes too; a server that cannot be asked now keeps the file (logged by the runtime).
        if (deps.deleteRecordingAudio) await deps.deleteRecordingAudio(before.recordingId);
        return reply.code(204).send(null);
      },
    );

    // Numbers

    r.get(
      '/api/routing/numbers',
      { config: READ, schema: { tags: TAGS, summary: "The tenant's numbers (given by the operator) and where their calls go", response: { 200: z.object({ items: z.array(numberRouteSchema) }), 400: errorSchema } } },
      async (request) => {
        const { tenantId } = managedTenant(request);
        return { items: await routing.listNumberRoutes(tenantId) };
      },
    );

    r.put(
      '/api/routing/numbers/:number',
      {
        config: WRITE,
        schema: { tags: TAGS, summary: "Set where one of the tenant's numbers goes, and whether its calls are recorded", params: numberParams, body: numberRouteInput, response: { 200: numberRouteSchema, 404: errorSchema, 422: errorSchema } },
      },
      async (request) => {
        const { principal, tenantId } = managedTenant(request);
        const number = request.params.number.trim();
        const before = (await routing.listNumberRoutes(tenantId)).find((route) => route.number === number);
        if (before === undefined) throw notFound('number', number);
        return audited(principal, tenantId, { action: 'routing.number.update', targetType: 'number', targetId: number, before }, async (tx) => {
          const route = await tx.setNumberRoute(tenantId, number, request.body.destination, request.body.record);
          if (route === null) throw notFound('number', number);
          return route;
        });
      },
    );
  };
}
