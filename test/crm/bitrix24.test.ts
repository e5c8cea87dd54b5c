import { describe, expect, it } from 'vitest';
import { retryDelivery } from '../../src/crm/deliveries.ts';
import { getCrmLinks } from '../../src/crm/links.ts';
import { findResponsibleEmployee } from '../../src/crm/bitrix24/search.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import type { CrmDeps } from '../../src/crm/crm-service.ts';
import { FakeBitrix, type FakeBitrixOptions } from '../support/fake-bitrix.ts';
import { storeKinds } from '../support/test-store.ts';
import { callSnapshots, type CallScript } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, outboxCounts, sharedStore, testCrmConfig, waitFor, type Harness } from './helpers/harness.ts';

const USER_MAP = { '101': 11, '102': 12 };

describe.each(storeKinds())('Bitrix24 sink on %s', (kind) => {
  const store = sharedStore(kind);
  const track = closeAfterEach();

  /** The worker is not started: a test starts it (or delivers by hand) once it has written what it wants seen. */
  async function setup(bitrix: Record<string, unknown> = {}, fakeOptions: FakeBitrixOptions = {}, outbox: Record<string, unknown> = {}, deps: Partial<CrmDeps> = {}) {
    const fake = track(await new FakeBitrix({ perSecond: 100, burst: 100, ...fakeOptions }).start());
    const config = testCrmConfig({
      bitrix24: { webhookUrl: fake.webhookUrl, userMap: USER_MAP, defaultUserId: 1, showCard: 'never', rate: { perSecond: 100, burst: 100 }, ...bitrix },
      outbox,
    });
    const h = track(openHarness(await store(), config, deps));
    return { h, fake };
  }

  /** Writes one snapshot of a call with the deliveries its change plans, as the engine's batch does. */
  async function write(h: Harness, previous: CallRecord | null, current: CallRecord): Promise<void> {
    await h.store.writeBatch({ events: [], calls: [current], merges: [], outbox: h.crm.plan({ previous, current }) });
  }

  /** Delivery rounds run by the test itself (no worker): each step happens when the test says. */
  async function deliverByHand(h: Harness): Promise<void> {
    await waitFor(async () => {
      await h.store.sql.query("UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending'");
      await h.crm.worker.runOnce();
      const c = await outboxCounts(h.store);
      return (c.pending ?? 0) + (c.delivering ?? 0) === 0;
    }, 'every delivery to go');
  }

  /** Each change delivered before the next happens, as on a live call. */
  async function liveCall(h: Harness, snaps: CallRecord[]): Promise<void> {
    for (let i = 0; i < snaps.length; i++) {
      await write(h, snaps[i - 1] ?? null, snaps[i]!);
      await deliverByHand(h);
    }
  }

  /** The call as first seen: its channel is there, its caller id not yet. */
  const withoutCallerId = (call: CallRecord): CallRecord => ({ ...call, from: '', legs: call.legs.map((l) => ({ ...l, callerNumber: '' })) });

  const finishedCall = (snaps: CallRecord[]) => snaps[snaps.length - 1]!;

  /**
   * Every snapshot of the calls is written, then the worker starts: deliveries are built from the calls as
   * stored when sent, so each register sees its call as it ended.
   */
  async function run(h: Harness, ...scripts: CallScript[]): Promise<CallRecord[][]> {
    const calls = scripts.map((s) => callSnapshots(s));
    await h.feed(...calls);
    h.crm.worker.start();
    await drained(h.store);
    return calls;
  }

  it('registers then finishes each call once, with our id as EXTERNAL_CALL_ID', async () => {
    const { h, fake } = await setup({ crmCreate: true });
    const [inbound, outbound] = await run(h, { extension: '101', did: '+4930999', client: '+4930123' }, { direction: 'outbound', extension: '102', client: '+4930777' });
    const a = fake.callsByExternalId(inbound![0]!.id);
    const b = fake.callsByExternalId(outbound![0]!.id);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    // Registered when the call had ended: filed under the employee who answered, no card popped up.
    expect(a[0]!.register).toMatchObject({ TYPE: 2, PHONE_NUMBER: '+4930123', LINE_NUMBER: '+4930999', USER_ID: 11, CRM_CREATE: 1, SHOW: 0, CALL_START_DATE: inbound![0]!.startedAt });
    expect(a[0]!.finish).toMatchObject({ USER_ID: 11, STATUS_CODE: '200', DURATION: 42 });
    expect(b[0]!.register).toMatchObject({ TYPE: 1, PHONE_NUMBER: '+4930777', USER_ID: 12 });
    expect(b[0]!.finish).toMatchObject({ USER_ID: 12, STATUS_CODE: '200' });
    const order = fake.served().filter((r) => r.params.CALL_ID === a[0]!.callId || r.params.EXTERNAL_CALL_ID === inbound![0]!.id).map((r) => r.method);
    expect(order).toEqual(['telephony.externalcall.register', 'telephony.externalcall.finish']);
    const links = await getCrmLinks(h.store.sql, inbound![0]!.id);
    expect(links).toMatchObject([{ sink: 'bitrix24', externalCallId: a[0]!.callId, data: { finished: { statusCode: '200' }, crm: { entityType: 'LEAD' } } }]);
  });

  it("files a call nobody rang under the webhook's owner when no default user is set", async () => {
    const { h, fake } = await setup({ defaultUserId: undefined }, { userId: 7 });
    const [first] = callSnapshots({ client: '+4930123' });
    await write(h, null, first!);
    await deliverByHand(h);
    const call = fake.callsByExternalId(first!.id)[0]!;
    expect(call.register).toMatchObject({ USER_ID: 7, PHONE_NUMBER: '+4930123' });
  });

  it('registers the call as it is when sent: a caller id that came in a later batch is in the register', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({ client: '+4930123', did: '+4930999' });
    const early = withoutCallerId(snaps[0]!);
    await write(h, null, early);
    await write(h, early, snaps[0]!);
    for (let i = 1; i < snaps.length; i++) await write(h, snaps[i - 1]!, snaps[i]!);
    await deliverByHand(h);
    const calls = fake.callsByExternalId(snaps[0]!.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.register).toMatchObject({ PHONE_NUMBER: '+4930123', LINE_NUMBER: '+4930999', TYPE: 2 });
    expect(calls[0]!.finish).toMatchObject({ STATUS_CODE: '200' });
  });

  it.each(['sipp', 'anonymous', ''])('a client number without digits (%j) goes in as the placeholder, the original kept', async (client) => {
    const { h, fake } = await setup({ placeholderNumber: '+0000' });
    const [snaps] = await run(h, { client, disposition: 'no_answer' });
    const call = fake.callsByExternalId(snaps![0]!.id)[0]!;
    expect(call.register).toMatchObject({ PHONE_NUMBER: '+0000', TYPE: 2 });
    expect(call.finish).toMatchObject({ STATUS_CODE: '304' });
    const [link] = await getCrmLinks(h.store.sql, snaps![0]!.id);
    expect(link!.data).toMatchObject({ phoneNumber: { sent: '+0000', original: client } });
    expect(await outboxCounts(h.store)).toEqual({ delivered: 2 });
    // Known before sending: the portal never had to refuse it.
    expect(fake.requests.filter((r) => r.status !== 200)).toEqual([]);
  });

  it('a register the portal refused is built afresh when sent again: the fix (or the call as it is now) is in it', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({ client: '+4930123' });
    const early = withoutCallerId(snaps[0]!);
    await write(h, null, early);
    fake.inject(1, { status: 400, error: 'ERROR_CORE', description: 'User is not found or is not active.' });
    await waitFor(async () => (await h.crm.worker.runOnce()) > 0, 'the refused register');
    expect(await outboxCounts(h.store)).toEqual({ dead: 1 });
    await write(h, early, snaps[0]!);
    const [dead] = await h.store.sql.query<{ id: number }>("SELECT id FROM outbox WHERE status = 'dead'");
    await retryDelivery(h.store.sql, Number(dead!.id));
    await deliverByHand(h);
    expect(fake.callsByExternalId(snaps[0]!.id).map((c) => c.register.PHONE_NUMBER)).toEqual(['+4930123']);
  });

  it('a number the portal refuses though it has digits is registered again with the placeholder', async () => {
    const { h, fake } = await setup();
    fake.refusedNumbers.add('+4930777');
    const [snaps] = await run(h, { client: '+4930777' });
    const calls = fake.callsByExternalId(snaps![0]!.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.register).toMatchObject({ PHONE_NUMBER: '0000000000' });
    expect(calls[0]!.finish).not.toBeNull();
    expect(fake.requests.filter((r) => r.error === 'ERROR_CORE')).toHaveLength(1);
    const [link] = await getCrmLinks(h.store.sql, snaps![0]!.id);
    expect(link!.data).toMatchObject({ phoneNumber: { sent: '0000000000', original: '+4930777' } });
  });

  it('a register whose answer was lost is sent again unchanged, though the call changed meanwhile: one Bitrix24 call', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({ client: '+4930123' });
    const early = withoutCallerId(snaps[0]!);
    await write(h, null, early);
    fake.inject(1, 'lose');
    await waitFor(async () => (await h.crm.worker.runOnce()) > 0, 'the first register attempt');
    expect(fake.requests.map((r) => [r.method, r.error])).toEqual([['telephony.externalcall.register', 'lost']]);
    // The caller id arrives, the call goes on and ends; then the deliveries are retried.
    await write(h, early, snaps[0]!);
    for (let i = 1; i < snaps.length; i++) await write(h, snaps[i - 1]!, snaps[i]!);
    await deliverByHand(h);
    const calls = fake.callsByExternalId(snaps[0]!.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.finish).toMatchObject({ STATUS_CODE: '200' });
    expect(fake.served('telephony.externalcall.register')).toHaveLength(1);
  });

  it('keeps overlapping calls from the same number apart (the 30-minute CALL_ID trap)', async () => {
    const { h, fake } = await setup();
    const script = { extension: '101', client: '+4930123', did: '+4930999' };
    const calls = await run(h, script, script, script);
    const bitrixIds = calls.map((c) => fake.callsByExternalId(c[0]!.id)[0]!.callId);
    expect(new Set(bitrixIds).size).toBe(3);
    expect(calls.every((c) => fake.callsByExternalId(c[0]!.id)[0]!.finish !== null)).toBe(true);
    expect(await outboxCounts(h.store)).toEqual({ delivered: 6 });
  });

  it('the fake reproduces the trap for a connector that leaves EXTERNAL_CALL_ID out', async () => {
    const { fake } = await setup();
    const post = (method: string, body: Record<string, unknown>) =>
      fetch(`${fake.webhookUrl}${method}.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<Record<string, any>>);
    const params = { USER_ID: 11, PHONE_NUMBER: '+4930123', TYPE: 2 };
    const first = await post('telephony.externalCall.register', params);
    const second = await post('telephony.externalCall.register', params);
    expect(second.result.CALL_ID).toBe(first.result.CALL_ID);
    await post('telephony.externalCall.finish', { CALL_ID: first.result.CALL_ID, USER_ID: 11 });
    const again = await post('telephony.externalCall.finish', { CALL_ID: second.result.CALL_ID, USER_ID: 11 });
    expect(again.error_description).toBe('Call is not found');
  });

  it.each([
    [{ disposition: 'busy' }, '486', 0],
    [{ disposition: 'no_answer' }, '304', 0],
    [{ disposition: 'no_answer', direction: 'outbound' }, '480', 0],
    [{ disposition: 'cancelled', direction: 'outbound' }, '603-S', 0],
    [{ disposition: 'congestion', direction: 'outbound', cause: 34 }, '503', 0],
    [{ disposition: 'failed', direction: 'outbound', cause: 21 }, '403', 0],
    [{ disposition: 'answered', talkSeconds: 61 }, '200', 61],
  ] as const)('finishes %j with STATUS_CODE %s', async (script, code, duration) => {
    const { h, fake } = await setup();
    const [snaps] = await run(h, script as CallScript);
    const call = fake.callsByExternalId(snaps![0]!.id)[0]!;
    expect(call.finish).toMatchObject({ STATUS_CODE: code, DURATION: duration });
    if (code !== '200') expect(call.finish!.FAILED_REASON).toBe(finishedCall(snaps!).hangupCauseText);
  });

  it('shows the card to the ringing employee and hides it for the others at answer (mode ring)', async () => {
    const { h, fake } = await setup({ showCard: 'ring' });
    const snaps = callSnapshots({ extension: '101' });
    await liveCall(h, snaps);
    const call = fake.callsByExternalId(snaps[0]!.id)[0]!;
    expect(call.shownTo).toEqual([11]);
    expect(fake.served().map((r) => r.method)).toEqual([
      'telephony.externalcall.register',
      'telephony.externalcall.show',
      'telephony.externalcall.finish',
    ]);
  });

  it('registers a call that already rang with the card shown, and never pops a card for a call that has ended', async () => {
    const { h, fake } = await setup({ showCard: 'ring' });
    const snaps = callSnapshots({ extension: '101' });
    await write(h, null, snaps[0]!);
    await write(h, snaps[0]!, snaps[1]!);
    await deliverByHand(h);
    const ringing = fake.callsByExternalId(snaps[0]!.id)[0]!;
    expect(ringing.register).toMatchObject({ USER_ID: 11, SHOW: 1 });
    expect(ringing.shownTo).toEqual([11]);
    expect(fake.served('telephony.externalcall.show')).toHaveLength(0);

    const [ended] = await run(h, { extension: '102', disposition: 'no_answer' });
    const call = fake.callsByExternalId(ended![0]!.id)[0]!;
    expect(call.register).toMatchObject({ USER_ID: 12, SHOW: 0 });
    expect(call.shownTo).toEqual([]);
  });

  it('shows the card when the employee answers (mode answer)', async () => {
    const { h, fake } = await setup({ showCard: 'answer' });
    const [answered, missed] = [callSnapshots({ extension: '102' }), callSnapshots({ extension: '102', disposition: 'no_answer' })];
    await liveCall(h, answered);
    await liveCall(h, missed);
    expect(fake.callsByExternalId(answered[0]!.id)[0]!.shownTo).toEqual([12]);
    expect(fake.callsByExternalId(missed[0]!.id)[0]!.shownTo).toEqual([]);
  });

  it('surfaces LEAD_CREATION_ERROR on the call links', async () => {
    const { h } = await setup({ crmCreate: true }, { leadCreationError: 'Lead creation is disabled' });
    const [snaps] = await run(h, {});
    const [link] = await getCrmLinks(h.store.sql, snaps![0]!.id);
    expect(link!.data).toMatchObject({ leadCreationError: 'Lead creation is disabled', crm: { createdLead: false } });
  });

  it('attaches the recording and the transcript after the finish, once', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({});
    const calls = snaps.map((current, i) => ({ previous: i === 0 ? null : snaps[i - 1]!, current }));
    const transcript = [{ side: 'client' as const, startSec: 0, stopSec: 2.5, text: 'hello' }];
    for (const change of calls) {
      const extra = change.current.status === 'finished' ? { recordingUrl: 'https://pbx.example/rec/1.mp3', transcript } : {};
      await h.store.writeBatch({ events: [], calls: [change.current], merges: [], outbox: h.crm.plan({ ...change, ...extra }) });
    }
    h.crm.worker.start();
    await drained(h.store);
    const call = fake.callsByExternalId(snaps[0]!.id)[0]!;
    expect(call.record).toMatchObject({ RECORD_URL: 'https://pbx.example/rec/1.mp3' });
    expect(call.transcription).toMatchObject({ MESSAGES: [{ SIDE: 'Client', START_TIME: 0, STOP_TIME: 2.5, MESSAGE: 'hello' }] });
    expect(fake.served('telephony.externalcall.finish')).toHaveLength(1);
  });

  it("uploads a call's recording through attachRecord's form: held until the finish when it comes first, at once after it", async () => {
    const audio = new Map([
      ['f1:r7', Buffer.from('RIFF-first-recording')],
      ['f1:r9', Buffer.from('RIFF-second-recording')],
    ]);
    const { h, fake } = await setup({}, {}, {}, { recordingAudio: async (name: string) => audio.get(name) ?? null });
    const snaps = callSnapshots({});
    const last = snaps.at(-1)!;
    const recorded = (id: string) => h.crm.planMedia(last, 'call.recorded', { recording: { id, durationS: 42, policy: 'number', audioPath: `/api/recordings/${id}/audio` } });
    // The recording is reported before the call's finish is delivered: it waits for the finish.
    await write(h, null, snaps[0]!);
    await h.store.writeBatch({ events: [], calls: [], merges: [], outbox: recorded('f1:r7') });
    for (let i = 1; i < snaps.length; i++) await write(h, snaps[i - 1]!, snaps[i]!);
    await deliverByHand(h);
    const call = fake.callsByExternalId(snaps[0]!.id)[0]!;
    expect(call.record).toEqual(expect.objectContaining({ FILENAME: 'f1_r7.wav', FILE_CONTENT: audio.get('f1:r7')!.toString('base64') }));
    expect(call.record).not.toHaveProperty('RECORD_URL');
    // Another recording of the finished call goes at once; the same one again changes nothing.
    await h.store.writeBatch({ events: [], calls: [], merges: [], outbox: [...recorded('f1:r9'), ...recorded('f1:r9')] });
    await deliverByHand(h);
    expect(fake.callsByExternalId(snaps[0]!.id)[0]!.record).toMatchObject({ FILENAME: 'f1_r9.wav' });
    expect(fake.served('telephony.externalcall.attachrecord')).toHaveLength(2);
  });

  it("tries a recording again while its audio cannot be fetched from the PBX", async () => {
    let available = false;
    const { h, fake } = await setup({}, {}, {}, { recordingAudio: async () => (available ? Buffer.from('RIFF') : null) });
    const snaps = callSnapshots({});
    for (let i = 0; i < snaps.length; i++) await write(h, i === 0 ? null : snaps[i - 1]!, snaps[i]!);
    await deliverByHand(h);
    await h.store.writeBatch({ events: [], calls: [], merges: [], outbox: h.crm.planMedia(snaps.at(-1)!, 'call.recorded', { recording: { id: 'r1', durationS: 3, policy: 'extension', audioPath: '/x' } }) });
    await h.store.sql.query("UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending'");
    await h.crm.worker.runOnce();
    await h.store.sql.query("UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending'");
    await h.crm.worker.runOnce();
    const [row] = await h.store.sql.query<{ status: string; last_error: unknown }>("SELECT status, last_error FROM outbox WHERE event_type = 'call.recorded'");
    expect(row).toMatchObject({ status: 'pending' });
    expect(JSON.stringify(row!.last_error)).toMatch(/could not be fetched/);
    available = true;
    await deliverByHand(h);
    expect(fake.callsByExternalId(snaps[0]!.id)[0]!.record).toMatchObject({ FILENAME: 'r1.wav' });
  });

  it('a finish the portal no longer knows becomes a dead letter with the reason', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({});
    h.crm.worker.start();
    await h.feed(snaps.slice(0, 1));
    await waitFor(() => fake.calls.size === 1, 'the register');
    fake.calls.clear();
    await h.feed(snaps);
    const dead = await waitFor(async () => {
      const rows = await h.store.sql.query<{ last_error: string }>("SELECT last_error FROM outbox WHERE status = 'dead'");
      return rows[0];
    }, 'the dead letter');
    expect(dead.last_error).toMatch(/Call is not found/);
  });

  it('refreshes an expired OAuth token and retries the request', async () => {
    const fake = track(await new FakeBitrix({ perSecond: 100, burst: 100 }).start());
    const config = testCrmConfig({
      bitrix24: {
        oauth: { portal: fake.origin, clientId: fake.clientId, clientSecret: fake.clientSecret, accessToken: fake.accessToken, refreshToken: fake.refreshToken, tokenUrl: fake.tokenUrl },
        userMap: USER_MAP,
        defaultUserId: 1,
        showCard: 'never',
      },
    });
    const h = track(openHarness(await store(), config));
    h.crm.worker.start();
    const [first] = await run(h, {});
    fake.expireAccessToken();
    const [second] = await run(h, {});
    expect(fake.refreshes).toBe(1);
    expect(fake.requests.filter((r) => r.error === 'expired_token')).toHaveLength(1);
    expect(fake.callsByExternalId(first![0]!.id)[0]!.finish).not.toBeNull();
    expect(fake.callsByExternalId(second![0]!.id)[0]!.finish).not.toBeNull();
    // The rotated pair is kept for restarts and other instances.
    const tokens = await h.store.sql.query<{ access_token: string; refresh_token: string }>('SELECT access_token, refresh_token FROM crm_tokens');
    expect(tokens).toEqual([{ access_token: fake.accessToken, refresh_token: fake.refreshToken }]);
  });

  it('finds the responsible employee of a number', async () => {
    const { h, fake } = await setup();
    fake.entities.set('+4930123', [{ CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '7', NAME: 'Client', ASSIGNED_BY_ID: '12', ASSIGNED_BY: { ID: '12', USER_PHONE_INNER: '9102' } }]);
    const bitrixConfig = testCrmConfig({ bitrix24: { webhookUrl: fake.webhookUrl, userMap: USER_MAP } }).bitrix24!;
    const found = await findResponsibleEmployee(h.crm.bitrix!, bitrixConfig, '+4930123');
    expect(found).toMatchObject({ userId: 12, extension: '102', entity: { entityType: 'CONTACT', entityId: 7 } });
    // Without a map entry, the inner number Bitrix24 knows is the extension.
    const unmapped = await findResponsibleEmployee(h.crm.bitrix!, { ...bitrixConfig, userMap: {} }, '+4930123');
    expect(unmapped?.extension).toBe('9102');
    expect(await findResponsibleEmployee(h.crm.bitrix!, bitrixConfig, '+000')).toBeNull();
  });
});
