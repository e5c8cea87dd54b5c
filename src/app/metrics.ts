import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BulkHistogram } from './bulk-histogram.ts';

// Prometheus metrics of the engine, on one registry passed to whoever records them.

export interface EngineMetrics {
  registry: Registry;
  eventsTotal: Counter<'type'>;
  /**
   * Accepted events by type not yet added to eventsTotal: counting goes here (a plain map increment per
   * event, a fraction of a labelled counter's cost) and is added to the counter whenever it is read.
   */
  uncountedEvents: Map<string, number>;
  eventsInvalid: Counter<string>;
  /** Events never stored: not taken by the database before a stop and not spooled, or unreadable in a spool. */
  eventsLost: Counter<string>;
  /** Rows the database refused for good, kept in the quarantine table. */
  quarantined: Counter<'kind'>;
  /** Event fields clipped or dropped at their bound (src/ari/event-limits.ts). */
  fieldsClipped: Counter<'field'>;
  batchSeconds: Histogram<string>;
  batchEvents: Histogram<string>;
  /** Per event of each committed batch, observed per distinct arrival instant. */
  commitLagSeconds: BulkHistogram;
  pendingEvents: Gauge<string>;
  activeCalls: Gauge<string>;
  ariConnected: Gauge<'server'>;
  ariReconnects: Gauge<'server'>;
  /** Windows in which a server's events could not be seen (its socket down, or the engine not running). */
  ariGaps: Counter<'server'>;
  /** Channels a gap's CEL backfill created (`new`) or completed (`corrected`: answer or end supplied). */
  celChannels: Counter<'server' | 'kind'>;
  /** CEL rows refused as malformed during a backfill (passed over). */
  celRowsInvalid: Counter<'server'>;
  /** Gap backfills that could not read their CEL source or store their events. */
  celBackfillsFailed: Counter<'server'>;
  ingestPaused: Gauge<string>;
  liveSubscribers: Gauge<string>;
  /** Live clients opened, by how: snapshot (fresh), resumed (missed frames replayed), resnapshot. */
  liveOpenings: Counter<'outcome'>;
  /** Live clients disconnected because their send buffer passed its bound. */
  liveSlowDisconnects: Counter<string>;
  listingLookups: Counter<'answer'>;
  callsSwept: Counter<'reason'>;
  /** Routed calls whose flow started, by server. */
  routingFlowsStarted: Counter<'server'>;
  /** ARI commands of routing flows Asterisk refused or that failed, by server (each logged with its reason). */
  routingCommandsFailed: Counter<'server'>;
  /** Routed calls in a flow right now, by server. */
  routingFlowsActive: Gauge<'server'>;
}

export function createMetrics(): EngineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callflow_process_' });
  const r = { registers: [registry] };
  const uncountedEvents = new Map<string, number>();
  return {
    registry,
    eventsTotal: new Counter({
      name: 'callflow_events_total',
      help: 'ARI events accepted, by type',
      labelNames: ['type'],
      collect() {
        for (const [type, n] of uncountedEvents) this.inc({ type }, n);
        uncountedEvents.clear();
      },
      ...r,
    }),
    uncountedEvents,
    eventsInvalid: new Counter({ name: 'callflow_events_invalid_total', help: 'Events rejected as malformed or over their size limit', ...r }),
    eventsLost: new Counter({ name: 'callflow_ingest_events_lost_total', help: 'Events never stored (see the error logged with each loss)', ...r }),
    quarantined: new Counter({
      name: 'callflow_ingest_quarantined_rows_total',
      help: 'Rows of ingest batches the database refused for good, kept in quarantine (the rest of each batch was written)',
      labelNames: ['kind'],
      ...r,
    }),
    fieldsClipped: new Counter({
      name: 'callflow_event_fields_clipped_total',
      help: 'Event fields over their bound: texts clipped, numbers out of range dropped',
      labelNames: ['field'],
      ...r,
    }),
    batchSeconds: new Histogram({
      name: 'callflow_batch_commit_seconds',
      help: 'Time to commit one ingest batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ...r,
    }),
    batchEvents: new Histogram({
      name: 'callflow_batch_events',
      help: 'Events per committed batch',
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 20000],
      ...r,
    }),
    commitLagSeconds: new BulkHistogram({
      name: 'callflow_event_commit_lag_seconds',
      help: 'From event arrival to its durable commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      ...r,
    }),
    pendingEvents: new Gauge({ name: 'callflow_ingest_pending_events', help: 'Events waiting for commit', ...r }),
    activeCalls: new Gauge({ name: 'callflow_active_calls', help: 'Calls not finished', ...r }),
    ariConnected: new Gauge({ name: 'callflow_ari_connected', help: '1 when the ARI events socket is connected', labelNames: ['server'], ...r }),
    ariReconnects: new Gauge({ name: 'callflow_ari_reconnects', help: 'ARI reconnects since start', labelNames: ['server'], ...r }),
    ariGaps: new Counter({ name: 'callflow_ari_gaps_total', help: "Windows in which a server's events could not be seen (GET /api/gaps)", labelNames: ['server'], ...r }),
    celChannels: new Counter({ name: 'callflow_cel_backfilled_channels_total', help: "Channels a gap's backfill from CEL created (new) or completed (corrected)", labelNames: ['server', 'kind'], ...r }),
    celRowsInvalid: new Counter({ name: 'callflow_cel_rows_invalid_total', help: 'CEL rows refused as malformed during a backfill', labelNames: ['server'], ...r }),
    celBackfillsFailed: new Counter({ name: 'callflow_cel_backfills_failed_total', help: 'Gap backfills that could not read CEL or store their events', labelNames: ['server'], ...r }),
    ingestPaused: new Gauge({ name: 'callflow_ingest_paused', help: '1 while event sources are paused by backpressure', ...r }),
    liveSubscribers: new Gauge({ name: 'callflow_live_subscribers', help: 'Connected /api/live clients', ...r }),
    liveOpenings: new Counter({
      name: 'callflow_live_openings_total',
      help: '/api/live connections opened, by outcome: snapshot (fresh), resumed (missed changes replayed), resnapshot (asked to resume, got a snapshot)',
      labelNames: ['outcome'],
      ...r,
    }),
    liveSlowDisconnects: new Counter({
      name: 'callflow_live_slow_disconnects_total',
      help: '/api/live clients closed (4001) because they read too slowly and their send buffer passed its bound',
      ...r,
    }),
    listingLookups: new Counter({
      name: 'callflow_api_listing_lookups_total',
      help: 'GET /api/calls pages by how they were answered: hit (from memory), shared (joined a running query), miss (queried)',
      labelNames: ['answer'],
      ...r,
    }),
    routingFlowsStarted: new Counter({ name: 'callflow_routing_flows_started_total', help: 'Routed calls whose flow started (docs/routing.md)', labelNames: ['server'], ...r }),
    routingCommandsFailed: new Counter({
      name: 'callflow_routing_commands_failed_total',
      help: 'ARI commands of routing flows that failed (each is logged; the flow is told and goes on)',
      labelNames: ['server'],
      ...r,
    }),
    routingFlowsActive: new Gauge({ name: 'callflow_routing_flows_active', help: 'Routed calls in a flow right now', labelNames: ['server'], ...r }),
    callsSwept: new Counter({
      name: 'callflow_calls_swept_total',
      help: 'Open calls closed by the stale-call sweep, by reason: stale (no events; Asterisk, when asked, no longer has its channels), disconnected, unconfigured',
      labelNames: ['reason'],
      ...r,
    }),
  };
}
