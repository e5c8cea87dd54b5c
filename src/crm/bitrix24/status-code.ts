import type { CallRecord } from '../../domain/call.ts';
import type { Bitrix24Config, BitrixStatusCode, StatusCodeKey } from '../config.ts';

// STATUS_CODE for telephony.externalCall.finish, from the call's disposition and Q.850 cause.
// The table is documented in docs/crm.md; every row can be overridden by `bitrix24.statusCodes`.

export const DEFAULT_STATUS_CODES: Record<Exclude<StatusCodeKey, 'failed'>, BitrixStatusCode> = {
  answered: '200',
  busy: '486',
  // An inbound call nobody picked up is a missed call for the employees.
  no_answer_inbound: '304',
  no_answer_outbound: '480',
  // The client hung up while it rang: missed. An employee abandoning an outbound call: cancelled.
  cancelled_inbound: '304',
  cancelled_outbound: '603-S',
  congestion: '503',
};

/** Failed calls, by Q.850 cause. */
export const FAILED_CAUSE_CODES: Readonly<Record<number, BitrixStatusCode>> = {
  1: '404', // unallocated number
  3: '404', // no route to destination
  17: '486', // user busy
  18: '480', // no user responding
  19: '480', // no answer
  20: '480', // subscriber absent
  21: '403', // call rejected
  22: '404', // number changed
  27: '503', // destination out of order
  28: '404', // invalid number format
  34: '503', // no circuit available
  38: '503', // network out of order
  41: '503', // temporary failure
  42: '503', // switching equipment congestion
};

export function statusCodeFor(call: CallRecord, overrides: Bitrix24Config['statusCodes'] = {}): BitrixStatusCode {
  const inbound = call.direction === 'inbound';
  const pick = (key: Exclude<StatusCodeKey, 'failed'>): BitrixStatusCode => overrides[key] ?? DEFAULT_STATUS_CODES[key];
  // An answered call is reported as answered whatever a later leg's cause says.
  const disposition = call.answeredAt !== null && call.disposition !== 'answered' && (call.talkMs ?? 0) > 0 ? 'answered' : call.disposition;
  switch (disposition) {
    case 'answered':
      return pick('answered');
    case 'busy':
      return pick('busy');
    case 'no_answer':
      return pick(inbound ? 'no_answer_inbound' : 'no_answer_outbound');
    case 'cancelled':
      return pick(inbound ? 'cancelled_inbound' : 'cancelled_outbound');
    case 'congestion':
      return pick('congestion');
    case 'failed':
      return overrides.failed ?? (call.hangupCause !== null ? FAILED_CAUSE_CODES[call.hangupCause] : undefined) ?? 'OTHER';
    case null:
      return (call.talkMs ?? 0) > 0 ? pick('answered') : pick(inbound ? 'no_answer_inbound' : 'no_answer_outbound');
  }
}

/** Talk seconds for DURATION. */
export function durationSec(call: CallRecord): number {
  return Math.max(0, Math.round((call.talkMs ?? 0) / 1000));
}
