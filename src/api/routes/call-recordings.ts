import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { recordingAudioPath, type CallRecordingRow, type RecordingStore } from '../../routing/recordings/recording-store.ts';
import { actorOf, scopeOf } from '../../tenants/principal.ts';
import { principalOf } from '../auth.ts';
import type { Store } from '../../store/types.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { errorSchema } from '../schemas.ts';
import { managedTenant, notFound } from './account-support.ts';
import { visibleOr404, visibleTo } from './call-scope.ts';

// Conversations recorded by a routing policy (docs/routing.md, "Call recordings"): listed with their call,
// played from Asterisk's stored recordings, deleted (file and row) by someone who may change calls. A recording
// is seen by whoever may see its call; another tenant's is not there.

export interface CallRecordingDeps {
  store: Pick<Store, 'getCall' | 'callIdsOfChannels'>;
  recordings: RecordingStore;
  tenants: TenantStore;
  /** A stored recording's audio from the connected Asterisk servers, or null when none has it. */
  recordingAudio(name: string): Promise<Buffer | null>;
  /** Deletes a stored recording's file everywhere; false when a server could not be asked. */
  deleteRecordingAudio(name: string): Promise<boolean>;
}

const recordingSchema = z
  .object({
    id: z.string(),
    durationS: z.number().int(),
    policy: z.enum(['number', 'extension']).describe('why it was recorded: the number called, or the extension that answered, records its calls'),
    startedAt: z.string(),
    createdAt: z.string(),
    audioUrl: z.string().describe('GET it for the WAV'),
  })
  .meta({ id: 'CallRecording' });

const idParams = z.object({ id: z.string().min(1).max(200) });

export function callRecordingRoutes(deps: CallRecordingDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/api/calls/:id/recordings',
      { config: { permission: 'calls:read' }, schema: { tags: ['calls'], summary: "The call's recorded conversations", params: idParams, response: { 200: z.object({ items: z.array(recordingSchema) }), 404: errorSchema } } },
      async (request) => {
        const call = visibleOr404(request, request.params.id, await deps.store.getCall(request.params.id));
        const rows = await deps.recordings.list(call.tenantId, { channelIds: call.legs.map((l) => l.channelId) });
        return {
          items: rows.map((row) => ({
            id: row.id,
            durationS: row.durationS,
            policy: row.policy,
            startedAt: row.startedAt,
            createdAt: row.createdAt,
            audioUrl: recordingAudioPath(row.id),
          })),
        };
      },
    );

    r.get(
      '/api/recordings/:id/audio',
      { config: { permission: 'calls:read' }, schema: { tags: ['calls'], summary: "A call recording's audio (WAV); 404 when it or its audio is not there", params: idParams } },
      async (request, reply) => {
        const row = await visibleRecording(request, request.params.id);
        const audio = await deps.recordingAudio(row.id);
        if (audio === null) throw notFound('recording audio', row.id);
        return reply.header('content-type', 'audio/wav').header('cache-control', 'private, max-age=300').send(audio);
      },
    );

    r.delete(
      '/api/recordings/:id',
      { config: { permission: 'calls:write' }, schema: { tags: ['calls'], summary: 'Delete a call recording: its file on Asterisk, then its row', params: idParams, response: { 204: z.null(), 404: errorSchema, 503: errorSchema } } },
      async (request, reply) => {
        const { principal } = managedTenant(request);
        const row = await visibleRecording(request, request.params.id);
        // The file first: a row is never gone while its audio stays behind unlisted.
        if (!(await deps.deleteRecordingAudio(row.id))) throw new AppError(ERROR_CODES.ARI_UNAVAILABLE, 'the recording could not be deleted from Asterisk; try again');
        await deps.recordings.transaction(async (tx) => {
          await tx.delete(row.tenantId, row.id);
          await deps.tenants.appendAudit(
            { tenantId: row.tenantId, actor: actorOf(principal), action: 'recording.delete', targetType: 'recording', targetId: row.id, before: row, after: null },
            tx.sql,
          );
        });
        return reply.code(204).send(null);
      },
    );

    /** The recording when the request may see its call, else 404 (never 403: its existence is not to be learnt). */
    async function visibleRecording(request: FastifyRequest, id: string): Promise<CallRecordingRow> {
      const { tenantId } = managedTenant(request);
      const row = await deps.recordings.get(tenantId, id);
      if (row === null) throw notFound('recording', id);
      const callId = (await deps.store.callIdsOfChannels(row.server, [row.channelId])).get(row.channelId);
      const call = callId === undefined ? null : await deps.store.getCall(callId);
      // A recording whose call is not stored (yet) is the tenant's owners' and admins' alone to see.
      if (call === null ? !principalSeesAll(request) : !visibleTo(request, call)) throw notFound('recording', id);
      return row;
    }
  };
}

/** Whether the principal sees every call of its tenant (not an agent limited to its extensions). */
function principalSeesAll(request: FastifyRequest): boolean {
  return scopeOf(principalOf(request)).extensions === null;
}
