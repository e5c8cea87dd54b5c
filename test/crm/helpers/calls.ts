import type { CallRecord, Disposition } from '../../../src/domain/call.ts';
import { addSeconds, makeLeg, uniqueId } from '../../support/call-factory.ts';

// The successive snapshots of one call as the engine would report them: created (the caller's leg),
// ringing (an extension's leg), answered, finished.

export interface CallScript {
  id?: string;
  direction?: 'inbound' | 'outbound' | 'internal';
  /** The extension that rings (inbound) or places the call (outbound). */
  extension?: string;
  client?: string;
  did?: string;
  disposition?: Disposition;
  cause?: number;
  talkSeconds?: number;
  startedAt?: string;
}

export function callSnapshots(script: CallScript = {}): CallRecord[] {
  const id = script.id ?? uniqueId('call');
  const direction = script.direction ?? 'inbound';
  const ext = script.extension ?? '101';
  const client = script.client ?? '+15550100';
  const did = script.did ?? '+15557000';
  const disposition = script.disposition ?? 'answered';
  const startedAt = script.startedAt ?? new Date().toISOString();
  const answered = disposition === 'answered';
  const answeredAt = answered ? addSeconds(startedAt, 3) : null;
  const endedAt = addSeconds(answeredAt ?? startedAt, answered ? (script.talkSeconds ?? 42) : 10);
  const cause = script.cause ?? (disposition === 'busy' ? 17 : disposition === 'no_answer' ? 19 : disposition === 'cancelled' ? 127 : 16);

  const inbound = direction === 'inbound';
  const first = makeLeg({
    channelId: `${id}-a`,
    name: inbound ? 'PJSIP/trunk-00000001' : `PJSIP/${ext}-00000001`,
    endpoint: inbound ? 'PJSIP/trunk' : `PJSIP/${ext}`,
    callerNumber: inbound ? client : ext,
    context: inbound ? 'from-trunk' : 'from-internal',
    exten: inbound ? did : client,
    createdAt: startedAt,
  });
  const second = makeLeg({
    channelId: `${id}-b`,
    name: inbound || direction === 'internal' ? `PJSIP/${ext}-00000002` : 'PJSIP/trunk-00000002',
    endpoint: inbound || direction === 'internal' ? `PJSIP/${ext}` : 'PJSIP/trunk',
    createdAt: addSeconds(startedAt, 1),
  });
  const base: CallRecord = {
    id,
    server: 'pbx1',
    tenantId: 'default',
    status: 'ringing',
    disposition: null,
    direction,
    from: inbound ? client : ext,
    to: inbound ? did : direction === 'internal' ? ext : client,
    startedAt,
    answeredAt: null,
    answerEstimated: false,
    endedAt: null,
    durationMs: null,
    talkMs: null,
    hangupCause: null,
    hangupCauseText: null,
    closedBy: null,
    endEstimated: false,
    backfilled: false,
    route: null,
    legs: [first],
    eventCount: 3,
    updatedAt: startedAt,
  };
  const ringing: CallRecord = { ...base, legs: [first, second], eventCount: 6, updatedAt: addSeconds(startedAt, 1) };
  const snaps: CallRecord[] = [base, ringing];
  if (answered) {
    snaps.push({
      ...ringing,
      status: 'answered',
      answeredAt,
      legs: [{ ...first, answeredAt }, { ...second, answeredAt }],
      eventCount: 9,
      updatedAt: answeredAt as string,
    });
  }
  const last = snaps[snaps.length - 1] as CallRecord;
  snaps.push({
    ...last,
    status: 'finished',
    disposition,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(startedAt),
    talkMs: answeredAt ? Date.parse(endedAt) - Date.parse(answeredAt) : 0,
    hangupCause: cause,
    hangupCauseText: cause === 17 ? 'User busy' : cause === 19 ? 'No answer' : cause === 127 ? 'Interworking' : 'Normal Clearing',
    closedBy: 'hangup',
    legs: last.legs.map((l) => ({ ...l, endedAt, cause })),
    eventCount: last.eventCount + 3,
    updatedAt: endedAt,
  });
  return snaps;
}

/** Consecutive (previous, current) pairs, starting with (null, first). */
export function changesOf(snaps: CallRecord[]): { previous: CallRecord | null; current: CallRecord }[] {
  return snaps.map((current, i) => ({ previous: i === 0 ? null : (snaps[i - 1] as CallRecord), current }));
}
