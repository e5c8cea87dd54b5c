import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../app/logger.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { startFlow, step } from '../flow/machine.ts';
import type { FlowState } from '../flow/state.ts';
import type { RoutingStep } from '../flow/types.ts';
import { conferenceRoom, extension, ivrMenu, ringGroup, snapshot, voicemailBox } from '../test-fixtures.ts';
import type { RoutingSnapshot } from '../objects/model.ts';
import { CONFERENCE_JOINED, CONFERENCE_LEFT, FlowRuntime, type CallRecording, type FlowAri } from './flow-runtime.ts';

// The runtime carries out what the machine decides, in order per flow, and tells the machine what failed so a
// call never waits in silence. Asterisk is played by a recorder of the ARI calls (the real-Asterisk test of
// routing is test/asterisk/routing.test.ts); the machine is the real one.

const caller = { id: '1700000000.1', name: 'PJSIP/trunk-00000001', state: 'Ring', caller: { name: 'Ann', number: '+15550001' }, dialplan: { context: 'from-trunk', exten: '5551000', priority: 1 } };

function frame(event: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(event));
}

interface Harness {
  runtime: FlowRuntime<FlowState>;
  calls: string[];
  steps: { channelId: string; text: string; step: RoutingStep }[];
  advanced: string[];
  voicemails: unknown[];
  recorded: CallRecording[];
  /** ARI calls whose name starts with one of these fail (with a 404 for hangups, else a 500). */
  failing: Set<string>;
  settled(): Promise<void>;
}

function harness(config: RoutingSnapshot | null): Harness {
  const calls: string[] = [];
  const failing = new Set<string>();
  const bridges = new Set<string>();
  const call = (name: string) => async (): Promise<void> => {
    calls.push(name);
    const failure = [...failing].find((f) => name.startsWith(f));
    if (failure) throw new AppError(ERROR_CODES.ARI_REQUEST_FAILED, `ARI refused ${name}`, { details: { status: 500 } });
  };
  const ari: FlowAri = {
    answer: (id) => call(`answer ${id}`)(),
    hangup: (id, reason) => call(`hangup ${id} ${reason}`)(),
    play: (id, playbackId, media) => call(`play ${id} ${playbackId} ${media}`)(),
    stopPlayback: (id) => call(`stop-playback ${id}`)(),
    originate: (p) => call(`originate ${p.endpoint} ${p.channelId} ${p.appArgs} originator=${p.originator} timeout=${p.timeoutSeconds}`)(),
    // As Asterisk: a bridge id that exists already is refused with a 409.
    createBridgeWithId: async (id) => {
      await call(`bridge ${id}`)();
      if (bridges.has(id)) throw new AppError(ERROR_CODES.ARI_REQUEST_FAILED, `Bridge with id '${id}' already exists`, { details: { status: 409 } });
      bridges.add(id);
    },
    addChannel: (bridgeId, channelId) => call(`add ${bridgeId} ${channelId}`)(),
    record: (id, name) => call(`record ${id} ${name}`)(),
    recordBridge: (bridgeId, name) => call(`record-bridge ${bridgeId} ${name}`)(),
    playOnBridge: (bridgeId, playbackId, media) => call(`play-bridge ${bridgeId} ${media}`)(),
    startBridgeMoh: (bridgeId) => call(`moh-start ${bridgeId}`)(),
    stopBridgeMoh: (bridgeId) => call(`moh-stop ${bridgeId}`)(),
    mute: (channelId, direction) => call(`mute ${channelId} ${direction}`)(),
    stopRecording: (name) => call(`stop-recording ${name}`)(),
  };
  const steps: Harness['steps'] = [];
  const advanced: string[] = [];
  const voicemails: unknown[] = [];
  const recorded: CallRecording[] = [];
  const runtime = new FlowRuntime<FlowState>({
    server: 'pbx',
    app: 'callflow',
    machine: { start: startFlow, step },
    ari,
    routing: {
      snapshotFor: async (dialed, endpoint) => (config === null ? null : config.numbers.has(dialed) ? { config, internal: false } : endpoint?.startsWith('acme-') ? { config, internal: true } : null),
      advanceRoundRobin: async (tenantId, groupId, next) => void advanced.push(`${tenantId}/${groupId}=${next}`),
      voicemailLeft: async (message) => void voicemails.push(message),
      callRecorded: async (recording) => void recorded.push(recording),
    },
    media: { mediaOf: async (prompt) => (prompt.kind === 'text' ? `sound:http://media/${prompt.text.length}` : 'sound:x') },
    // A "hash" here is `pin:<digits>`.
    checkPin: (hash, pin) => hash === `pin:${pin}`,
    onStep: (channelId, text, s) => void steps.push({ channelId, text, step: s }),
    logger: silentLogger(),
  });
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return { runtime, calls, steps, advanced, voicemails, recorded, failing, settled };
}

