import type { SqlClient } from './sql-client.ts';
import type { CallFilter, CallStats } from './types.ts';
import { callFilterSql, whereClause } from './call-query.ts';
import { isoTime } from './row-mapping.ts';

// Dashboard aggregates, computed by PostgreSQL over the filtered calls. "Answered" means the call has an
// answer time (it may still be in progress). The answer rate is over finished calls only, by their
// disposition: a call still ringing has no outcome yet, and counting it as unanswered made the rate
// disagree with the outcomes (dispositions) of the same calls. Talk figures are over calls with a talk
// time, rounded to whole milliseconds. Hours without calls are absent from perHour.

const BUSIEST_LIMIT = 10;

interface SummaryRow {
  total: number;
  answered: number;
  finished: number;
  finished_answered: number;
  avg_talk_ms: number | null;
  p90_talk_ms: number | null;
}

export async function callStats(client: SqlClient, filter: CallFilter): Promise<CallStats> {
  const params: unknown[] = [];
  const where = whereClause(callFilterSql(filter, params));
  const filtered = `filtered AS (SELECT * FROM calls ${where})`;

  // One snapshot for all four queries, so the figures agree with each other.
  return client.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const [summary] = await tx.query<SummaryRow>(
      `WITH ${filtered}
       SELECT count(*)::int AS total,
              count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE status = 'finished')::int AS finished,
              count(*) FILTER (WHERE status = 'finished' AND disposition = 'answered')::int AS finished_answered,
              avg(talk_ms)::float8 AS avg_talk_ms,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY talk_ms)::float8 AS p90_talk_ms
       FROM filtered`,
      params,
    );
    const groups = await tx.query<{ disposition: string | null; direction: string | null; dimension: string; n: number }>(
      `WITH ${filtered}
       SELECT disposition, direction,
              CASE WHEN grouping(disposition) = 0 THEN 'disposition' ELSE 'direction' END AS dimension,
              count(*)::int AS n
       FROM filtered
       GROUP BY GROUPING SETS ((disposition), (direction))`,
      params,
    );
    const hours = await tx.query<{ hour: Date; total: number; answered: number }>(
      `WITH ${filtered}
       SELECT date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
              count(*)::int AS total,
              count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS answered
       FROM filtered GROUP BY 1 ORDER BY 1`,
      params,
    );
    const busiest = await tx.query<{ number: string; calls: number }>(
      `WITH ${filtered}
       SELECT number, count(*)::int AS calls FROM (
         SELECT from_number AS number FROM filtered
         UNION ALL
         SELECT to_number FROM filtered WHERE to_number <> from_number
       ) AS numbers
       WHERE number <> ''
       GROUP BY number ORDER BY calls DESC, number COLLATE "C" LIMIT ${BUSIEST_LIMIT}`,
      params,
    );

    const total = summary?.total ?? 0;
    const answered = summary?.answered ?? 0;
    const finished = summary?.finished ?? 0;
    const byDisposition: Record<string, number> = {};
    const byDirection: Record<string, number> = {};
    for (const row of groups) {
      if (row.dimension === 'disposition' && row.disposition !== null) byDisposition[row.disposition] = row.n;
      if (row.dimension === 'direction' && row.direction !== null) byDirection[row.direction] = row.n;
    }
    return {
      total,
      answered,
      finished,
      answerRate: finished === 0 ? 0 : (summary?.finished_answered ?? 0) / finished,
      byDisposition,
      byDirection,
      perHour: hours.map((h) => ({ hour: isoTime(h.hour), total: h.total, answered: h.answered })),
      avgTalkMs: roundOrNull(summary?.avg_talk_ms ?? null),
      p90TalkMs: roundOrNull(summary?.p90_talk_ms ?? null),
      busiestNumbers: busiest,
    };
  });
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}
