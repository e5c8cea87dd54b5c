import { once } from 'node:events';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Pipeline } from '../../src/app/pipeline.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { generateTraffic } from '../../src/sim/traffic.ts';
import { copyField, rawText } from '../../src/store/copy-text.ts';
import { defaultConfig } from './benchmark.ts';
import { benchTraffic } from './traffic.ts';

// Fills a fresh, migrated database with a realistic history, fast: a few thousand real calls are run
// through the pipeline, then copied into `calls` and `legs` many times over with new ids, servers,
// directions and start times spread over 30 days (COPY), and `events` gets EVENTS_PER_CALL real event
// payloads per call, generated inside PostgreSQL from a COPYed table of the real events (INSERT …
// SELECT in two sessions), several times faster than sending gigabytes of COPY text.

const TEMPLATE_CALLS = 3_000;
export const EVENTS_PER_CALL = 30;
export const SERVERS = ['pbx1', 'pbx2', 'pbx3', 'pbx4'];
const SPREAD_MS = 30 * 24 * 3600 * 1000;

interface TemplateEvent {
  call: number;
  order: number;
  type: string;
  channelId: string | null;
  text: string;
}

function templates(): { records: CallRecord[]; events: TemplateEvent[] } {
  const pipeline = new Pipeline({ policy: directionPolicy(defaultConfig().direction) });
  const latest = new Map<string, CallRecord>();
  const byCall = new Map<string, TemplateEvent[]>();
  const collect = (): void => {
    const drained = pipeline.drain(Date.now());
    for (const record of drained.batch.calls) latest.set(record.id, record);
    for (const row of drained.batch.events) {
      if (row.callId === null) continue;
      let list = byCall.get(row.callId);
      if (!list) byCall.set(row.callId, (list = []));
      list.push({ call: 0, order: list.length, type: row.type, channelId: row.channelId, text: rawText(row.raw) });
    }
  };
  for (const e of generateTraffic(benchTraffic({ calls: TEMPLATE_CALLS, concurrency: 300 }))) {
    pipeline.ingestText(e.text, new Date(e.atMs), 'pbx1');
    if (pipeline.pendingCount >= 2_000) collect();
  }
  collect();
  const records = [...latest.values()].filter((r) => r.status === 'finished' && byCall.has(r.id));
  // EVENTS_PER_CALL per call: the call's own events, repeated from the start for the short ones.
  const events = records.flatMap((r, call) => {
    const own = byCall.get(r.id)!;
    return Array.from({ length: EVENTS_PER_CALL }, (_, order) => ({ ...own[order % own.length]!, call, order }));
  });
  return { records, events };
}

function shift(iso: string | null, deltaMs: number): string | null {
  return iso === null ? null : new Date(Date.parse(iso) + deltaMs).toISOString();
}

/**
 * Call k: template k mod T, a new id, one of SERVERS, started at its place in the 30-day spread. The
 * generated scenarios are all inbound to the default rules; a PBX's history is not, so 30% are turned
 * outbound (numbers swapped) and 10% internal.
 */
function seededCall(template: CallRecord, k: number, total: number, nowMs: number): CallRecord {
  const startMs = nowMs - SPREAD_MS + Math.floor((k * SPREAD_MS) / total);
  const delta = startMs - Date.parse(template.startedAt);
  const id = `${Math.floor(startMs / 1000)}.${k}`;
  const mix = k % 10;
  const direction = mix < 6 ? 'inbound' : mix < 9 ? 'outbound' : 'internal';
  return {
    ...template,
    id,
    server: SERVERS[k % SERVERS.length]!,
    direction,
    from: direction === 'outbound' ? template.to : template.from,
    to: direction === 'outbound' ? template.from : template.to,
    startedAt: new Date(startMs).toISOString(),
    answeredAt: shift(template.answeredAt, delta),
    endedAt: shift(template.endedAt, delta),
    updatedAt: shift(template.updatedAt, delta)!,
    legs: template.legs.map((leg, i) => ({
      ...leg,
      channelId: i === 0 ? id : `${id}-${i}`,
      createdAt: shift(leg.createdAt, delta)!,
      answeredAt: shift(leg.answeredAt, delta),
      endedAt: shift(leg.endedAt, delta),
    })),
  };
}

const f = (value: string | number | null): string => copyField(value === null ? null : String(value));

function callLine(c: CallRecord): string {
  return (
    [c.id, c.server, c.status, c.disposition, c.direction, c.from, c.to, c.startedAt, c.answeredAt, c.endedAt, c.durationMs, c.talkMs, c.hangupCause, c.hangupCauseText, c.closedBy, c.eventCount, c.updatedAt]
      .map(f)
      .join('\t') + `\t${f(JSON.stringify(c))}\n`
  );
}

function legLines(c: CallRecord): string {
  return c.legs
    .map((l) => [l.channelId, c.id, c.server, l.name, l.endpoint, l.createdAt, l.answeredAt, l.endedAt, l.cause, l.causeText].map(f).join('\t') + '\n')
    .join('');
}

