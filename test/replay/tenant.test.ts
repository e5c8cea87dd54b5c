import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayLines } from '../../src/app/replay.ts';
import type { Engine } from '../../src/app/engine.ts';
import { TenantDirectory } from '../../src/tenants/tenant-directory.ts';
import type { TenantRuleSet } from '../../src/tenants/resolve-tenant.ts';
import { engineOn } from '../support/engine-on-store.ts';
import { traceEvents } from '../support/fixtures.ts';
import { storeKinds, useTestStore } from '../support/test-store.ts';

// Recorded traces under tenant rules: a call is its first channel's tenant, stored as such, and a rebuild from
// its stored events with the same rules says the same. h_sipp_inbound_stasis is founded by PJSIP/sipp in
// context from-sip; c_dial_answered by a Local channel in from-test that dials one in callee-side.

const SIPP_CALL = '1795234416.249';
const DIAL_CALL = '1795234265.6';

const rules: TenantRuleSet = {
  rules: [
    { tenantId: 'acme', match: { endpoint: 'sipp', context: 'from-sip' } },
    // The context of the channels c_dial_answered dials: they join a call another channel founded.
    { tenantId: 'globex', match: { context: 'callee-side' } },
  ],
  numbers: new Map(),
};

const lines = (name: string): string[] => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ari', `${name}.jsonl`), 'utf8').split('\n');

describe('tenants of replayed traces', () => {
  it('gives each call its first channel’s tenant', () => {
    const { tenantOf } = new TenantDirectory(rules);
    const [sipp] = replayLines(lines('h_sipp_inbound_stasis'), undefined, 'pbx-a', undefined, tenantOf).calls;
    expect(sipp).toMatchObject({ id: SIPP_CALL, tenantId: 'acme' });
    const [dial] = replayLines(lines('c_dial_answered'), undefined, 'pbx-a', undefined, tenantOf).calls;
    expect(dial!.legs.map((l) => l.context)).toContain('callee-side');
    expect(dial).toMatchObject({ id: DIAL_CALL, tenantId: 'default' });
  });

  it('gives every call the default tenant without rules', () => {
    for (const name of ['h_sipp_inbound_stasis', 'c_dial_answered']) {
      expect(replayLines(lines(name)).calls.map((c) => c.tenantId)).toEqual(['default']);
    }
  });
});

describe.each(storeKinds())('tenants stored and rebuilt (%s store)', (kind) => {
  const testStore = useTestStore(kind);
  let engine: Engine;
  let tenants: TenantDirectory;

  beforeEach(async () => {
    tenants = new TenantDirectory(rules);
    engine = engineOn(testStore().store, { tenantOf: tenants.tenantOf }).engine;
    await engine.start();
  });
  afterEach(async () => {
    await engine.stop();
  });

  it('stores the call as its tenant’s, and a rebuild with the same rules gives the same record', async () => {
    await engine.inject(traceEvents('h_sipp_inbound_stasis'), 'pbx-a');
    const store = testStore().store;
    expect(await store.getCall(SIPP_CALL)).toMatchObject({ status: 'finished', tenantId: 'acme' });
    expect((await store.listCalls({ tenantId: 'acme', server: 'pbx-a' }, null, 10)).items.map((c) => c.id)).toEqual([SIPP_CALL]);
    const rebuilt = await engine.rebuild(SIPP_CALL);
    expect(rebuilt.record.tenantId).toBe('acme');
    expect(rebuilt.identical).toBe(true);

    // Rules changed since: the stored call keeps its tenant, a rebuild decides again with the rules of now.
    tenants.replace({ rules: [], numbers: new Map() });
    expect((await store.getCall(SIPP_CALL))?.tenantId).toBe('acme');
    const underNewRules = await engine.rebuild(SIPP_CALL);
    expect(underNewRules.record.tenantId).toBe('default');
    expect(underNewRules.identical).toBe(false);
  });

  it('keeps the tenant of a call still open at a restart, whatever the rules of the next run', async () => {
    const events = traceEvents('c_dial_answered');
    const hangup = events.findIndex((e) => e.type === 'ChannelHangupRequest' || e.type === 'ChannelDestroyed');
    tenants.replace({ rules: [{ tenantId: 'acme', match: { context: 'from-test' } }], numbers: new Map() });
    await engine.inject(events.slice(0, hangup), 'pbx-b');
    const store = testStore().store;
    expect(await store.getCall(DIAL_CALL)).toMatchObject({ status: 'answered', tenantId: 'acme' });
    await engine.stop();

    engine = engineOn(store, { tenantOf: new TenantDirectory().tenantOf }).engine;
    await engine.start();
    await engine.inject(events.slice(hangup), 'pbx-b');
    expect(await store.getCall(DIAL_CALL)).toMatchObject({ status: 'finished', tenantId: 'acme' });
  });
});
