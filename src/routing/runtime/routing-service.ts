import { hkdfSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { ROUTING_STEP } from '../../ari/normalize.ts';
import type { AriRest } from '../../ari/rest.ts';
import { verifyPinSync } from '../../tenants/passwords.ts';
import { startFlow, step } from '../flow/machine.ts';
import type { FlowState } from '../flow/state.ts';
import type { RoutingStep } from '../flow/types.ts';
import type { RoutingSnapshot } from '../objects/model.ts';
import type { RoutingStore } from '../objects/routing-store.ts';
import { recordingAudioPath, type RecordingStore } from '../recordings/recording-store.ts';
import type { MediaEventType } from '../../crm/config.ts';
import type { RecordingFacts, VoicemailFacts } from '../../crm/plan.ts';
import type { CallRecord } from '../../domain/call.ts';
import { INSERT_OUTBOX } from '../../store/batch-statements.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import type { OutboxInsert } from '../../store/types.ts';
import { FlowRuntime } from './flow-runtime.ts';
import { promptMediaRoutes } from './media-routes.ts';
import { presenceBoard, type PresenceBoard } from './presence-board.ts';
import { PromptAudio } from './prompt-audio.ts';
import { RefreshingCache } from './refreshing-cache.ts';
import { OfflineSpeech } from './speech.ts';

// Routing as the composition root builds it (docs/routing.md): one flow runtime per ARI server, the prompt
// audio they share (spoken offline, served to Asterisk over HTTP), and the routing data they read.
//
// A tenant's routing is read once per call, at its start, from a copy: a change made through this engine's API
// drops the copy at once (`changed`), so the next call reads the new routing; one made through another
// instance is seen within about SNAPSHOT_TTL_MS. An older copy is refreshed in the background while calls go on
// with it (reading a tenant's routing takes tens of milliseconds; a call must not wait for that each time).

const SNAPSHOT_TTL_MS = 2_000;

export interface RoutingServiceDeps {
  store: RoutingStore;
  logger: Logger;
  /** The data folder (`memory://…`: a temporary folder for the run). */
  dataDir: string;
  /** The engine's secrets key: prompt file names are keyed by a key derived from it. */
  secretsKey: Buffer;
  mediaBaseUrl: () => string;
  /** Stores a routing step as an event of the call (through the engine's ingest, like an ARI event). */
  ingest(server: string, text: string): void;
  recordings: RecordingStore;
  /** Call recordings older than this are deleted (file and row); 0 keeps them. */
  recordingRetentionDays: number;
  /** Recordings and voicemail messages go to the CRM and webhooks through the outbox; absent: nowhere. */
  outbox?: MediaOutbox;
  /** Counted per server as they happen (metrics). */
  counters?: { flowStarted(server: string): void; commandFailed(server: string): void; activeFlows(server: string, active: number): void };
}

export interface MediaOutbox {
  /** The call a channel is a leg of, as stored once what was ingested is (null: none). */
  callOfChannel(server: string, channelId: string): Promise<CallRecord | null>;
  planMedia(call: CallRecord, type: MediaEventType, media: { recording: RecordingFacts } | { voicemail: VoicemailFacts }): OutboxInsert[];
  /** Tells the outbox worker there is something to deliver. */
  wake(): void;
}

/** How often the retention sweep looks for expired call recordings, and how many it takes per round. */
const RETENTION_SWEEP_MS = 3_600_000;
const RETENTION_BATCH = 200;

export class RoutingService {
  private readonly runtimes = new Map<string, FlowRuntime<FlowState>>();
  private readonly rests = new Map<string, AriRest>();
  private readonly snapshots: RefreshingCache<string, RoutingSnapshot>;
  private readonly owners: RefreshingCache<string, string | null>;
  /** The tenant whose extension a PJSIP endpoint is (its calls are internal calls of that tenant). */
  private readonly phones: RefreshingCache<string, string | null>;
  private readonly speech = new OfflineSpeech();
  private readonly promptDir: string;
  private readonly temporaryPromptDir: boolean;
  private retentionTimer: NodeJS.Timeout | null = null;
  readonly audio: PromptAudio;
  readonly routes: FastifyPluginAsync;

  constructor(private readonly d: RoutingServiceDeps) {
    this.temporaryPromptDir = d.dataDir.startsWith('memory://');
    this.promptDir = this.temporaryPromptDir ? mkdtempSync(join(tmpdir(), 'callflow-prompts-')) : join(d.dataDir, 'prompts');
    const secret = Buffer.from(hkdfSync('sha256', d.secretsKey, Buffer.alloc(0), 'callflow prompt audio names', 32));
    this.audio = new PromptAudio({ dir: this.promptDir, secret, speech: this.speech, mediaBaseUrl: d.mediaBaseUrl });
    this.routes = promptMediaRoutes(this.audio);
    this.snapshots = new RefreshingCache((tenantId) => d.store.snapshot(tenantId), SNAPSHOT_TTL_MS);
    this.owners = new RefreshingCache((number) => d.store.tenantOfNumber(number), SNAPSHOT_TTL_MS);
    this.phones = new RefreshingCache((endpoint) => d.store.tenantOfEndpoint(endpoint), SNAPSHOT_TTL_MS);
  }

  /** The runtime of one ARI server (made at the first ask). */
  runtimeFor(server: string, rest: AriRest, app: string): FlowRuntime<FlowState> {
    let runtime = this.runtimes.get(server);
    if (runtime) return runtime;
    runtime = new FlowRuntime<FlowState>({
      server,
      app,
      machine: { start: startFlow, step },
      ari: rest,
      routing: {
        snapshotFor: (dialed, callerEndpoint) => this.snapshotFor(dialed, callerEndpoint),
        advanceRoundRobin: async (tenantId, groupId, nextIndex) => {
          await this.d.store.advanceRoundRobin(tenantId, groupId, nextIndex);
          this.changed(tenantId);
        },
        voicemailLeft: async (m) => {
          const call = await this.callOf(server, m.callerChannelId);
          await this.d.store.transaction(async (tx) => {
            const message = await tx.addMessage(m.tenantId, m.boxId, { callId: call?.id ?? null, from: m.from, durationS: m.durationS, recordingId: m.recordingId });
            if (call === null || !this.d.outbox) return;
            const voicemail: VoicemailFacts = {
              boxId: m.boxId,
              messageId: message.id,
              recordingId: m.recordingId,
              durationS: m.durationS,
              from: m.from,
              audioPath: `/api/routing/voicemail-boxes/${encodeURIComponent(m.boxId)}/messages/${encodeURIComponent(message.id)}/audio`,
            };
            await insertOutbox(tx.sql, this.d.outbox.planMedia(call, 'voicemail.left', { voicemail }));
          });
          this.d.outbox?.wake();
        },
        callRecorded: async (r) => {
          const call = await this.callOf(server, r.callerChannelId);
          const recording: RecordingFacts = { id: r.recordingId, durationS: r.durationS, policy: r.policy, audioPath: recordingAudioPath(r.recordingId) };
          await this.d.recordings.transaction(async (tx) => {
            await tx.add({ id: r.recordingId, tenantId: r.tenantId, server, channelId: r.callerChannelId, from: r.from, policy: r.policy, durationS: r.durationS, startedAt: new Date(r.startedAt).toISOString() });
            if (call !== null && this.d.outbox) await insertOutbox(tx.sql, this.d.outbox.planMedia(call, 'call.recorded', { recording }));
          });
          this.d.outbox?.wake();
        },
      },
      media: this.audio,
      checkPin: (hash, pin) => verifyPinSync(pin, hash),
      onStep: (channelId, text, s, answeredBy) => this.d.ingest(server, routingStepEvent(channelId, text, s, answeredBy)),
      logger: this.d.logger.child({ component: 'routing', server }),
      onFlowStarted: () => this.d.counters?.flowStarted(server),
      onCommandFailed: () => this.d.counters?.commandFailed(server),
      onActiveFlows: (active) => this.d.counters?.activeFlows(server, active),
    });
    this.runtimes.set(server, runtime);
    this.rests.set(server, rest);
    return runtime;
  }

  /** The call a channel of `server` is a leg of (null: not stored, or no outbox to tell). */
  private async callOf(server: string, channelId: string): Promise<CallRecord | null> {
    if (!this.d.outbox) return null;
    const call = await this.d.outbox.callOfChannel(server, channelId).catch((error: unknown) => {
      this.d.logger.warn({ err: (error as Error).message, server, channel: channelId }, 'could not read the call of a recording');
      return null;
    });
    if (call === null) this.d.logger.warn({ server, channel: channelId }, 'a recording whose call is not stored: not sent to the CRM or webhooks');
    return call;
  }

  /** A recording's audio (a voicemail message) from the first server that has it, or null. */
  async recordingAudio(name: string): Promise<Buffer | null> {
    for (const rest of this.rests.values()) {
      const audio = await rest.storedRecordingFile(name).catch((error: unknown) => {
        this.d.logger.warn({ err: (error as Error).message }, 'could not fetch a stored recording');
        return null;
      });
      if (audio !== null) return audio;
    }
    return null;
  }

  /** The tenant's extensions and ring groups with their phones' states, as every connected Asterisk sees them. */
  async presence(tenantId: string): Promise<PresenceBoard> {
    const config = await this.snapshots.get(tenantId);
    return presenceBoard(config, [...this.runtimes.values()], Date.now());
  }

  /**
   * Deletes a stored recording (a voicemail message's or a call's audio) from every server that has it; false
   * when a server could not be asked (the file may still be there).
   */
  async deleteRecordingAudio(name: string): Promise<boolean> {
    let all = true;
    for (const rest of this.rests.values()) {
      await rest.deleteStoredRecording(name).catch((error: unknown) => {
        all = false;
        this.d.logger.warn({ err: (error as Error).message }, 'could not delete a stored recording');
      });
    }
    return all;
  }

  /** Deletes call recordings past the retention (files first, then rows); returns how many went. */
  async sweepRecordings(now = Date.now()): Promise<number> {
    const days = this.d.recordingRetentionDays;
    if (days === 0) return 0;
    const expired = await this.d.recordings.olderThan(new Date(now - days * 86_400_000), RETENTION_BATCH);
    const gone: string[] = [];
    for (const r of expired) if (await this.deleteRecordingAudio(r.id)) gone.push(r.id);
    await this.d.recordings.deleteIds(gone);
    if (gone.length > 0) this.d.logger.info({ recordings: gone.length, retentionDays: days }, 'call recordings past their retention deleted');
    return gone.length;
  }

  /** Starts the hourly retention sweep (stopped by close). */
  startRetention(): void {
    if (this.retentionTimer !== null || this.d.recordingRetentionDays === 0) return;
    this.retentionTimer = setInterval(() => {
      this.sweepRecordings().catch((error: unknown) => this.d.logger.error({ err: error }, 'the call recording retention sweep failed; it runs again in an hour'));
    }, RETENTION_SWEEP_MS);
    this.retentionTimer.unref();
  }

  /** A tenant's routing changed: the next call reads it anew. */
  changed(tenantId: string): void {
    this.snapshots.drop(tenantId);
  }

  /** Numbers were given to or taken from tenants. */
  numbersChanged(): void {
    this.owners.clear();
  }

  get activeFlows(): number {
    let n = 0;
    for (const r of this.runtimes.values()) n += r.activeFlows;
    return n;
  }

  async close(): Promise<void> {
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    for (const runtime of this.runtimes.values()) runtime.stop();
    await this.speech.close();
    if (this.temporaryPromptDir) rmSync(this.promptDir, { recursive: true, force: true });
  }

  /**
   * The tenant that owns the number routes the call; failing that, a call from one of a tenant's phones follows
   * that tenant's routing (its extensions, groups and rooms by internal number, outside numbers by its trunk).
   */
  private async snapshotFor(dialed: string, callerEndpoint: string | null): Promise<{ config: RoutingSnapshot; internal: boolean } | null> {
    const owner = await this.owners.get(dialed);
    if (owner !== null) {
      const snapshot = await this.snapshots.get(owner);
      if (snapshot.numbers.get(dialed)?.destination) return { config: snapshot, internal: false };
    }
    const phoneTenant = callerEndpoint === null ? null : await this.phones.get(callerEndpoint);
    return phoneTenant === null ? null : { config: await this.snapshots.get(phoneTenant), internal: true };
  }
}

/** A routing step as the engine stores it: an event of the caller's channel (src/ari/normalize.ts). */
export function routingStepEvent(channelId: string, text: string, s: RoutingStep, answeredBy: string | null = null): string {
  return JSON.stringify({ type: ROUTING_STEP, timestamp: new Date().toISOString(), channel_id: channelId, text, step: s, ...(answeredBy === null ? {} : { answered_by: answeredBy }) });
}

/** Outbox rows written in the caller's transaction (delivered by the CRM's outbox worker). */
async function insertOutbox(sql: SqlClient, rows: readonly OutboxInsert[]): Promise<void> {
  if (rows.length > 0) await sql.query(INSERT_OUTBOX, [JSON.stringify(rows)]);
}
