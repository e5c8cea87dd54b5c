// What a recorded call is made of: its channels in creation order, Local pairs, PJSIP channels,
// bridges, and the numbers and names it was recorded with.
import { parseAsteriskTimestamp } from '../asterisk-time.ts';
import type { TemplateChannel } from '../template-types.ts';
import { channelsIn, eventMs, type RawEvent } from '../ari-json.ts';

export interface TraceFacts {
  t0: number;
  channelIds: string[];
  channels: TemplateChannel[];
  localSuffixes: string[];
  sipSuffixes: string[];
  sipCallIds: string[];
  bridgeIds: string[];
  callerNumber: string;
  callerName: string;
  calledNumber: string;
  endpoint: string;
  asteriskId: string;
  application: string;
}

const LOCAL_NAME_RE = /^Local\/.*-([0-9a-f]{8});([12])$/;
const PJSIP_NAME_RE = /^PJSIP\/(.+)-([0-9a-f]{8})$/;
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function addOnce(list: string[], value: string): number {
  const at = list.indexOf(value);
  if (at >= 0) return at;
  list.push(value);
  return list.length - 1;
}

function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

export function discoverTrace(events: RawEvent[]): TraceFacts {
  const first = events[0];
  if (!first) throw new RangeError('a trace needs at least one event');
  const facts: TraceFacts = {
    t0: eventMs(first),
    channelIds: [],
    channels: [],
    localSuffixes: [],
    sipSuffixes: [],
    sipCallIds: [],
    bridgeIds: [],
    callerNumber: '',
    callerName: '',
    calledNumber: '',
    endpoint: '',
    asteriskId: String(first.asterisk_id ?? ''),
    application: String(first.application ?? ''),
  };
  for (const event of events) {
    for (const ch of channelsIn(event)) {
      facts.callerNumber ||= ch.caller.number;
      facts.callerName ||= ch.caller.name;
      if (ch.protocol_id) addOnce(facts.sipCallIds, ch.protocol_id);
      if (facts.channelIds.includes(ch.id)) continue;
      const index = facts.channelIds.push(ch.id) - 1;
      if (index === 0) facts.calledNumber = ch.dialplan.exten;
      const createdAtMs = (parseAsteriskTimestamp(ch.creationtime) ?? facts.t0) - facts.t0;
      const local = LOCAL_NAME_RE.exec(ch.name);
      const sip = PJSIP_NAME_RE.exec(ch.name);
      if (local) {
        const pair = addOnce(facts.localSuffixes, local[1] as string);
        facts.channels.push({ index, kind: 'local', pair, half: local[2] === '1' ? 1 : 2, createdAtMs });
      } else if (sip) {
        facts.endpoint ||= sip[1] as string;
        facts.channels.push({ index, kind: 'pjsip', sip: addOnce(facts.sipSuffixes, sip[2] as string), createdAtMs });
      } else {
        throw new RangeError(`channel ${ch.name}: only Local and PJSIP channels are templated`);
      }
    }
    for (const s of stringsIn(event)) for (const id of s.match(UUID_RE) ?? []) addOnce(facts.bridgeIds, id);
  }
  if (facts.sipCallIds.length > facts.sipSuffixes.length) {
    throw new RangeError('more SIP Call-IDs than PJSIP channels in the trace');
  }
  return facts;
}
