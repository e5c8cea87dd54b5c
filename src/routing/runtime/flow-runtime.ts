import type { Logger } from 'pino';
import type { HangupReason } from '../../ari/rest.ts';
import type { AriBridge, AriChannel, AriEndpoint } from '../../ari/types.ts';
import type { Presence, Prompt, RoutingSnapshot } from '../objects/model.ts';
import type { ConferenceJoin, FlowCommand, FlowContext, FlowEvent, RecordPolicy, RoutingStep } from '../flow/types.ts';
import { conferenceBridgeId } from '../flow/conference.ts';
import { flowInputOf, MEMBER_ARG, pjsipEndpointOf, ROUTE_ARG, FLOW_EVENT_TYPES, type FlowInput } from './ari-flow-events.ts';
import { phonePresence, PhoneStates } from './phone-states.ts';
import { stepText } from './step-text.ts';

// Runs the flows of one ARI server: hands each event to the pure flow machine and carries out the commands it
// returns, in order, per flow. It holds no decisions of its own: what happens to a call is the machine's.
// Each flow sees the tenant's routing as it was when the call came in (a change applies to the next call).
// Commands go to Asterisk one after another per flow; a failed one is logged and reported back to the machine
// (`command-failed` for a channel, a playback that could not start counts as finished), so a flow never waits
// for something that will not happen.

export interface FlowMachine<S> {
  start(flowId: string, event: Extract<FlowEvent, { type: 'started' }>, ctx: FlowContext): { state: S; commands: FlowCommand[] };
  step(state: S, event: FlowEvent, ctx: FlowContext): { state: S; commands: FlowCommand[] };
}

