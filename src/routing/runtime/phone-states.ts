import type { Presence } from '../objects/model.ts';

// What Asterisk says of each phone (a PJSIP endpoint): its device state (`DeviceStateChanged`: idle, ringing, in
// use, unavailable) and whether it is registered (`EndpointStateChange`, `GET /endpoints/PJSIP`). Read by the flow runtime (a ring group skips a busy or unreachable member, even one busy
// on a call no flow made) and by the presence board. Plain data, no I/O: the runtime feeds it.

/** Asterisk's device states as a phone's presence; null for UNKNOWN (or a state this engine does not know). */
export function presenceOfDeviceState(state: string): Presence | null {
  switch (state) {
    case 'NOT_INUSE':
      return 'idle';
    case 'RINGING':
      return 'ringing';
    // Ringing while already on a call: the phone is busy talking.
    case 'RINGINUSE':
    case 'INUSE':
    case 'BUSY':
    case 'ONHOLD':
      return 'in-call';
    case 'UNAVAILABLE':
    case 'INVALID':
      return 'unavailable';
    default:
      return null;
  }
}

export interface PhoneState {
  /** From the device state; null while unknown. */
  device: Presence | null;
  /** Registered (endpoint `online`); null while unknown. */
  online: boolean | null;
  /** When what the phone shows last changed (ms since the epoch). */
  since: number;
}

/** Phones kept per server: a bound on what a hostile or huge Asterisk can make the engine hold. */
export const MAX_PHONES = 50_000;

/** A phone's presence by what Asterisk says alone; null when Asterisk has said nothing of it yet. */
export function phonePresence(phone: PhoneState | undefined): Presence | null {
  if (phone === undefined) return null;
  if (phone.online === false || phone.device === 'unavailable') return 'unavailable';
  return phone.device;
}

export class PhoneStates {
  private readonly phones = new Map<string, PhoneState>();
  /** Updates refused because MAX_PHONES phones are known already. */
  dropped = 0;

  /** A device state change; only `PJSIP/<endpoint>` devices are phones. */
  device(name: string, state: string, at: number): void {
    if (!name.startsWith('PJSIP/')) return;
    this.update(name.slice('PJSIP/'.length), { device: presenceOfDeviceState(state) }, at);
  }

  /** A PJSIP endpoint's registration state (`online`, `offline`, `unknown`, `disabled`). */
  endpoint(resource: string, state: string | undefined, at: number): void {
    this.update(resource, { online: state === 'online' ? true : state === 'offline' || state === 'disabled' ? false : null }, at);
  }

  /**
   * After a (re)connect: the PJSIP endpoints as Asterisk lists them now replace what was known (changes missed
   * meanwhile included). A listing has no device states (ARI lists only its own), so a phone with channels
   * counts as in a call and one without as idle, until its next device state change says more.
   */
  seed(endpoints: readonly { resource: string; state?: string; channel_ids?: readonly string[] }[], at: number): void {
    const before = new Map(this.phones);
    this.phones.clear();
    for (const e of endpoints) {
      this.endpoint(e.resource, e.state, at);
      this.update(e.resource, { device: (e.channel_ids?.length ?? 0) > 0 ? 'in-call' : 'idle' }, at);
    }
    // A phone showing the same as before keeps the time it changed last.
    for (const [endpoint, now] of this.phones) {
      const old = before.get(endpoint);
      if (old && phonePresence(old) === phonePresence(now)) now.since = old.since;
    }
  }

  of(endpoint: string): PhoneState | undefined {
    return this.phones.get(endpoint);
  }

  get size(): number {
    return this.phones.size;
  }

  private update(endpoint: string, change: Partial<Pick<PhoneState, 'device' | 'online'>>, at: number): void {
    const phone = this.phones.get(endpoint);
    if (phone === undefined) {
      if (this.phones.size >= MAX_PHONES) {
        this.dropped++;
        return;
      }
      this.phones.set(endpoint, { device: null, online: null, ...change, since: at });
      return;
    }
    const before = phonePresence(phone);
    if (change.device !== undefined) phone.device = change.device;
    if (change.online !== undefined) phone.online = change.online;
    if (phonePresence(phone) !== before) phone.since = at;
  }
}