/** Feeds two COPY statements (on two connections) from one pass over the rows. */
async function copyBoth(targets: [pg.Client, string][], lines: () => Generator<[string, string]>): Promise<void> {
  const streams = targets.map(([client, sql]) => client.query(copyFrom(sql)));
  const buffers = ['', ''];
  const push = async (i: number, force: boolean): Promise<void> => {
    if (buffers[i]!.length < 1 << 20 && !force) return;
    const stream = streams[i]!;
    if (!stream.write(Buffer.from(buffers[i]!, 'utf8'))) await once(stream, 'drain');
    buffers[i] = '';
  };
  for (const pair of lines()) {
    buffers[0] += pair[0];
    buffers[1] += pair[1];
    await push(0, false);
    await push(1, false);
  }
  await push(0, true);
  await push(1, true);
  for (const stream of streams) stream.end();
  await Promise.all(streams.map((stream) => finished(stream)));
}

async function copyLines(client: pg.Client, sql: string, lines: () => Generator<string>): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    let buffer = '';
    for (const line of lines()) {
      buffer += line;
      if (buffer.length > 1 << 20) {
        yield Buffer.from(buffer, 'utf8');
        buffer = '';
      }
    }
    if (buffer !== '') yield Buffer.from(buffer, 'utf8');
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

export interface SeedResult {
  calls: number;
  events: number;
  /** Some from-number prefix that selects a realistic share of calls. */
  numberPrefix: string;
}

export async function seedHistory(url: string, calls: number, log: (m: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const step = (what: string): void => log(`${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const { records, events } = templates();
  step(`${records.length} template calls, ${events.length} template events`);
  const nowMs = Date.now();
  const client = new pg.Client({ connectionString: url });
  const second = new pg.Client({ connectionString: url });
  await client.connect();
  await second.connect();
  try {
    // No autovacuum competing with the load for the disk; the tables are analyzed explicitly after.
    for (const table of ['events', 'calls', 'legs']) await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = off)`);
    await copyBoth(
      [
        [client, 'COPY calls (id, server, status, disposition, direction, from_number, to_number, started_at, answered_at, ended_at, duration_ms, talk_ms, hangup_cause, hangup_cause_text, closed_by, event_count, updated_at, record) FROM STDIN'],
        [second, 'COPY legs (channel_id, call_id, server, name, endpoint, created_at, answered_at, ended_at, cause, cause_text) FROM STDIN'],
      ],
      function* () {
        for (let k = 0; k < calls; k++) {
          const call = seededCall(records[k % records.length]!, k, calls, nowMs);
          yield [callLine(call), legLines(call)];
        }
      },
    );
    step(`${calls} calls and their legs copied`);
    await client.query('CREATE UNLOGGED TABLE template_events (call int, ord int, type text, channel_id text, payload jsonb)');
    await copyLines(client, 'COPY template_events (call, ord, type, channel_id, payload) FROM STDIN', function* () {
      for (const e of events) yield `${e.call}\t${e.order}\t${f(e.type)}\t${f(e.channelId)}\t${f(e.text)}\n`;
    });
    // The events index is built once after the load rather than maintained row by row.
    await client.query('DROP INDEX events_call_seq_idx');
    // Same ids, servers and start times as seededCall() gives call k; two sessions, one per core.
    const half = Math.ceil(calls / 2);
    const counts = await Promise.all(
      [client, second].map((session, i) =>
        session.query(
          `INSERT INTO events (call_id, server, type, channel_id, received_at, payload)
           SELECT (s.start_ms / 1000) || '.' || s.k, ($4::text[])[s.k % $5 + 1], t.type, t.channel_id || '-' || s.k,
                  to_timestamp((s.start_ms + t.ord * 500) / 1000.0), t.payload
           FROM (SELECT k, $2::bigint + (k::bigint * $3::bigint) / $1 AS start_ms FROM generate_series($7::int, $8::int - 1) AS k) AS s
           JOIN template_events t ON t.call = s.k % $6`,
          [calls, nowMs - SPREAD_MS, SPREAD_MS, SERVERS, SERVERS.length, records.length, i * half, Math.min(calls, (i + 1) * half)],
        ),
      ),
    );
    const inserted = counts.reduce((n, r) => n + (r.rowCount ?? 0), 0);
    step(`${inserted} events inserted`);
    await client.query("SET maintenance_work_mem = '256MB'");
    await client.query('CREATE INDEX events_call_seq_idx ON events (call_id, seq)');
    await client.query('DROP TABLE template_events');
    await client.query(`INSERT INTO event_type_counts (type, count) SELECT type, count(*) FROM events GROUP BY type`);
    for (const table of ['events', 'calls', 'legs']) await client.query(`ALTER TABLE ${table} RESET (autovacuum_enabled)`);
    await client.query('VACUUM ANALYZE calls');
    await client.query('VACUUM ANALYZE legs');
    await client.query('ANALYZE events');
    step('indexed and analyzed');
    const prefix = records[0]!.from.slice(0, 4);
    return { calls, events: inserted, numberPrefix: prefix };
  } finally {
    await client.end();
    await second.end();
  }
}