/** The ARI calls a flow makes (src/ari/rest.ts). */
export interface FlowAri {
  answer(channelId: string): Promise<void>;
  hangup(channelId: string, reason?: HangupReason): Promise<void>;
  play(channelId: string, playbackId: string, media: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  originate(params: { endpoint: string; app: string; appArgs: string; channelId: string; callerId?: string; timeoutSeconds: number; originator: string }): Promise<unknown>;
  createBridgeWithId(bridgeId: string, type: string, name?: string): Promise<unknown>;
  addChannel(bridgeId: string, channelId: string): Promise<void>;
  record(channelId: string, name: string, options: { maxDurationSeconds: number; beep: boolean }): Promise<void>;
  recordBridge(bridgeId: string, name: string, options: { maxDurationSeconds: number }): Promise<void>;
  stopRecording(name: string): Promise<void>;
  playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void>;
  startBridgeMoh(bridgeId: string): Promise<void>;
  stopBridgeMoh(bridgeId: string): Promise<void>;
  mute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void>;
}

/** What a conference says when someone comes or goes (rooms with announceJoinLeave). */
export const CONFERENCE_JOINED = 'A participant has joined the conference.';
export const CONFERENCE_LEFT = 'A participant has left the conference.';

/** Where routing data comes from and goes to (the routing store). */
export interface FlowRouting {
  /**
   * The routing a call to `dialed` follows: the tenant's that owns the number, or, for a call from a tenant's
   * phone (`callerEndpoint`), that tenant's (`internal`); null when no tenant routes it.
   */
  snapshotFor(dialed: string, callerEndpoint: string | null): Promise<{ config: RoutingSnapshot; internal: boolean } | null>;
  advanceRoundRobin(tenantId: string, groupId: string, nextIndex: number): Promise<void>;
  voicemailLeft(message: { tenantId: string; boxId: string; recordingId: string; durationS: number; from: string | null; callerChannelId: string }): Promise<void>;
  /** A call recording (record-call) finished: kept with the call. */
  callRecorded(recording: CallRecording): Promise<void>;
}

/** A conversation recorded by policy, as the runtime reports it once Asterisk has finished the file. */
export interface CallRecording {
  tenantId: string;
  recordingId: string;
  callerChannelId: string;
  from: string | null;
  policy: RecordPolicy;
  startedAt: number;
  durationS: number;
}

/** A recorded conversation runs at most this long (a forgotten call must not fill the disk). */
export const CALL_RECORDING_MAX_S = 4 * 3600;
/** Call recordings the runtime waits to hear the end of; past this the oldest is given up (logged). */
const PENDING_RECORDINGS_MAX = 10_000;

export interface FlowRuntimeDeps<S> {
  server: string;
  /** The Stasis application originated channels are put in. */
  app: string;
  machine: FlowMachine<S>;
  ari: FlowAri;
  routing: FlowRouting;
  media: { mediaOf(prompt: Prompt): Promise<string> };
  checkPin(hash: string, pin: string): boolean;
  /**
   * A routing step of a call, for its timeline (stored as a CallflowRoutingStep event); `answeredBy`: the number of
   * the extension that answered, on an `answered` step.
   */
  onStep(channelId: string, text: string, step: RoutingStep, answeredBy: string | null): void;
  logger: Logger;
  /** Counted as they happen (metrics). */
  onFlowStarted?: () => void;
  onCommandFailed?: () => void;
  /** The number of flows running changed. */
  onActiveFlows?: (active: number) => void;
  now?: () => number;
}

interface Flow<S> {
  id: string;
  tenantId: string;
  callerChannelId: string;
  from: string | null;
  config: RoutingSnapshot;
  state: S;
  /** Commands not yet carried out, in order; `running` while a command is with Asterisk. */
  queue: FlowCommand[];
  running: boolean;
  timers: Map<string, NodeJS.Timeout>;
  /** Channels, playbacks, recordings this flow is waiting to hear of (removed when it ends). */
  keys: Set<string>;
  roomId: string | null;
  /** How this flow's caller joined its conference (the machine's ConferenceJoin), while in one. */
  conference: ConferenceJoin | null;
  /** Extensions this flow is ringing or talking to (presence). */
  ringing: Set<string>;
  talking: string | null;
  /** Originated channel → the extension it rings. */
  legs: Map<string, string>;
  ended: boolean;
}

const HANGUP_REASONS: Record<number, HangupReason> = { 1: 'unallocated', 16: 'normal', 17: 'busy', 19: 'no_answer', 21: 'rejected', 26: 'answered_elsewhere', 34: 'congestion' };

/** Frames worth parsing: a look at the type before JSON.parse (most frames concern no flow). */
const FLOW_TYPES: ReadonlySet<string> = new Set(FLOW_EVENT_TYPES);
/** Types that matter while no flow runs: a routed call starting, a phone's state (presence). */
const IDLE_TYPES: ReadonlySet<string> = new Set(['StasisStart', 'EndpointStateChange', 'DeviceStateChanged']);
const TYPE_KEY = Buffer.from('"type":"');
const TYPE_MARKERS = FLOW_EVENT_TYPES.map((t) => Buffer.from(`"${t}"`));
/** Asterisk writes an event's type first: looked for within the frame's first bytes only. */
const TYPE_WINDOW = 32;
const ROUTE_MARK = Buffer.from('"route"');
/** Only phones' device states matter (most device state frames are of Local channels). */
const PJSIP_DEVICE_MARK = Buffer.from('"name":"PJSIP/');

/** The event's type when the frame starts with it (as Asterisk writes events), else null. */
function leadingType(bytes: Buffer): string | null {
  const at = bytes.subarray(0, TYPE_WINDOW).indexOf(TYPE_KEY);
  if (at < 0) return null;
  const start = at + TYPE_KEY.length;
  const end = bytes.indexOf(0x22, start);
  return end < 0 || end - start > 64 ? null : bytes.toString('latin1', start, end);
}

/** A call recording outlives its flow: its end matters while any is under way. */
const RECORDING_TYPES: ReadonlySet<string> = new Set(['RecordingFinished', 'RecordingFailed']);

/** Whether a frame may concern a flow (or a call recording under way), decided without parsing it. */
function mayConcernFlows(bytes: Buffer, flowsRunning: boolean, recordingsPending: boolean): boolean {
  const type = leadingType(bytes);
  if (type === null) return TYPE_MARKERS.some((m) => bytes.includes(m)); // another writer's order: look for every type
  if (!FLOW_TYPES.has(type)) return false;
  if (!flowsRunning && !IDLE_TYPES.has(type) && !(recordingsPending && RECORDING_TYPES.has(type))) return false;
  if (type === 'DeviceStateChanged') return bytes.includes(PJSIP_DEVICE_MARK);
  // A StasisStart concerns routing only with the route argument, or as a member the runtime originated.
  return type !== 'StasisStart' || flowsRunning || bytes.includes(ROUTE_MARK);
}

export class FlowRuntime<S> {
  private readonly flows = new Map<string, Flow<S>>();
  /** channel id, playback id or recording id → flow */
  private readonly byKey = new Map<string, Flow<S>>();
  /** Phones as Asterisk reports them (device and registration state). */
  readonly phones = new PhoneStates();
  private readonly roomSizes = new Map<string, number>();
  /** Hosts in each conference room, and the rooms playing music on hold until their host comes. */
  private readonly roomHosts = new Map<string, number>();
  private readonly waitingRooms = new Set<string>();
  private announcements = 0;
  /**
   * Call recordings under way, by name: kept apart from the flows, since a recording ends when its bridge goes,
   * which is after the flow that started it has ended.
   */
  private readonly recordings = new Map<string, Omit<CallRecording, 'durationS'>>();
  private stopped = false;
  flowsStarted = 0;
  commandsFailed = 0;

