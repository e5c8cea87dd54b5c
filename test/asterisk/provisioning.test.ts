import { describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../../src/ari/rest.ts';
import { asteriskSkipReason, skipNote, useAsteriskE2E } from './support/e2e-env.ts';
import { runSipp } from './support/sipp.ts';
import { until } from './support/wait.ts';

// Provisioning on a real Asterisk (docs/routing.md, "Provisioning"): an extension created through the API
// becomes a PJSIP endpoint by ARI push configuration (the test Asterisk's sorcery.conf gives endpoints, auths
// and AORs a memory wizard beside pjsip.conf), a phone (sipp) registers it with the password the API showed once
// and is refused with another, the endpoint comes back after Asterisk restarts and the engine reconnects, and
// goes away with the extension.

type Inject = (o: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }) => Promise<{
  statusCode: number;
  json(): unknown;
  body: string;
}>;

describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, provisioning of extensions${skipNote}`, () => {
  const e2e = useAsteriskE2E({ linkedidChannelvar: false });

  async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T }> {
    const inject = e2e().engine.app.server.inject.bind(e2e().engine.app.server) as unknown as Inject;
    // Open on loopback (no users, no keys): the caller is the operator, who names the tenant.
    const res = await inject({ method, url, headers: { 'x-tenant-id': 'default' }, ...(payload === undefined ? {} : { payload }) });
    return { status: res.statusCode, body: (res.body === '' ? null : res.json()) as T };
  }

  /** The endpoint as Asterisk's ARI shows it, or null (404). */
  async function endpointOnAsterisk(name: string): Promise<{ resource: string; state: string } | null> {
    const { asterisk } = e2e();
    const res = await fetch(`${asterisk.ariUrl}/ari/endpoints/PJSIP/${encodeURIComponent(name)}`, { headers: { authorization: basicAuthHeader(asterisk.ariUser, asterisk.ariPassword) } });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET endpoint ${name}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { resource: string; state: string };
  }

  async function register(endpoint: string, password: string, scenario: 'register.xml' | 'register_refused.xml'): Promise<{ code: number | null; output: string }> {
    const run = await runSipp({ scenario: { file: scenario }, target: e2e().sipTarget, service: endpoint, calls: 1, extra: ['-au', endpoint, '-ap', password], timeoutMs: 15_000 });
    return run.done;
  }

  it(
    'creates the endpoint on Asterisk, lets the phone register with its one-time password only, pushes it again after a restart, removes it with the extension',
    async () => {
      const { asterisk } = e2e();
      const created = await api<{ id: string; endpoint: string; sipPassword: string }>('POST', '/api/routing/extensions', { number: '150', name: 'Pat Provisioned' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { id, endpoint, sipPassword } = created.body;
      expect(endpoint).toBe('default-150');
      expect(sipPassword.length).toBeGreaterThanOrEqual(20);

      await until(async () => (await endpointOnAsterisk(endpoint)) !== null, 20_000, 'the endpoint to be pushed to Asterisk');
      await until(async () => (await api<{ provisioned: boolean }>('GET', `/api/routing/extensions/${id}/provisioning`)).body.provisioned, 20_000, 'the API to say provisioned');
      expect((await api('GET', `/api/routing/extensions/${id}/provisioning`)).body).toEqual({ id, endpoint, enabled: true, hasSipPassword: true, provisioned: true, servers: [{ server: 'ast', state: 'pushed' }] });
      const shown = await asterisk.cli(`pjsip show endpoint ${endpoint}`);
      expect(shown).toMatch(/context\s+:\s+callflow-phones/);
      expect(shown).toMatch(/callerid\s+:\s+"Pat Provisioned" <150>/);

      const ok = await register(endpoint, sipPassword, 'register.xml');
      expect(ok.code, ok.output.slice(-2000)).toBe(0);
      await until(async () => (await asterisk.cli(`pjsip show contacts`)).includes(`${endpoint}/sip:${endpoint}@127.0.0.1`), 10_000, 'the registered contact');
      const refused = await register(endpoint, `${sipPassword}x`, 'register_refused.xml');
      expect(refused.code, refused.output.slice(-2000)).toBe(0);

      // A name change is pushed again (an update of the objects in place).
      const renamed = await api('PUT', `/api/routing/extensions/${id}`, { number: '150', name: 'Pat Renamed' });
      expect(renamed.status).toBe(200);
      await until(async () => /callerid\s+:\s+"Pat Renamed" <150>/.test(await asterisk.cli(`pjsip show endpoint ${endpoint}`)), 20_000, 'the new caller id on Asterisk');

      // A disabled extension has no endpoint; enabled again, it is back.
      expect((await api('PUT', `/api/routing/extensions/${id}`, { number: '150', name: 'Pat Renamed', enabled: false })).status).toBe(200);
      await until(async () => (await endpointOnAsterisk(endpoint)) === null, 20_000, 'the disabled extension\'s endpoint to be removed');
      await until(async () => (await api<{ servers: { state: string }[] }>('GET', `/api/routing/extensions/${id}/provisioning`)).body.servers[0]?.state === 'removed', 20_000, 'the API to say removed');
      expect((await api<{ provisioned: boolean }>('GET', `/api/routing/extensions/${id}/provisioning`)).body.provisioned).toBe(false);
      expect((await api('PUT', `/api/routing/extensions/${id}`, { number: '150', name: 'Pat Renamed', enabled: true })).status).toBe(200);
      await until(async () => (await endpointOnAsterisk(endpoint)) !== null, 20_000, 'the enabled extension\'s endpoint to be pushed');

      // Asterisk's memory wizard forgets at a restart; the engine pushes every extension when it reconnects.
      await asterisk.kill();
      await asterisk.start();
      expect(await endpointOnAsterisk(endpoint)).toBeNull();
      await until(async () => (await endpointOnAsterisk(endpoint)) !== null, 45_000, 'the endpoint to be pushed again after the restart');
      const again = await register(endpoint, sipPassword, 'register.xml');
      expect(again.code, again.output.slice(-2000)).toBe(0);

      expect((await api('DELETE', `/api/routing/extensions/${id}`)).status).toBe(204);
      await until(async () => (await endpointOnAsterisk(endpoint)) === null, 20_000, 'the endpoint to be removed from Asterisk');
      expect(await asterisk.cli(`pjsip show aors`)).not.toContain(endpoint);
    },
    90_000,
  );
});
