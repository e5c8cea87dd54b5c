import { describe, expect, it } from 'vitest';
import { getCrmLinks } from '../../src/crm/links.ts';
import { findResponsibleEmployee } from '../../src/crm/bitrix24/search.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import { FakeBitrix, type FakeBitrixOptions } from '../support/fake-bitrix.ts';
import { storeKinds } from '../support/test-store.ts';
import { callSnapshots, type CallScript } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, outboxCounts, sharedStore, testCrmConfig, waitFor, type Harness } from './helpers/harness.ts';

const USER_MAP = { '101': 11, '102': 12 };

describe.each(storeKinds())('Bitrix24 sink on %s', (kind) => {
  const store = sharedStore(kind);
  const track = closeAfterEach();

  async function setup(bitrix: Record<string, unknown> = {}, fakeOptions: FakeBitrixOptions = {}, outbox: Record<string, unknown> = {}) {
    const fake = track(await new FakeBitrix({ perSecond: 100, burst: 100, ...fakeOptions }).start());
    const config = testCrmConfig({
      bitrix24: { webhookUrl: fake.webhookUrl, userMap: USER_MAP, defaultUserId: 1, showCard: 'never', rate: { perSecond: 100, burst: 100 }, ...bitrix },
      outbox,
    });
    const h = track(openHarness(await store(), config));
    h.crm.worker.start();
    return { h, fake };
  }

  const finishedCall = (snaps: CallRecord[]) => snaps[snaps.length - 1]!;

  async function run(h: Harness, ...scripts: CallScript[]): Promise<CallRecord[][]> {
    const calls = scripts.map((s) => callSnapshots(s));
    await h.feed(...calls);
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
    // Before anyone rang, the inbound call is filed under the default user; the finish names who answered.
    expect(a[0]!.register).toMatchObject({ TYPE: 2, PHONE_NUMBER: '+4930123', LINE_NUMBER: '+4930999', USER_ID: 1, CRM_CREATE: 1, SHOW: 0, CALL_START_DATE: inbound![0]!.startedAt });
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
    const [snaps] = await run(h, { disposition: 'no_answer', client: '' });
    const call = fake.callsByExternalId(snaps![0]!.id)[0]!;
    expect(call.register).toMatchObject({ USER_ID: 7, PHONE_NUMBER: 'anonymous' });
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
    const [snaps] = await run(h, { extension: '101' });
    const call = fake.callsByExternalId(snaps![0]!.id)[0]!;
    expect(call.shownTo).toEqual([11]);
    expect(fake.served().map((r) => r.method)).toEqual([
      'telephony.externalcall.register',
      'telephony.externalcall.show',
      'telephony.externalcall.finish',
    ]);
  });

  it('shows the card when the employee answers (mode answer)', async () => {
    const { h, fake } = await setup({ showCard: 'answer' });
    const [answered, missed] = await run(h, { extension: '102' }, { extension: '102', disposition: 'no_answer' });
    expect(fake.callsByExternalId(answered![0]!.id)[0]!.shownTo).toEqual([12]);
    expect(fake.callsByExternalId(missed![0]!.id)[0]!.shownTo).toEqual([]);
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
    h.crm.worker.wake();
    await drained(h.store);
    const call = fake.callsByExternalId(snaps[0]!.id)[0]!;
    expect(call.record).toMatchObject({ RECORD_URL: 'https://pbx.example/rec/1.mp3' });
    expect(call.transcription).toMatchObject({ MESSAGES: [{ SIDE: 'Client', START_TIME: 0, STOP_TIME: 2.5, MESSAGE: 'hello' }] });
    expect(fake.served('telephony.externalcall.finish')).toHaveLength(1);
  });

  it('a finish the portal no longer knows becomes a dead letter with the reason', async () => {
    const { h, fake } = await setup();
    const snaps = callSnapshots({});
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
