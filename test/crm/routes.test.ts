import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/error-handler.ts';
import { AppError, ERROR_CODES } from '../../src/errors.ts';
import type { OriginateParams } from '../../src/crm/bitrix24/click-to-call.ts';
import { getCrmLinks } from '../../src/crm/links.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { storeKinds } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, outboxCounts, sharedStore, TEST_SECRET, testCrmConfig, waitFor } from './helpers/harness.ts';

const APP_TOKEN = 'bitrix-app-token-123';

describe.each(storeKinds())('CRM routes on %s', (kind) => {
  const store = sharedStore(kind);
  const track = closeAfterEach();
  let originated: OriginateParams[] = [];
  let failOriginate: Error | null = null;
  afterEach(() => {
    originated = [];
    failOriginate = null;
  });

  async function setup(options: { pbx?: boolean } = {}) {
    const fake = track(await new FakeBitrix({ perSecond: 100, burst: 100 }).start());
    const rx = track(await new WebhookReceiver(TEST_SECRET).start());
    const config = testCrmConfig({
      webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET }],
      bitrix24: { webhookUrl: fake.webhookUrl, applicationToken: APP_TOKEN, userMap: { '101': 11 }, defaultUserId: 1, showCard: 'never', rate: { perSecond: 100, burst: 100 } },
      outbox: { maxAgeMs: 400 },
    });
    const ts = await store();
    const h = track(openHarness(ts, config, {
      getCall: (id) => ts.store.getCall(id),
      originate:
        options.pbx === false
          ? undefined
          : async (params) => {
              if (failOriginate) throw failOriginate;
              originated.push(params);
              return { channelId: params.channelId };
            },
    }));
    const app = track(Fastify());
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(errorHandler);
    // The routes alone, without the server's door: every request acts as the operator (see test/tenants for scoping).
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      request.principal = { kind: 'platform', role: 'operator', tenantId: null, keyIndex: null, name: 'test' };
    });
    await app.register(h.crm.routes);
    await app.ready();
    return { h, app, fake, rx };
  }

  it('lists, filters, pages and shows deliveries', async () => {
    const { h, app } = await setup();
    const [one, two] = [callSnapshots({ disposition: 'no_answer' }), callSnapshots({ disposition: 'no_answer' })];
    await h.feed(one, two);
    h.crm.worker.start();
    await drained(h.store);
    const all = await app.inject({ url: '/api/deliveries?limit=5' });
    expect(all.statusCode).toBe(200);
    const page = all.json();
    expect(page.items).toHaveLength(5);
    expect(page.items[0].payload).toBeUndefined();
    const rest = (await app.inject({ url: `/api/deliveries?limit=5&cursor=${page.nextCursor}` })).json();
    expect(rest.items).toHaveLength(3);
    expect(rest.nextCursor).toBeNull();

    const ofCall = (await app.inject({ url: `/api/deliveries?callId=${one[0]!.id}&sink=webhook:erp` })).json();
    expect(ofCall.items.map((d: { eventType: string }) => d.eventType)).toEqual(['call.finished', 'call.created']);
    const detail = (await app.inject({ url: `/api/deliveries/${ofCall.items[0].id}` })).json();
    expect(detail).toMatchObject({ status: 'delivered', idempotencyKey: `webhook:erp:${one[0]!.id}:call.finished`, payload: { call: { id: one[0]!.id } } });

    expect((await app.inject({ url: '/api/deliveries/424242' })).json()).toMatchObject({ code: 'CF_DELIVERY_NOT_FOUND' });
    expect((await app.inject({ url: '/api/deliveries/abc' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/deliveries?status=lost' })).statusCode).toBe(400);
  });

  it('retries a dead delivery and replays a call', async () => {
    const { h, app, rx } = await setup();
    rx.setDown(true);
    const snaps = callSnapshots({ disposition: 'no_answer' });
    h.crm.worker.start();
    await h.feed(snaps);
    await waitFor(async () => (await outboxCounts(h.store)).dead === 2, 'dead letters');
    const dead = (await app.inject({ url: '/api/deliveries?status=dead' })).json().items as { id: number; eventType: string }[];
    const created = dead.find((d) => d.eventType === 'call.created')!;
    const notDead = (await app.inject({ url: `/api/deliveries?status=delivered&limit=1` })).json().items[0];

    rx.setDown(false);
    const retried = await app.inject({ method: 'POST', url: `/api/deliveries/${created.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json().items.map((d: { status: string }) => d.status)).toEqual(['pending', 'pending']);
    await drained(h.store);
    expect(rx.accepted().map((r) => r.type)).toEqual(['call.created', 'call.finished']);

    const again = await app.inject({ method: 'POST', url: `/api/deliveries/${notDead.id}/retry` });
    expect(again.json()).toMatchObject({ code: 'CF_REQUEST_INVALID' });
    expect(again.statusCode).toBe(400);

    const replay = await app.inject({ method: 'POST', url: `/api/calls/${snaps[0]!.id}/deliveries/replay?sink=webhook:erp` });
    expect(replay.json().items).toHaveLength(2);
    await waitFor(() => rx.received.filter((r) => r.status === 204).length === 4, 'the replay');
    expect((await app.inject({ method: 'POST', url: '/api/calls/no-such-call/deliveries/replay' })).statusCode).toBe(404);
  });

  it('replays a stored call that never had deliveries by planning them', async () => {
    const { h, app, rx } = await setup();
    const snaps = callSnapshots({ disposition: 'no_answer' });
    await h.store.writeBatch({ events: [], calls: [snaps[snaps.length - 1]!], merges: [], outbox: [] });
    h.crm.worker.start();
    const replay = await app.inject({ method: 'POST', url: `/api/calls/${snaps[0]!.id}/deliveries/replay` });
    expect(replay.statusCode).toBe(200);
    await drained(h.store);
    expect(rx.accepted().map((r) => r.type)).toEqual(['call.created', 'call.finished']);
  });

  describe('Bitrix24 click-to-call', () => {
    const form = (callId: string, token = APP_TOKEN, userId = '11') =>
      new URLSearchParams({
        event: 'ONEXTERNALCALLSTART',
        'data[PHONE_NUMBER]': '+4930555',
        'data[USER_ID]': userId,
        'data[CALL_ID]': callId,
        'data[LINE_NUMBER]': 'main',
        'auth[application_token]': token,
      }).toString();
    const post = (app: FastifyInstance, body: string) =>
      app.inject({ method: 'POST', url: '/integrations/bitrix24/events', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });

    /** The call the engine records for an originated channel. */
    const placedCall = (channelId: string): CallRecord[] =>
      callSnapshots({ direction: 'outbound', extension: '101', client: '+4930555', talkSeconds: 30 }).map((c) => ({
        ...c,
        legs: c.legs.map((l, i) => (i === 0 ? { ...l, channelId } : l)),
      }));

    it('originates employee first, then finishes the CALL_ID Bitrix24 gave, without registering again', async () => {
      const { h, app, fake } = await setup();
      const res = await post(app, form('externalCall.bx.1'));
      expect(res.statusCode).toBe(202);
      expect(originated).toEqual([
        { channelId: res.json().channelId, employeeExtension: '101', clientNumber: '+4930555', clientNumberInternational: null, lineNumber: 'main', bitrixCallId: 'externalCall.bx.1', context: 'from-internal' },
      ]);
      // Bitrix24 repeats events: the call is placed once.
      expect((await post(app, form('externalCall.bx.1'))).json()).toMatchObject({ duplicate: true });
      expect(originated).toHaveLength(1);

      fake.calls.set('externalCall.bx.1', { callId: 'externalCall.bx.1', externalCallId: null, register: {}, registeredAtMs: Date.now(), finish: null, shownTo: [], hiddenFor: [], record: null, transcription: null });
      const snaps = placedCall(res.json().channelId);
      h.crm.worker.start();
      await h.feed(snaps);
      await drained(h.store);
      expect(fake.served('telephony.externalcall.register')).toHaveLength(0);
      expect(fake.calls.get('externalCall.bx.1')!.finish).toMatchObject({ USER_ID: 11, STATUS_CODE: '200', DURATION: 30 });
      const [link] = await getCrmLinks(h.store.sql, snaps[0]!.id);
      expect(link).toMatchObject({ externalCallId: 'externalCall.bx.1', data: { origin: 'click_to_call' } });
    });

    it('refuses a wrong application_token and names a malformed event', async () => {
      const { app } = await setup();
      const bad = await post(app, form('externalCall.bx.2', 'forged'));
      expect(bad.statusCode).toBe(401);
      const broken = await post(app, `event=ONEXTERNALCALLSTART&auth[application_token]=${APP_TOKEN}`);
      expect(broken.statusCode).toBe(400);
      expect(broken.json().message).toMatch(/CALL_ID/);
      expect(originated).toEqual([]);
      const other = await post(app, `event=ONAPPINSTALL&auth[application_token]=${APP_TOKEN}`);
      expect(other.json()).toMatchObject({ ignored: 'ONAPPINSTALL' });
    });

    it.each([
      ['cannot be reached', new Error('connect ECONNREFUSED'), '503', 'the PBX could not be reached'],
      [
        'refuses the originate',
        new AppError(ERROR_CODES.ARI_REQUEST_FAILED, 'ARI POST /ari/channels failed: 404 Endpoint not found', { details: { status: 404, ariMessage: 'Endpoint not found' } }),
        'OTHER',
        'the PBX refused the call (404 Endpoint not found)',
      ],
    ] as const)('finishes the Bitrix24 call as failed when the PBX %s', async (_why, error, code, reason) => {
      const { h, app, fake } = await setup();
      failOriginate = error;
      fake.calls.set('externalCall.bx.3', { callId: 'externalCall.bx.3', externalCallId: null, register: {}, registeredAtMs: Date.now(), finish: null, shownTo: [], hiddenFor: [], record: null, transcription: null });
      h.crm.worker.start();
      const res = await post(app, form('externalCall.bx.3'));
      expect(res.statusCode).toBe(503);
      await waitFor(() => fake!.calls.get('externalCall.bx.3')!.finish, 'the failed finish');
      expect(fake.calls.get('externalCall.bx.3')!.finish).toMatchObject({ USER_ID: 11, STATUS_CODE: code, DURATION: 0, FAILED_REASON: reason });
    });

    it.each([
      ['no PBX is configured', { pbx: false }, '11', 503, '503', /no PBX connection is configured/],
      ['the employee has no extension', {}, '99', 400, 'OTHER', /user 99 has no extension/],
    ] as const)('finishes the Bitrix24 call with a failure code and reason when %s', async (_why, options, userId, status, code, reason) => {
      const { h, app, fake } = await setup(options);
      const bitrixCallId = `externalCall.bx.${userId}`;
      fake.calls.set(bitrixCallId, { callId: bitrixCallId, externalCallId: null, register: {}, registeredAtMs: Date.now(), finish: null, shownTo: [], hiddenFor: [], record: null, transcription: null });
      h.crm.worker.start();
      const res = await post(app, form(bitrixCallId, APP_TOKEN, userId));
      expect(res.statusCode).toBe(status);
      const finish = await waitFor(() => fake.calls.get(bitrixCallId)!.finish, 'the failed finish');
      expect(finish).toMatchObject({ USER_ID: Number(userId), STATUS_CODE: code, DURATION: 0 });
      expect(String(finish.FAILED_REASON)).toMatch(reason);
      expect(originated).toEqual([]);
      // Bitrix24 repeats events: the call is finished once, nothing is placed later.
      expect((await post(app, form(bitrixCallId, APP_TOKEN, userId))).json()).toMatchObject({ duplicate: true });
      await drained(h.store);
      expect(fake.served('telephony.externalcall.finish')).toHaveLength(1);
    });
  });
});
