// Shapes the dashboard reads from the engine's HTTP API and live stream. Call shapes come from the
// domain and store modules themselves (type-only imports, erased at build) so the two never drift.
import type { CallDetail, CallRecord } from '../../../src/domain/call.ts';
import type { SinkHealth } from '../../../src/crm/sink-health.ts';
import type { CallPage, CallStats, StoredEvent } from '../../../src/store/types.ts';

export type {
  CallDetail,
  CallRecord,
  ClosedBy,
  CallStatus,
  Direction,
  Disposition,
  Leg,
  TimelineEntry,
  TimelineKind,
} from '../../../src/domain/call.ts';
export type { CallPage, CallStats };

/** A CRM's ids of a call (Bitrix24 CALL_ID, CRM entities), as the detail endpoint adds them. */
export interface CrmLink {
  sink: string;
  externalCallId: string | null;
  data: Record<string, unknown>;
  updatedAt: string;
}

/** `GET /api/calls/:id`: the domain's detail plus what the API joins in. */
export interface CallDetailResponse extends CallDetail {
  crm?: CrmLink[];
}

export interface AriConnectionHealth {
  name: string;
  state: string;
  connectedSince: string | null;
  reconnects: number;
  lastError: string | null;
}

export type { SinkHealth as CrmSinkHealth } from '../../../src/crm/sink-health.ts';
/** A delivery as `GET /api/deliveries` lists it (dead letters on the health page). */
export type { DeliveryView } from '../../../src/crm/deliveries.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** Absent for anyone but operators: they get the status only. */
  checks?: {
    database: { ok: boolean; latencyMs: number | null; kind: string; error?: string };
    ari: AriConnectionHealth[];
    simulator: { running: boolean } | null;
    ingest?: { pending: number; paused: boolean; lastError: string | null };
    crm: {
      pending: number;
      dead: number;
      oldestPendingAgeMs: number | null;
      sinks?: SinkHealth[];
    } | null;
  };
}

export interface EngineStats {
  calls: number;
  events: number;
  activeCalls: number;
  eventsPerSecond: number;
  eventsByType: Record<string, number>;
  ari: AriConnectionHealth[];
}

export type RawEvent = Pick<StoredEvent, 'seq' | 'type' | 'channelId' | 'receivedAt' | 'event'>;

/** `GET /api/calls/:id/events`: one page; `nextCursor` is the next page's `after`, null at the end. */
export interface RawEventsPage {
  items: RawEvent[];
  nextCursor: number | null;
}

export type { LiveChange, LiveOpening, LiveSnapshotMessage, LiveWireMessage } from '../../../src/app/live-protocol.ts';
export { LIVE_CLOSE_CODES } from '../../../src/app/live-protocol.ts';

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown[];
}
