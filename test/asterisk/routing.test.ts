import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallDetail } from '../../src/domain/call.ts';
import type { PresenceBoard } from '../../src/routing/runtime/presence-board.ts';
import { DRIVER_APP, type AriChannel, type AriEvent } from './support/ari-driver.ts';
import { asteriskSkipReason, skipNote, useAsteriskE2E } from './support/e2e-env.ts';
import { runSipp } from './support/sipp.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver.ts';
import { sleep, until } from './support/wait.ts';

// Routed calls on a real Asterisk: the default tenant's number 5551000 goes to an IVR menu, whose key 2 rings
// the ring group Sales (101, then 102), whose fallback is the voicemail box Front desk. The caller is a Local
// channel the test drives over ARI (its other half runs `Stasis(callflow,route)` in context routed-in and is
// the engine's); 101's endpoint has no contact (unreachable), 102's is a sipp UAS that answers. The prompts are
// spoken by the offline voice and fetched by Asterisk from the engine over HTTP.

type Inject = (o: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }) => Promise<{ statusCode: number; json(): unknown; body: string }>;

async function api<T>(inject: Inject, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> {
  // The API is open on loopback (no users, no keys): its caller is the operator, who names the tenant.
  const res = await inject({ method, url, headers: { 'x-tenant-id': 'default' }, ...(payload === undefined ? {} : { payload }) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.json() as T;
}

describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, routed calls${skipNote}`, () => {
  const e2e = useAsteriskE2E({ linkedidChannelvar: true });
  const timeout = 120_000;
  let ids: { box: string; group: string; menu: string } | null = null;
  // A webhook subscribed to the media calls leave: recordings and voicemail messages.
  const hooks = new WebhookReceiver('routing-media-webhook-secret');
  beforeAll(async () => {
    await hooks.start();
  });
  afterAll(async () => {
    await hooks.close();
  });

  /** The webhook of `type` for the call `callId`, once delivered (signed with the subscriber's secret). */
  async function webhookOf(type: string, callId: string): Promise<ReceivedWebhook> {
    let found: ReceivedWebhook | undefined;
    await until(async () => (found = hooks.accepted().find((h) => h.type === type && h.callId === callId)) !== undefined, 30_000, `the ${type} webhook`);
    expect(found!.verification.valid).toBe(true);
    return found!;
  }

  /** The routing as an admin sets it up through the API (once per file). */
  async function routing(): Promise<{ box: string; group: string; menu: string }> {
    if (ids) return ids;
    const inject = e2e().engine.app.server.inject.bind(e2e().engine.app.server) as unknown as Inject;
    await api(inject, 'POST', '/api/tenants/default/numbers', { number: '5551000', label: 'main line' });
    const e101 = await api<{ id: string; endpoint: string }>(inject, 'POST', '/api/routing/extensions', { number: '101', name: 'Ann' });
    const e102 = await api<{ id: string; endpoint: string }>(inject, 'POST', '/api/routing/extensions', { number: '102', name: 'Bob' });
    expect([e101.endpoint, e102.endpoint]).toEqual(['default-101', 'default-102']);
    const box = await api<{ id: string }>(inject, 'POST', '/api/routing/voicemail-boxes', { number: '900', name: 'Front desk', maxMessageS: 30 });
    const group = await api<{ id: string }>(inject, 'POST', '/api/routing/ring-groups', {
      name: 'Sales',
      strategy: 'sequential',
      members: [{ extensionId: e101.id }, { extensionId: e102.id }],
      memberTimeoutS: 10,
      totalTimeoutS: 60,
      fallback: { type: 'voicemail', id: box.id },
    });
    const menu = await api<{ id: string }>(inject, 'POST', '/api/routing/ivr-menus', {
      name: 'Main',
      prompt: { kind: 'text', text: 'Thank you for calling. Press 2 for sales.' },
      options: { '2': { type: 'ring-group', id: group.id }, '9': { type: 'voicemail', id: box.id } },
      timeoutS: 10,
      failover: { type: 'voicemail', id: box.id },
    });
    await api(inject, 'PUT', '/api/routing/numbers/5551000', { destination: { type: 'ivr', id: menu.id }, record: false });
    await api(inject, 'PUT', '/api/settings/crm', { webhooks: [{ name: 'media', url: hooks.url, secret: hooks.secret, events: ['call.recorded', 'voicemail.left'] }] });
    ids = { box: box.id, group: group.id, menu: menu.id };
    return ids;
  }

  /** Places a routed call to 5551000: the driver's half of the Local caller, and the engine's half's id. */
  async function call(number = '5551000'): Promise<{ caller: AriChannel; routed: string }> {
    const { driver } = e2e();
    const since = driver.eventCount();
    const caller = await driver.request<AriChannel>('POST', '/channels', { endpoint: `Local/${number}@routed-in`, app: DRIVER_APP, callerId: '"Carol" <5550123>' });
    // The other half of the Local pair runs the dialplan into the engine's application (its StasisStart goes to
    // the engine's socket only).
    const otherHalf = caller.name.replace(/;1$/, ';2');
    const created = await driver.waitEvent((e) => e.type === 'ChannelCreated' && e.channel?.name === otherHalf, 20_000, 'the routed half of the caller', since);
    return { caller, routed: created.channel!.id };
  }

  function playbackOf(since: number, routed: string, state: 'PlaybackStarted' | 'PlaybackFinished'): Promise<AriEvent> {
    return e2e().driver.waitEvent((e) => e.type === state && String((e.playback as { target_uri?: string })?.target_uri) === `channel:${routed}`, 30_000, `${state} on the routed call`, since);
  }

  async function callDetail(channelId: string): Promise<CallDetail> {
    const { engine } = e2e();
    let detail: CallDetail | null = null;
    await until(async () => {
      const ids = await engine.callIdsOf([channelId]);
      const id = ids.get(channelId);
      if (!id) return false;
      const res = await engine.app.server.inject({ method: 'GET', url: `/api/calls/${encodeURIComponent(id)}` });
      if (res.statusCode !== 200) return false;
      detail = res.json() as CallDetail;
      return detail.status === 'finished';
    }, 30_000, 'the engine to finish the routed call');
    return detail!;
  }

  it('IVR key 2 → ring group: the unreachable member is passed over, the sipp phone answers and is bridged to the caller', async () => {
    const { asterisk, driver } = e2e();
    await routing();
    const uas = await runSipp({ scenario: { builtin: 'uas' }, port: asterisk.sippUasPort, calls: 1, timeoutMs: 60_000 });
    try {
      const since = driver.eventCount();
      const { caller, routed } = await call();
      // The menu prompt, spoken offline and fetched over HTTP, plays to its end on the real channel.
      const played = await playbackOf(since, routed, 'PlaybackFinished');
      expect((played.playback as { state?: string }).state).toBe('done');
      await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '2' });
      const bridged = await driver.waitEvent(
        (e) => e.type === 'ChannelEnteredBridge' && (e.bridge as { channels?: string[] }).channels?.length === 2 && (e.bridge as { channels: string[] }).channels.includes(routed),
        30_000,
        'the caller and the answering phone in one bridge',
        since,
      );
      const member = (bridged.bridge as { channels: string[] }).channels.find((c) => c !== routed)!;
      // The caller, answered by the menu, heard a ringing tone while the phones rang; it stopped at the answer.
      const tone = await driver.waitEvent(
        (e) => e.type === 'PlaybackStarted' && (e.playback as { media_uri?: string; target_uri?: string }).media_uri === 'tone:ring' && (e.playback as { target_uri?: string }).target_uri === `channel:${routed}`,
        10_000,
        'the ringing tone to the caller',
        since,
      );
      const toneId = (tone.playback as { id: string }).id;
      await driver.waitEvent((e) => e.type === 'PlaybackFinished' && (e.playback as { id?: string }).id === toneId, 10_000, 'the ringing tone to stop', since);
      await sleep(1_000);
      await driver.request('DELETE', `/channels/${caller.id}`);
      const { code, output } = await uas.done;
      if (code !== 0) throw new Error(`sipp uas exited ${code}:\n${output.slice(-2000)}`);

      const detail = await callDetail(routed);
      const path = detail.timeline.filter((t) => t.kind === 'routing').map((t) => t.text);
      expect(path[0]).toBe('number 5551000 → IVR Main');
      expect(path).toContain('IVR Main: pressed 2');
      expect(path).toContain('answered by 102');
      expect(path.indexOf('IVR Main: pressed 2')).toBeLessThan(path.indexOf('answered by 102'));
      // 101 was tried first and could not be reached; its leg and 102's are legs of the same call.
      expect(path.some((p) => /ringing 101/.test(p))).toBe(true);
      expect(detail.legs.map((l) => l.channelId)).toEqual(expect.arrayContaining([routed, member]));
      expect(detail.disposition).toBe('answered');
    } finally {
      uas.kill();
    }
  }, timeout);

  it("presence board: each phone as Asterisk reports it, a call no flow made included", async () => {
    const { asterisk, driver, engine } = e2e();
    await routing();
    const inject = engine.app.server.inject.bind(engine.app.server) as unknown as Inject;
    const board = (): Promise<PresenceBoard> => api<PresenceBoard>(inject, 'GET', '/api/routing/presence');
    const stateOf = async (number: string): Promise<string | undefined> => (await board()).extensions.find((e) => e.number === number)?.state;
    // 101's endpoint has no contact; 102's is a phone (sipp) that is free.
    await until(async () => (await stateOf('101')) === 'unavailable', 10_000, '101 to show unavailable');
    expect(await stateOf('102')).toBe('idle');
    const uas = await runSipp({ scenario: { builtin: 'uas' }, port: asterisk.sippUasPort, calls: 1, timeoutMs: 60_000 });
    try {
      // A call straight to 102's phone, made by the test over ARI: no routing flow knows of it.
      const direct = await driver.request<AriChannel>('POST', '/channels', { endpoint: 'PJSIP/default-102', app: DRIVER_APP });
      await until(async () => (await stateOf('102')) === 'in-call', 20_000, '102 to show in a call');
      const sales = (await board()).ringGroups.find((g) => g.name === 'Sales')!;
      expect(sales.counts).toEqual({ idle: 0, ringing: 0, 'in-call': 1, unavailable: 1 });
      expect(sales.members.map((m) => [m.number, m.state])).toEqual([['101', 'unavailable'], ['102', 'in-call']]);
      await driver.request('DELETE', `/channels/${direct.id}`);
      await until(async () => (await stateOf('102')) === 'idle', 20_000, '102 to show free again');
      const { code, output } = await uas.done;
      if (code !== 0) throw new Error(`sipp uas exited ${code}:\n${output.slice(-2000)}`);
    } finally {
      uas.kill();
    }
  }, timeout);

  it('nobody reachable → voicemail: the greeting plays, the message is recorded, stored and listed', async () => {
    const { driver, engine } = e2e();
    const { box } = await routing();
    const since = driver.eventCount();
    const { caller, routed } = await call();
    await playbackOf(since, routed, 'PlaybackFinished');
    // 9 goes straight to the voicemail box.
    await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '9' });
    const recording = await driver.waitEvent((e) => e.type === 'RecordingStarted' && String((e.recording as { target_uri?: string }).target_uri) === `channel:${routed}`, 30_000, 'the message to be recorded', since);
    const name = (recording.recording as { name: string }).name;
    // The caller speaks (a tone): a Local channel carries no audio of its own, and a recording of nothing
    // lasts 0 s, which is no message.
    await driver.request('POST', `/channels/${caller.id}/play`, { media: 'tone:440' });
    await sleep(2_500);
    await driver.request('DELETE', `/channels/${caller.id}`);
    await driver.waitEvent((e) => e.type === 'RecordingFinished' && (e.recording as { name: string }).name === name, 30_000, 'the recording to finish', since);

    const inject = engine.app.server.inject.bind(engine.app.server) as unknown as Inject;
    let messages: { items: { recordingId: string; durationS: number; from: string | null }[] } = { items: [] };
    await until(async () => {
      messages = await api(inject, 'GET', `/api/routing/voicemail-boxes/${box}/messages`);
      return messages.items.length > 0;
    }, 20_000, 'the message to be listed');
    expect(messages.items).toHaveLength(1);
    expect(messages.items[0]).toMatchObject({ recordingId: name, from: '5550123' });
    expect(messages.items[0]!.durationS).toBeGreaterThanOrEqual(1);
    // Asterisk keeps the audio as a stored recording under that name.
    const stored = await driver.request<{ name: string; format: string }>('GET', `/recordings/stored/${encodeURIComponent(name)}`);
    expect(stored).toMatchObject({ name, format: 'wav' });
    // ...and the API plays it back from there.
    const message = messages.items[0] as { id?: string };
    const audio = await engine.app.server.inject({ method: 'GET', url: `/api/routing/voicemail-boxes/${box}/messages/${message.id}/audio`, headers: { 'x-tenant-id': 'default' } });
    expect(audio.statusCode).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    expect(audio.rawPayload.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(audio.rawPayload.length).toBeGreaterThan(8_000);
    const detail = await callDetail(routed);
    expect(detail.timeline.filter((t) => t.kind === 'routing').map((t) => t.text)).toEqual(
      expect.arrayContaining(['IVR Main: pressed 9', expect.stringMatching(/^voicemail Front desk: 0:0[1-9] left$/)]),
    );
    // The webhook subscribed to voicemail heard of the message, with where to fetch it.
    const left = await webhookOf('voicemail.left', detail.id);
    expect(left.body.voicemail).toMatchObject({ boxId: box, messageId: message.id, recordingId: name, from: '5550123', audioPath: `/api/routing/voicemail-boxes/${box}/messages/${message.id}/audio` });
    // Deleting the message deletes its audio on Asterisk too.
    const deleted = await engine.app.server.inject({ method: 'DELETE', url: `/api/routing/voicemail-boxes/${box}/messages/${message.id}`, headers: { 'x-tenant-id': 'default' } });
    expect(deleted.statusCode).toBe(204);
    await expect(driver.request('GET', `/recordings/stored/${encodeURIComponent(name)}`)).rejects.toThrow(/404/);
  }, timeout);

  it('a number that records its calls: the conversation is kept with the call, played back, and deleted with its file', async () => {
    const { asterisk, driver, engine } = e2e();
    const { menu } = await routing();
    const inject = engine.app.server.inject.bind(engine.app.server) as unknown as Inject;
    await api(inject, 'PUT', '/api/routing/numbers/5551000', { destination: { type: 'ivr', id: menu }, record: true });
    const uas = await runSipp({ scenario: { builtin: 'uas' }, port: asterisk.sippUasPort, calls: 1, timeoutMs: 60_000 });
    try {
      const since = driver.eventCount();
      const { caller, routed } = await call();
      await playbackOf(since, routed, 'PlaybackFinished');
      await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '2' });
      await driver.waitEvent(
        (e) => e.type === 'ChannelEnteredBridge' && (e.bridge as { channels?: string[] }).channels?.length === 2 && (e.bridge as { channels: string[] }).channels.includes(routed),
        30_000,
        'the caller and the answering phone in one bridge',
        since,
      );
      // Something to hear: a recording of silence has no length.
      await driver.request('POST', `/channels/${caller.id}/play`, { media: 'tone:440' });
      await sleep(2_500);
      await driver.request('DELETE', `/channels/${caller.id}`);
      const { code, output } = await uas.done;
      if (code !== 0) throw new Error(`sipp uas exited ${code}:\n${output.slice(-2000)}`);

      const detail = await callDetail(routed);
      expect(detail.route?.answeredBy).toBe('102');
      expect(detail.route?.path).toEqual(expect.arrayContaining(['IVR Main: pressed 2', 'answered by 102']));
      expect(detail.route?.recorded).toBe(true);
      expect(detail.timeline.map((t) => t.text)).toContain('call recorded (the number records its calls)');
      let recordings: { items: { id: string; durationS: number; policy: string; audioUrl: string }[] } = { items: [] };
      await until(async () => {
        recordings = await api(inject, 'GET', `/api/calls/${encodeURIComponent(detail.id)}/recordings`);
        return recordings.items.length > 0;
      }, 30_000, 'the call recording to be stored');
      expect(recordings.items).toHaveLength(1);
      const [recording] = recordings.items;
      expect(recording).toMatchObject({ policy: 'number' });
      expect(recording!.durationS).toBeGreaterThanOrEqual(1);
      const audio = await engine.app.server.inject({ method: 'GET', url: recording!.audioUrl, headers: { 'x-tenant-id': 'default' } });
      expect(audio.statusCode).toBe(200);
      expect(audio.rawPayload.subarray(0, 4).toString('ascii')).toBe('RIFF');
      expect(audio.rawPayload.length).toBeGreaterThan(8_000);

      const hook = await webhookOf('call.recorded', detail.id);
      expect(hook.body.recording).toEqual({ id: recording!.id, durationS: recording!.durationS, policy: 'number', audioPath: recording!.audioUrl });

      const deleted = await engine.app.server.inject({ method: 'DELETE', url: `/api/recordings/${encodeURIComponent(recording!.id)}`, headers: { 'x-tenant-id': 'default' } });
      expect(deleted.statusCode).toBe(204);
      await expect(driver.request('GET', `/recordings/stored/${encodeURIComponent(recording!.id)}`)).rejects.toThrow(/404/);
      expect((await api<{ items: unknown[] }>(inject, 'GET', `/api/calls/${encodeURIComponent(detail.id)}/recordings`)).items).toEqual([]);
    } finally {
      uas.kill();
      await api(inject, 'PUT', '/api/routing/numbers/5551000', { destination: { type: 'ivr', id: menu }, record: false });
    }
  }, timeout);

  it("a conference room's options on the real Asterisk: muted entry, music until a host, arrivals and departures announced, no command refused", async () => {
    const { driver, engine } = e2e();
    await routing();
    const inject = engine.app.server.inject.bind(engine.app.server) as unknown as Inject;
    await api(inject, 'POST', '/api/tenants/default/numbers', { number: '5553000', label: 'conference line' });
    const room = await api<{ id: string }>(inject, 'POST', '/api/routing/conferences', { name: 'Board', number: '830', waitForHost: true, muteOnEntry: true, announceJoinLeave: true, maxParticipants: 5 });
    await api(inject, 'PUT', '/api/routing/numbers/5553000', { destination: { type: 'conference', id: room.id }, record: false });
    const bridgeId = `conf:${room.id}`;
    const onBridge = (type: string, since: number) =>
      driver.waitEvent((e) => e.type === type && String((e.playback as { target_uri?: string } | undefined)?.target_uri) === `bridge:${bridgeId}`, 30_000, `${type} on the conference bridge`, since);
    const entered = (channel: string, since: number) =>
      driver.waitEvent((e) => e.type === 'ChannelEnteredBridge' && (e.bridge as { id?: string }).id === bridgeId && (e.channel as { id?: string }).id === channel, 30_000, `${channel} in the conference`, since);

    const failedCommands = async (): Promise<number> => {
      const body = (await engine.app.server.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/callflow_routing_commands_failed_total\{server="[^"]+"\} (\d+)/.exec(body)?.[1] ?? 0);
    };
    const failedBefore = await failedCommands();
    const since = driver.eventCount();
    const first = await call('5553000');
    await entered(first.routed, since);
    const second = await call('5553000');
    await entered(second.routed, since);
    // The second arrival is announced to the room.
    await onBridge('PlaybackStarted', since);
    const beforeLeave = driver.eventCount();
    await driver.request('DELETE', `/channels/${second.caller.id}`);
    await onBridge('PlaybackStarted', beforeLeave);
    await driver.request('DELETE', `/channels/${first.caller.id}`);

    // Asterisk took every command of the two flows (mute, music on hold, plays on the bridge, joining its bridge).
    expect(await failedCommands()).toBe(failedBefore);
    expect((await engine.app.server.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/callflow_routing_flows_started_total\{server="[^"]+"\} [1-9]/);
    const detail = await callDetail(first.routed);
    expect(detail.route?.path).toEqual(expect.arrayContaining(['conference Board: joined']));
  }, timeout);


  it("a call between the tenant's phones: a provisioned phone dials an extension number and reaches that phone", async () => {
    const { asterisk, engine, sipTarget } = e2e();
    await routing();
    const inject = engine.app.server.inject.bind(engine.app.server) as unknown as Inject;
    // A new extension: the engine pushes its endpoint to Asterisk; its phone (sipp) calls 102 with its password.
    const e103 = await api<{ id: string; endpoint: string; sipPassword: string }>(inject, 'POST', '/api/routing/extensions', { number: '105', name: 'Cleo' });
    await until(async () => (await api<{ provisioned: boolean }>(inject, 'GET', `/api/routing/extensions/${e103.id}/provisioning`)).provisioned, 20_000, 'the phone pushed to Asterisk');
    const uas = await runSipp({ scenario: { builtin: 'uas' }, port: asterisk.sippUasPort, calls: 1, timeoutMs: 60_000 });
    try {
      const phone = await runSipp({
        scenario: { file: 'uac_auth.xml' },
        target: sipTarget,
        service: '102',
        calls: 1,
        extra: ['-key', 'caller', e103.endpoint, '-au', e103.endpoint, '-ap', e103.sipPassword, '-d', '2000'],
        timeoutMs: 60_000,
      });
      const result = await phone.done;
      if (result.code !== 0) throw new Error(`the phone's call failed (sipp ${result.code}):\n${result.output.slice(-3000)}`);
      const answered = await uas.done;
      if (answered.code !== 0) throw new Error(`sipp uas exited ${answered.code}:\n${answered.output.slice(-2000)}`);
    } finally {
      uas.kill();
    }
    let call: { route: { path: string[]; answeredBy: string | null } | null; disposition: string | null; legs: { endpoint: string }[] } | undefined;
    await until(async () => {
      const page = await api<{ items: typeof call[] }>(inject, 'GET', '/api/calls?limit=20');
      call = page.items.find((c) => c?.legs.some((l) => l.endpoint === `PJSIP/${e103.endpoint}`) && c.disposition !== null);
      return call !== undefined;
    }, 30_000, "the phone's call in the history");
    expect(call!.route?.path[0]).toBe('number 102 → extension 102');
    expect(call!.route?.answeredBy).toBe('102');
    expect(call!.disposition).toBe('answered');
    expect(call!.legs.map((l) => l.endpoint)).toEqual(expect.arrayContaining([`PJSIP/${e103.endpoint}`, 'PJSIP/default-102']));
  }, timeout);

});
