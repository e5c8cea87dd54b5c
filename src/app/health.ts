import type { HealthReport } from '../api/routes/health.ts';
import { isAppError } from '../errors.ts';
import type { Engine } from './engine.ts';

// GET /health's report. Each check that needs the database has a deadline: a database that stops answering
// (a frozen server, a lost network, a long transaction holding the embedded one) makes /health report it
// failing in time instead of hanging with it. While a check is still waiting for its last answer a new
// request joins it rather than queueing another query behind it, so a load balancer polling a frozen
// database never piles up work. Error texts are made safe for the report: no connection strings, no
// credentials, no stack.

export interface HealthDeps {
  store: { kind: string; ping(): Promise<void> };
  engine: Engine;
  simulator: { isRunning: boolean } | null;
  /** The CRM backlog per sink; absent when no CRM or webhook is configured. */
  crm?: { health(): Promise<{ sinks: CrmSink[] }> };
  timeoutMs: number;
}

type CrmSink = NonNullable<HealthReport['checks']['crm']>['sinks'][number];

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: string };

/** Runs `task` at most once at a time; every caller gets its outcome or a timeout, whichever comes first. */
function deadlined<T>(task: () => Promise<T>, timeoutMs: number, what: string): () => Promise<Outcome<T>> {
  let running: Promise<Outcome<T>> | null = null;
  return () => {
    running ??= (async (): Promise<Outcome<T>> => {
      const started = performance.now();
      try {
        const value = await task();
        return { ok: true, value, ms: performance.now() - started };
      } catch (error) {
        return { ok: false, error: safeErrorText(error) };
      } finally {
        running = null;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `${what} gave no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
  };
}

export function createHealthCheck(deps: HealthDeps): () => Promise<HealthReport> {
  const ping = deadlined(() => deps.store.ping(), deps.timeoutMs, 'the database');
  const sinks = deps.crm;
  const crm = sinks ? deadlined(async () => crmSummary((await sinks.health()).sinks), deps.timeoutMs, 'the CRM backlog query') : null;
  return async () => {
    const [db, backlog] = await Promise.all([ping(), crm ? crm() : Promise.resolve(null)]);
    const database: HealthReport['checks']['database'] = db.ok
      ? { ok: true, kind: deps.store.kind, latencyMs: Math.round(db.ms * 100) / 100 }
      : { ok: false, kind: deps.store.kind, latencyMs: null, error: db.error };
    const ari = deps.engine.connections.map((c) => ({
      name: c.serverName,
      state: c.state,
      connectedSince: c.connectedSince ? c.connectedSince.toISOString() : null,
      reconnects: c.reconnects,
      lastError: c.lastError ? safeErrorText(c.lastError) : null,
    }));
    const ingestor = deps.engine.ingestor;
    const ingest = {
      pending: ingestor.pendingCount,
      paused: ingestor.isPaused,
      lastError: ingestor.lastError === null ? null : safeText(ingestor.lastError),
      quarantined: deps.engine.quarantinedRows,
      spill: spillReport(deps.engine),
    };
    // No tenant with a CRM (yet): reported as without one.
    const crmReport = backlog === null || !backlog.ok || backlog.value.sinks.length === 0 ? null : backlog.value;
    // A dead letter is a call change a CRM never got: degraded until an operator sends it again.
    const losing = ingest.spill !== null && ingest.spill.lastLossAt !== null && Date.now() - Date.parse(ingest.spill.lastLossAt) < RECENT_LOSS_MS;
    const ok = database.ok && ari.every((a) => a.state === 'connected') && ingest.lastError === null && !losing && (crmReport?.dead ?? 0) === 0 && !(crmReport?.sinks.some((s) => s.problem) ?? false);
    return {
      status: ok ? 'ok' : 'degraded',
      checks: {
        database,
        ari,
        simulator: deps.simulator ? { running: deps.simulator.isRunning } : null,
        ingest,
        // A backlog query that failed or timed out shows as unknown (null), not as an empty backlog.
        crm: crmReport,
      },
    };
  };
}

/** A loss of events degrades /health this long after it happened (it stays counted in `lost`). */
const RECENT_LOSS_MS = 15 * 60_000;

function spillReport(engine: Engine): HealthReport['checks']['ingest']['spill'] {
  const spill = engine.spill;
  if (spill === null) return null;
  return {
    active: spill.isActive,
    unread: spill.unread,
    bytes: spill.bytes,
    spilled: spill.spilled,
    lost: spill.lost,
    lastLossAt: spill.lastLossAtMs === null ? null : new Date(spill.lastLossAtMs).toISOString(),
  };
}

/** The CRM backlog: totals over the sinks, and each sink. */
function crmSummary(sinks: CrmSink[]): NonNullable<HealthReport['checks']['crm']> {
  const ages = sinks.map((s) => s.oldestPendingSec).filter((a): a is number => a !== null);
  return {
    pending: sinks.reduce((n, s) => n + s.pending, 0),
    dead: sinks.reduce((n, s) => n + s.dead, 0),
    oldestPendingAgeMs: ages.length > 0 ? Math.max(...ages) * 1000 : null,
    // The target's own words, with anything that looks like a URL or credential taken out.
    sinks: sinks.map((s) => ({ ...s, lastDeadError: s.lastDeadError === null ? null : safeText(s.lastDeadError), ...(s.problem ? { problem: safeText(s.problem) } : {}) })),
  };
}

const MAX_TEXT = 300;

/** An error as the health report may show it: its message without credentials or URLs, on one bounded line. */
export function safeErrorText(error: unknown): string {
  if (isAppError(error) || error instanceof Error) return safeText(error.message);
  return 'error';
}

/**
 * Removes what an error message may carry from a connection string or a request: whole URLs (their paths
 * and queries hold tokens), `user:password@` parts, `password=` pairs. Keeps the first line only: drivers
 * put query text and stack frames below it.
 */
export function safeText(text: string): string {
  const line = (text.split('\n', 1)[0] ?? '')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi, (url) => `${url.split(':', 1)[0]}://[redacted]`)
    .replace(/[^\s/@:]+:[^\s/@]+@/g, '[redacted]@')
    .replace(/\b(password|passwd|pwd|secret|token|api_?key)\s*[=:]\s*\S+/gi, '$1=[redacted]');
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT)}…` : line;
}