const menu = ivrMenu('m1', { name: 'Main', options: { '2': { type: 'ring-group', id: 'g1' } }, failover: { type: 'voicemail', id: 'v1' } });
const config = snapshot({
  numbers: { '5551000': { type: 'ivr', id: 'm1' } },
  extensions: [extension('e1', '101'), extension('e2', '102')],
  ringGroups: [ringGroup('g1', ['e1', 'e2'], { name: 'Sales', strategy: 'simultaneous', fallback: { type: 'voicemail', id: 'v1' } })],
  ivrMenus: [menu],
  voicemailBoxes: [voicemailBox('v1', { name: 'Front desk' })],
});

describe('flow runtime', () => {
  it('carries a call from the menu to the group and bridges the member who answers, the path on the timeline', async () => {
    const h = harness(config);
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: caller }));
    await h.settled();
    const flow = `f${caller.id}`;
    expect(h.calls).toEqual([`answer ${caller.id}`, `play ${caller.id} ${flow}:p1 sound:http://media/13`]);
    h.runtime.onFrame(frame({ type: 'PlaybackFinished', playback: { id: `${flow}:p1` } }));
    h.runtime.onFrame(frame({ type: 'ChannelDtmfReceived', digit: '2', channel: caller }));
    await h.settled();
    const originates = h.calls.filter((c) => c.startsWith('originate'));
    expect(originates).toHaveLength(2);
    expect(originates[0]).toMatch(new RegExp(`^originate PJSIP/acme-101 ${flow}:c\\d+ member,${flow} originator=${caller.id.replace('.', '\\.')} timeout=15$`));
    const member = originates[1]!.split(' ')[2]!;
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['member', flow], channel: { ...caller, id: member, name: 'PJSIP/acme-102-00000002' } }));
    await h.settled();
    const other = originates[0]!.split(' ')[2]!;
    expect(h.calls).toContain(`hangup ${other} answered_elsewhere`);
    const bridge = h.calls.find((c) => c.startsWith('bridge '))!;
    expect(h.calls.slice(h.calls.indexOf(bridge))).toEqual([bridge, `add ${bridge.slice(7)} ${caller.id}`, `add ${bridge.slice(7)} ${member}`]);
    expect(h.steps.map((s) => s.text)).toEqual([
      'number 5551000 → IVR Main',
      'IVR Main: menu played',
      'IVR Main: pressed 2',
      'ring group Sales: ringing 101, 102',
      'answered by 102',
    ]);
    expect(new Set(h.steps.map((s) => s.channelId))).toEqual(new Set([caller.id]));
    expect(h.runtime.activeFlows).toBe(1);
    h.runtime.onFrame(frame({ type: 'ChannelDestroyed', cause: 16, channel: caller }));
    await h.settled();
    expect(h.calls).toContain(`hangup ${member} normal`);
    expect(h.runtime.activeFlows).toBe(0);
  });

  it('goes on when a prompt cannot be played, and falls back when no member can be rung', async () => {
    const h = harness(config);
    h.failing.add('play');
    h.failing.add('originate');
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: caller }));
    await h.settled();
    // The prompt failed: the menu waits for a key as if it had been played.
    h.runtime.onFrame(frame({ type: 'ChannelDtmfReceived', digit: '2', channel: caller }));
    await h.settled();
    expect(h.runtime.commandsFailed).toBeGreaterThanOrEqual(3);
    // Both members unreachable: the group's fallback, voicemail, records a message.
    const record = h.calls.find((c) => c.startsWith('record '));
    expect(record, h.calls.join('\n')).toBeDefined();
    expect(h.steps.map((s) => s.step.kind)).toContain('voicemail');
  });

  it('reads a frame whose type is not written first (another writer than Asterisk) just the same', async () => {
    const h = harness(config);
    h.runtime.onFrame(Buffer.from(JSON.stringify({ application: 'callflow', timestamp: '2026-12-06T05:00:00.000+0000', type: 'StasisStart', args: ['route'], channel: caller })));
    await h.settled();
    expect(h.calls[0]).toBe(`answer ${caller.id}`);
  });

  it("passes over a member whose phone Asterisk reports busy or unreachable, on a call no flow made too", async () => {
    const busyConfig = snapshot({
      numbers: { '5551000': { type: 'ring-group', id: 'g1' } },
      extensions: [extension('e1', '101'), extension('e2', '102'), extension('e3', '103')],
      ringGroups: [ringGroup('g1', ['e1', 'e2', 'e3'], { name: 'Sales', strategy: 'simultaneous', skipBusy: true })],
    });
    const h = harness(busyConfig);
    h.runtime.seedPhones(['acme-101', 'acme-102', 'acme-103'].map((resource) => ({ technology: 'PJSIP', resource, state: resource === 'acme-103' ? 'offline' : 'online', channel_ids: [] })));
    // While no flow runs: 102 picks up a call of its own (device state, as Asterisk sends it).
    h.runtime.onFrame(Buffer.from(JSON.stringify({ type: 'DeviceStateChanged', application: 'callflow', device_state: { name: 'PJSIP/acme-102', state: 'INUSE' } })));
    expect(h.runtime.presenceOf(busyConfig, 'e2')).toBe('in-call');
    expect(h.runtime.presenceOf(busyConfig, 'e3')).toBe('unavailable');
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: caller }));
    await h.settled();
    expect(h.steps.map((s) => s.text)).toEqual(['number 5551000 → ring group Sales', 'extension 102 skipped (busy)', 'extension 103 skipped (unavailable)', 'ring group Sales: ringing 101']);
    // The ring shows on the board before the phone reports it.
    expect(h.runtime.presenceOf(busyConfig, 'e1')).toBe('ringing');
  });

  it('records the conversation of a number that records its calls, and stores it when Asterisk finishes the file after the call', async () => {
    const recordedConfig = snapshot({
      numbers: { '5551000': { type: 'ring-group', id: 'g1' } },
      extensions: [extension('e1', '101')],
      ringGroups: [ringGroup('g1', ['e1'], { name: 'Sales' })],
    });
    recordedConfig.numbers.get('5551000')!.record = true;
    const h = harness(recordedConfig);
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: caller }));
    await h.settled();
    const flow = `f${caller.id}`;
    const member = h.calls.find((c) => c.startsWith('originate'))!.split(' ')[2]!;
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['member', flow], channel: { ...caller, id: member, name: 'PJSIP/acme-101-00000002' } }));
    await h.settled();
    const recordBridge = h.calls.find((c) => c.startsWith('record-bridge'));
    expect(recordBridge).toMatch(new RegExp(`^record-bridge ${flow}:b\\d+ ${flow}:r\\d+$`));
    expect(h.steps.map((s) => s.text)).toContain('call recorded (the number records its calls)');
    const recordingId = recordBridge!.split(' ')[2]!;
    // The caller hangs up: the flow ends; the recording ends with the bridge, after it.
    h.runtime.onFrame(frame({ type: 'ChannelDestroyed', cause: 16, channel: caller }));
    await h.settled();
    expect(h.runtime.activeFlows).toBe(0);
    h.runtime.onFrame(frame({ type: 'RecordingFinished', recording: { name: recordingId, duration: 42.4, target_uri: `bridge:${flow}:b1` } }));
    await h.settled();
    expect(h.recorded).toEqual([{ tenantId: 't1', recordingId, callerChannelId: caller.id, from: '+15550001', policy: 'number', startedAt: expect.any(Number), durationS: 42 }]);
    // Reported once: a repeated event stores nothing more.
    h.runtime.onFrame(frame({ type: 'RecordingFinished', recording: { name: recordingId, duration: 42.4 } }));
    await h.settled();
    expect(h.recorded).toHaveLength(1);
  });

  it("applies a room's options: muted on entry, music until the host comes, arrivals and departures announced", async () => {
    const room = conferenceRoom('r1', { name: 'Board', hostPinHash: 'pin:9999', waitForHost: true, muteOnEntry: true, announceJoinLeave: true });
    const confConfig = snapshot({ numbers: { '5552000': { type: 'conference', id: 'r1' } }, conferences: [room] });
    const h = harness(confConfig);
    const enter = async (id: string, keys: string): Promise<void> => {
      const channel = { ...caller, id, dialplan: { context: 'from-trunk', exten: '5552000', priority: 1 } };
      h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel }));
      await h.settled();
      for (const digit of keys) h.runtime.onFrame(frame({ type: 'ChannelDtmfReceived', digit, channel }));
      await h.settled();
    };
    const after = (mark: number): string[] => h.calls.slice(mark).filter((c) => !/^(answer|play |stop-playback|bridge )/.test(c));
    const joined = `play-bridge conf:r1 sound:http://media/${CONFERENCE_JOINED.length}`;
    const left = `play-bridge conf:r1 sound:http://media/${CONFERENCE_LEFT.length}`;

    let mark = h.calls.length;
    await enter('guest.1', '1#');
    expect(after(mark)).toEqual(['mute guest.1 in', 'add conf:r1 guest.1', 'moh-start conf:r1']);
    mark = h.calls.length;
    await enter('guest.2', '2#');
    expect(after(mark)).toEqual(['mute guest.2 in', 'add conf:r1 guest.2', joined]);
    mark = h.calls.length;
    await enter('host.3', '9999#');
    // The host is not muted, and the music stops.
    expect(after(mark)).toEqual(['add conf:r1 host.3', 'moh-stop conf:r1', joined]);
    mark = h.calls.length;
    h.runtime.onFrame(frame({ type: 'ChannelDestroyed', cause: 16, channel: { ...caller, id: 'guest.2' } }));
    await h.settled();
    expect(after(mark)).toEqual([left]);
    expect(h.runtime.commandsFailed).toBe(0);
  });

  it("puts a second caller into the conference bridge the first one made (Asterisk's 409 for the id is no failure)", async () => {
    const rooms = snapshot({ numbers: { '5557000': { type: 'conference', id: 'k1' } }, conferences: [conferenceRoom('k1', { name: 'Board' })] });
    const h = harness(rooms);
    const second = { ...caller, id: '1700000000.9', name: 'PJSIP/trunk-00000009', dialplan: { ...caller.dialplan, exten: '5557000' } };
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: { ...caller, dialplan: { ...caller.dialplan, exten: '5557000' } } }));
    await h.settled();
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: second }));
    await h.settled();
    expect(h.calls.filter((c) => c.startsWith('bridge '))).toEqual(['bridge conf:k1', 'bridge conf:k1']);
    expect(h.calls).toEqual(expect.arrayContaining([`add conf:k1 ${caller.id}`, `add conf:k1 ${second.id}`]));
    expect(h.calls.filter((c) => c.startsWith('hangup'))).toEqual([]);
    expect(h.steps.map((s) => s.text)).toEqual(['number 5557000 → conference Board', 'conference Board: joined', 'number 5557000 → conference Board', 'conference Board: joined']);
    expect(h.runtime.activeFlows).toBe(2);
  });

  it('hangs up a call for a number no tenant routes, and ignores frames of no flow', async () => {
    const h = harness(config);
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: { ...caller, dialplan: { exten: '999' } } }));
    h.runtime.onFrame(frame({ type: 'ChannelDtmfReceived', digit: '1', channel: { ...caller, id: 'stranger' } }));
    h.runtime.onFrame(Buffer.from('{"type":"StasisStart", not json'));
    await h.settled();
    expect(h.calls).toEqual([`hangup ${caller.id} unallocated`]);
    expect(h.runtime.activeFlows).toBe(0);
  });

  it('fires the menu timer and takes the failover, and stop() leaves no timer behind', async () => {
    const h = harness(snapshot({ numbers: { '5551000': { type: 'ivr', id: 'm2' } }, ivrMenus: [ivrMenu('m2', { name: 'Quick', timeoutS: 0.05, retries: 0, failover: { type: 'hangup' } })] }));
    h.runtime.onFrame(frame({ type: 'StasisStart', args: ['route'], channel: caller }));
    await h.settled();
    h.runtime.onFrame(frame({ type: 'PlaybackFinished', playback: { id: `f${caller.id}:p1` } }));
    await h.settled();
    await new Promise((r) => setTimeout(r, 200));
    await h.settled();
    expect(h.steps.map((s) => s.text)).toContain('IVR Quick: no key pressed');
    expect(h.calls.at(-1)).toMatch(new RegExp(`^hangup ${caller.id.replace('.', '\\.')} `));
    h.runtime.stop();
  });

  it('takes over after a reconnect: restarts a lone routed caller, leaves a bridged one, hangs up an orphaned leg', async () => {
    const h = harness(config);
    const dialplan = (appData: string) => ({ context: 'routed-in', exten: '5551000', priority: 1, app_name: 'Stasis', app_data: appData });
    const ch = (id: string, appData: string) => ({ ...caller, id, protocol_id: '', connected: { name: '', number: '' }, accountcode: '', creationtime: '', language: 'en', dialplan: dialplan(appData) });
    const result = await h.runtime.takeOver(
      [ch('lone.1', 'callflow,route'), ch('talking.1', 'callflow,route'), ch('fold.1:c4', 'callflow,member,fold.1'), ch('other.1', 'driver')],
      [{ id: 'b1', technology: 'simple_bridge', bridge_type: 'mixing', bridge_class: 'stasis', creator: 'Stasis', name: '', channels: ['talking.1', 'peer.1'], creationtime: '' } as never],
    );
    await h.settled();
    expect(result).toEqual({ restarted: 1, released: 1 });
    expect(h.calls).toContain('hangup fold.1:c4 normal');
    expect(h.calls.filter((c) => c.startsWith('answer '))).toEqual(['answer lone.1']);
    // The new flow's ids are its own (an earlier flow's playback may still be on the channel).
    expect(h.calls.find((c) => c.startsWith('play lone.1 '))).toMatch(/^play lone\.1 flone\.1-r[0-9a-z]+:p1 /);
    expect(h.runtime.activeFlows).toBe(1);
  });
});