  constructor(private readonly d: FlowRuntimeDeps<S>) {}

  get activeFlows(): number {
    return this.flows.size;
  }

  /** One frame as received from the ARI socket. Cheap when it concerns no flow. */
  onFrame(bytes: Buffer): void {
    if (this.stopped || !mayConcernFlows(bytes, this.flows.size > 0, this.recordings.size > 0)) return;
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch {
      return; // the engine's own ingest counts and reports frames that are not JSON
    }
    if (typeof raw !== 'object' || raw === null) return;
    const input = flowInputOf(raw as Record<string, unknown>);
    if (input) this.onInput(input);
  }

  onInput(input: FlowInput): void {
    switch (input.kind) {
      case 'start':
        void this.start(input).catch((error: unknown) => this.d.logger.error({ err: error, server: this.d.server }, 'a routed call could not start its flow'));
        return;
      case 'endpoint':
        this.phones.endpoint(input.resource, input.state, this.now());
        return;
      case 'device':
        this.phones.device(input.name, input.state, this.now());
        return;
      case 'channel':
        this.deliver(this.byKey.get(input.channelId), input.event);
        return;
      case 'playback':
        this.deliver(this.byKey.get(input.playbackId), input.event);
        return;
      case 'recording':
        this.callRecordingDone(input.recordingId, input.event);
        this.deliver(this.byKey.get(input.recordingId), input.event);
        return;
      default: {
        const never: never = input;
        throw new Error(`unknown flow input ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * After a (re)connect: calls Asterisk holds in the application that no flow of this runtime drives (the
   * engine restarted, or the socket was down) are taken over, never left in silence. A caller not connected to
   * anyone starts its flow again from its number (it hears the first prompt again); a caller already bridged to
   * someone is left talking. Phones an earlier flow was ringing are hung up (the new flow rings again).
   */
  async takeOver(channels: readonly AriChannel[], bridges: readonly AriBridge[]): Promise<{ restarted: number; released: number }> {
    const connected = new Set<string>();
    for (const bridge of bridges) if (bridge.channels.length >= 2) for (const id of bridge.channels) connected.add(id);
    let restarted = 0;
    let released = 0;
    for (const channel of channels) {
      if (this.byKey.has(channel.id) || connected.has(channel.id)) continue;
      const args = channel.dialplan?.app_name === 'Stasis' ? channel.dialplan.app_data.split(',') : [];
      if (args[0] === this.d.app && args[1] === ROUTE_ARG) {
        const dialed = args[2] || channel.dialplan.exten;
        if (!dialed) continue;
        restarted++;
        const endpoint = pjsipEndpointOf(channel.name);
        await this.start({ kind: 'start', channelId: channel.id, from: channel.caller?.number || null, callerName: channel.caller?.name || null, dialed, endpoint }, `f${channel.id}-r${this.now().toString(36)}`);
      } else if ((args[0] === this.d.app && args[1] === MEMBER_ARG) || /^f.+:c\d+$/.test(channel.id)) {
        released++;
        await this.d.ari.hangup(channel.id, 'normal').catch(() => undefined);
      }
    }
    if (restarted + released > 0) this.d.logger.warn({ server: this.d.server, restarted, released }, 'routed calls without a flow taken over after a (re)connect');
    return { restarted, released };
  }

  /** After a (re)connect: the phones as Asterisk lists them now (changes missed meanwhile included). */
  seedPhones(endpoints: readonly AriEndpoint[]): void {
    this.phones.seed(endpoints, this.now());
  }

  /** Ends every flow's timers; the calls themselves are left to Asterisk (a restart takes them over). */
  stop(): void {
    this.stopped = true;
    for (const flow of this.flows.values()) for (const t of flow.timers.values()) clearTimeout(t);
    this.flows.clear();
    this.byKey.clear();
  }

  private async start(input: Extract<FlowInput, { kind: 'start' }>, flowId = `f${input.channelId}`): Promise<void> {
    if (this.byKey.has(input.channelId)) return; // a repeated StasisStart
    const routed = await this.d.routing.snapshotFor(input.dialed, input.endpoint);
    if (this.stopped) return;
    if (routed === null) {
      this.d.logger.warn({ server: this.d.server, dialed: input.dialed }, 'a call was handed to routing for a number no tenant routes: hung up');
      await this.d.ari.hangup(input.channelId, 'unallocated').catch(() => undefined);
      return;
    }
    // A flow taken over gets an id of its own: the ids of its playbacks and legs must not meet the earlier flow's.
    const id = flowId;
    const { config, internal } = routed;
    const started = { type: 'started' as const, channelId: input.channelId, from: input.from, callerName: input.callerName, dialed: input.dialed, internal };
    const flow: Flow<S> = {
      id,
      tenantId: config.tenantId,
      callerChannelId: input.channelId,
      from: input.from,
      config,
      state: undefined as S,
      queue: [],
      running: false,
      timers: new Map(),
      keys: new Set([input.channelId]),
      roomId: null,
      conference: null,
      ringing: new Set(),
      talking: null,
      legs: new Map(),
      ended: false,
    };
    this.flows.set(id, flow);
    this.byKey.set(input.channelId, flow);
    this.flowsStarted++;
    this.d.onFlowStarted?.();
    this.d.onActiveFlows?.(this.flows.size);
    const result = this.d.machine.start(id, started, this.context(flow));
    flow.state = result.state;
    this.enqueue(flow, result.commands);
  }

  private deliver(flow: Flow<S> | undefined, event: FlowEvent): void {
    if (!flow || flow.ended) return;
    const result = this.d.machine.step(flow.state, event, this.context(flow));
    flow.state = result.state;
    if (event.type === 'hangup') this.forget(flow, event.channelId);
    this.enqueue(flow, result.commands);
  }

  private context(flow: Flow<S>): FlowContext {
    return {
      config: flow.config,
      now: this.now(),
      presence: (extensionId) => this.presenceOf(flow.config, extensionId),
      checkPin: (hash, pin) => this.d.checkPin(hash, pin),
      conferenceSize: (roomId) => this.roomSizes.get(roomId) ?? 0,
    };
  }

  /**
   * An extension's presence: what Asterisk says of its phone when that is busy, ringing or unreachable (a call no
   * flow made counts too); else what this runtime's flows are doing with it (a ring the phone has not reported
   * yet); else idle.
   */
  presenceOf(config: RoutingSnapshot, extensionId: string): Presence {
    const extension = config.extensions.get(extensionId);
    const phone = extension ? phonePresence(this.phones.of(extension.endpoint)) : null;
    if (phone !== null && phone !== 'idle') return phone;
    for (const flow of this.flows.values()) {
      if (flow.tenantId !== config.tenantId) continue;
      if (flow.talking === extensionId) return 'in-call';
      if (flow.ringing.has(extensionId)) return 'ringing';
    }
    return 'idle';
  }

  /** When the extension's phone last changed state as Asterisk reports it (null: never reported). */
  phoneSince(config: RoutingSnapshot, extensionId: string): number | null {
    const extension = config.extensions.get(extensionId);
    return extension ? (this.phones.of(extension.endpoint)?.since ?? null) : null;
  }

  private enqueue(flow: Flow<S>, commands: FlowCommand[]): void {
    flow.queue.push(...commands);
    if (!flow.running) void this.run(flow);
  }

  private async run(flow: Flow<S>): Promise<void> {
    flow.running = true;
    try {
      for (let command = flow.queue.shift(); command !== undefined; command = flow.queue.shift()) {
        try {
          await this.execute(flow, command);
        } catch (error) {
          this.commandFailed();
          this.d.logger.error({ err: error, server: this.d.server, flow: flow.id, command: command.type }, 'a routing command failed');
          this.failed(flow, command, (error as Error).message);
        }
      }
    } finally {
      flow.running = false;
    }
  }

  /** Tells the machine what did not happen, so it does not wait for it. */
  private failed(flow: Flow<S>, command: FlowCommand, reason: string): void {
    switch (command.type) {
      case 'play':
        this.deliver(flow, { type: 'playback-finished', playbackId: command.playbackId });
        return;
      case 'answer':
      case 'originate':
      case 'record':
        this.deliver(flow, { type: 'command-failed', channelId: command.channelId, reason });
        return;
      case 'bridge':
        for (const channelId of command.channelIds) this.deliver(flow, { type: 'command-failed', channelId, reason });
        return;
      default:
        return; // stopping, hanging up, bookkeeping: nothing waits for them
    }
  }

  private async execute(flow: Flow<S>, command: FlowCommand): Promise<void> {
    const { ari } = this.d;
    switch (command.type) {
      case 'answer':
        await ari.answer(command.channelId);
        return;
      case 'play': {
        this.track(flow, command.playbackId);
        const media = await this.d.media.mediaOf(command.prompt);
        await ari.play(command.channelId, command.playbackId, media);
        return;
      }
      case 'stop-playback':
        await ari.stopPlayback(command.playbackId).catch(ignoreMissing);
        return;
      case 'ringback':
        this.track(flow, command.playbackId);
        // Asterisk's ringing tone of the channel's tone zone, looped until stopped.
        await ari.play(command.channelId, command.playbackId, 'tone:ring');
        return;
      case 'originate': {
        this.track(flow, command.channelId);
        if (command.extensionId !== null) {
          flow.ringing.add(command.extensionId);
          flow.legs.set(command.channelId, command.extensionId);
        }
        const { name, number } = command.callerId;
        await ari.originate({
          endpoint: command.endpoint,
          app: this.d.app,
          appArgs: `${MEMBER_ARG},${flow.id}`,
          channelId: command.channelId,
          callerId: number === null ? undefined : name ? `"${name.replace(/"/g, '')}" <${number}>` : number,
          timeoutSeconds: command.timeoutS,
          // The member's channel joins the caller's call (one linkedid): one record in the history.
          originator: flow.callerChannelId,
        });
        return;
      }
      case 'hangup':
        await ari.hangup(command.channelId, HANGUP_REASONS[command.cause] ?? 'normal').catch(ignoreMissing);
        return;
      case 'bridge': {
        // A conference's bridge is there already once its first caller is in (Asterisk answers 409): join it.
        await ari.createBridgeWithId(command.bridgeId, 'mixing', command.conference ? `conference ${command.conference.roomId}` : undefined).catch(ignoreExisting);
        const join = command.conference;
        // Muted before it is in: nothing it says reaches the room first.
        if (join?.muted) for (const channelId of command.channelIds) await ari.mute(channelId, 'in');
        for (const channelId of command.channelIds) await ari.addChannel(command.bridgeId, channelId);
        this.noteBridged(flow, command);
        if (join) await this.joinedConference(flow, command.bridgeId, join);
        return;
      }
      case 'record':
        this.track(flow, command.recordingId);
        await ari.record(command.channelId, command.recordingId, { maxDurationSeconds: command.maxDurationS, beep: command.beep });
        return;
      case 'stop-recording':
        await ari.stopRecording(command.recordingId).catch(ignoreMissing);
        return;
      case 'record-call':
        this.noteRecording({ tenantId: flow.tenantId, recordingId: command.recordingId, callerChannelId: flow.callerChannelId, from: flow.from, policy: command.policy, startedAt: this.now() });
        await ari.recordBridge(command.bridgeId, command.recordingId, { maxDurationSeconds: CALL_RECORDING_MAX_S });
        return;
      case 'start-timer': {
        const timer = setTimeout(() => {
          flow.timers.delete(command.timerId);
          this.deliver(flow, { type: 'timer', timerId: command.timerId });
        }, command.ms);
        timer.unref();
        flow.timers.set(command.timerId, timer);
        return;
      }
      case 'cancel-timer':
        clearTimeout(flow.timers.get(command.timerId));
        flow.timers.delete(command.timerId);
        return;
      case 'step':
        this.d.onStep(flow.callerChannelId, stepText(command.step, flow.config), command.step, answeredNumber(command.step, flow.config));
        if (command.step.kind === 'answered') {
          flow.talking = command.step.extensionId;
          flow.ringing.clear();
        }
        return;
      case 'ring-group-advanced':
        await this.d.routing.advanceRoundRobin(flow.tenantId, command.groupId, command.nextIndex);
        return;
      case 'voicemail-left':
        await this.d.routing.voicemailLeft({ tenantId: flow.tenantId, boxId: command.boxId, recordingId: command.recordingId, durationS: command.durationS, from: flow.from, callerChannelId: flow.callerChannelId });
        return;
      case 'done':
        this.end(flow);
        return;
      default: {
        const never: never = command;
        throw new Error(`unknown flow command ${JSON.stringify(never)}`);
      }
    }
  }

  private track(flow: Flow<S>, key: string): void {
    flow.keys.add(key);
    this.byKey.set(key, flow);
  }

  private forget(flow: Flow<S>, channelId: string): void {
    if (channelId === flow.callerChannelId) return; // kept until the flow is done
    flow.keys.delete(channelId);
    if (this.byKey.get(channelId) === flow) this.byKey.delete(channelId);
    const extensionId = flow.legs.get(channelId);
    if (extensionId === undefined) return;
    flow.legs.delete(channelId);
    flow.ringing.delete(extensionId);
    if (flow.talking === extensionId) flow.talking = null;
  }

  private commandFailed(): void {
    this.commandsFailed++;
    this.d.onCommandFailed?.();
  }

  private noteRecording(recording: Omit<CallRecording, 'durationS'>): void {
    if (this.recordings.size >= PENDING_RECORDINGS_MAX) {
      const [oldest] = this.recordings.keys();
      this.recordings.delete(oldest!);
      this.d.logger.error({ server: this.d.server, recording: oldest }, 'too many call recordings without an end: the oldest is no longer waited for (its file stays on Asterisk)');
    }
    this.recordings.set(recording.recordingId, recording);
  }

  /** A call recording ended: stored with the call (a failed one, with no audio, is only logged). */
  private callRecordingDone(recordingId: string, event: FlowEvent): void {
    const pending = this.recordings.get(recordingId);
    if (!pending || event.type !== 'recording-finished') return;
    this.recordings.delete(recordingId);
    if (event.durationS <= 0) {
      this.d.logger.warn({ server: this.d.server, recording: recordingId }, 'a call recording ended without audio');
      return;
    }
    this.d.routing.callRecorded({ ...pending, durationS: event.durationS }).catch((error: unknown) => {
      this.d.logger.error({ err: error, server: this.d.server, recording: recordingId }, 'a call recording could not be stored (its file stays on Asterisk)');
    });
  }

  private noteBridged(flow: Flow<S>, command: Extract<FlowCommand, { type: 'bridge' }>): void {
    if (!command.conference) return;
    flow.roomId = command.conference.roomId;
    flow.conference = command.conference;
    this.roomSizes.set(flow.roomId, (this.roomSizes.get(flow.roomId) ?? 0) + 1);
    if (command.conference.host) this.roomHosts.set(flow.roomId, (this.roomHosts.get(flow.roomId) ?? 0) + 1);
  }

  /**
   * A room's options as a caller comes in (decided by the machine, ConferenceJoin): while nobody waiting for a
   * host has one, the room hears music on hold; a host's arrival stops it; arrivals are announced.
   */
  private async joinedConference(flow: Flow<S>, bridgeId: string, join: ConferenceJoin): Promise<void> {
    const { ari } = this.d;
    const hosts = this.roomHosts.get(join.roomId) ?? 0;
    if (join.host && hosts === 1 && this.waitingRooms.delete(join.roomId)) await ari.stopBridgeMoh(bridgeId).catch(ignoreMissing);
    if (join.waitForHost && hosts === 0 && !this.waitingRooms.has(join.roomId)) {
      this.waitingRooms.add(join.roomId);
      await ari.startBridgeMoh(bridgeId);
    }
    if (join.announceJoinLeave && (this.roomSizes.get(join.roomId) ?? 0) > 1) await this.announce(flow, bridgeId, CONFERENCE_JOINED);
  }

  /** Plays a sentence to the whole room (its playback is nobody's to wait for). */
  private async announce(flow: Flow<S>, bridgeId: string, text: string): Promise<void> {
    const media = await this.d.media.mediaOf({ kind: 'text', text });
    await this.d.ari.playOnBridge(bridgeId, `${flow.id}:a${++this.announcements}`, media);
  }

  private end(flow: Flow<S>): void {
    flow.ended = true;
    for (const t of flow.timers.values()) clearTimeout(t);
    flow.timers.clear();
    for (const key of flow.keys) if (this.byKey.get(key) === flow) this.byKey.delete(key);
    if (flow.roomId !== null) {
      const roomId = flow.roomId;
      const left = (this.roomSizes.get(roomId) ?? 1) - 1;
      if (left > 0) this.roomSizes.set(roomId, left);
      else this.roomSizes.delete(roomId);
      if (flow.conference?.host) {
        const hosts = (this.roomHosts.get(roomId) ?? 1) - 1;
        if (hosts > 0) this.roomHosts.set(roomId, hosts);
        else this.roomHosts.delete(roomId);
      }
      if (left === 0) this.waitingRooms.delete(roomId);
      if (left > 0 && flow.conference?.announceJoinLeave) {
        this.announce(flow, conferenceBridgeId(roomId), CONFERENCE_LEFT).catch((error: unknown) => {
          this.commandFailed();
          this.d.logger.error({ err: error, server: this.d.server, flow: flow.id }, 'a conference leave announcement could not be played');
        });
      }
    }
    this.flows.delete(flow.id);
    this.d.onActiveFlows?.(this.flows.size);
  }

  private now(): number {
    return this.d.now ? this.d.now() : Date.now();
  }
}

/** A failure handler that takes an ARI answer of `status` as done and rethrows anything else. */
function ignoring(status: number): (error: unknown) => void {
  return (error) => {
    if ((error as { details?: { status?: number } }).details?.status === status) return;
    throw error;
  };
}

/** Creating what is there already (a conference's bridge) is done. */
const ignoreExisting = ignoring(409);
/** Stopping or hanging up what is already gone is done. */
const ignoreMissing = ignoring(404);

/** The number of the extension an `answered` step names, else null. */
function answeredNumber(step: RoutingStep, config: RoutingSnapshot): string | null {
  if (step.kind !== 'answered' || step.extensionId === null) return null;
  return config.extensions.get(step.extensionId)?.number ?? null;
}
