import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../app/logger.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { sealSecret } from '../../tenants/secret-box.ts';
import { PjsipProvisioner, type DynamicConfigApi } from './provisioner.ts';
import type { CredentialRow } from './sip-credentials.ts';

// The provisioner over a fake database (rows of extensions) and fake ARI servers that record what they are told.

const KEY = Buffer.alloc(32, 7);

type Row = CredentialRow;

function fakeSql(rows: Row[]): SqlClient {
  return {
    query: async (text: string, params: unknown[] = []) => {
      if (text.includes('WHERE tenant_id = $1 AND id = $2')) return rows.filter((r) => r.tenant_id === params[0] && r.id === params[1]);
      return [...rows];
    },
  } as unknown as SqlClient;
}

function fakeServer(fail = false): DynamicConfigApi & { log: string[]; objects: Map<string, Record<string, string>> } {
  const objects = new Map<string, Record<string, string>>();
  const log: string[] = [];
  return {
    log,
    objects,
    async putDynamicConfig(_c, type, id, fields) {
      if (fail) throw new AppError(ERROR_CODES.ARI_REQUEST_FAILED, `ARI PUT ${type}/${id} failed: 500`);
      log.push(`put ${type} ${id}`);
      objects.set(`${type}/${id}`, Object.fromEntries(fields.map((f) => [f.attribute, f.value])));
    },
    async deleteDynamicConfig(_c, type, id) {
      log.push(`delete ${type} ${id}`);
      return objects.delete(`${type}/${id}`);
    },
  };
}

const row = (over: Partial<Row>): Row => ({
  id: 'ext_1',
  tenant_id: 't1',
  number: '201',
  name: 'Anna',
  endpoint: 'acme-201',
  caller_id_name: null,
  enabled: true,
  sip_password_sealed: sealSecret('secret-password-0123456789', KEY),
  ...over,
});

function provisioner(rows: Row[]) {
  return new PjsipProvisioner({ sql: fakeSql(rows), secretsKey: KEY, options: { context: 'callflow-phones', transport: null }, logger: silentLogger() });
}

describe('PjsipProvisioner', () => {
  it('pushes an enabled extension to every server with its opened password, and removes it once gone', async () => {
    const rows = [row({})];
    const p = provisioner(rows);
    const [a, b] = [fakeServer(), fakeServer()];
    p.addServer('a', a);
    p.addServer('b', b);
    p.extensionChanged('t1', 'ext_1', 'acme-201');
    await p.idle();
    for (const s of [a, b]) {
      expect(s.log).toEqual(['put auth acme-201', 'put aor acme-201', 'put endpoint acme-201']);
      expect(s.objects.get('auth/acme-201')).toMatchObject({ username: 'acme-201', password: 'secret-password-0123456789' });
    }
    rows.length = 0;
    p.extensionChanged('t1', 'ext_1', 'acme-201');
    await p.idle();
    expect(a.log.slice(3)).toEqual(['delete endpoint acme-201', 'delete aor acme-201', 'delete auth acme-201']);
    expect(a.objects.size).toBe(0);
    expect(p.lastOutcome('a', 'acme-201')).toBe('removed');
  });

  it('removes a disabled extension, and skips one without a stored password (counted as a failure)', async () => {
    const p = provisioner([row({ enabled: false }), row({ id: 'ext_2', endpoint: 'acme-202', number: '202', sip_password_sealed: null })]);
    const a = fakeServer();
    p.addServer('a', a);
    expect(await p.syncServer('a')).toEqual({ pushed: 0, removed: 1, failed: 1 });
    expect(a.log).toEqual(['delete endpoint acme-201', 'delete aor acme-201', 'delete auth acme-201']);
    expect(p.failures).toBe(1);
  });

  it('pushes every extension when a server connects; failures are counted and never thrown', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row({ id: `ext_${i}`, number: `${300 + i}`, endpoint: `acme-${300 + i}` }));
    const p = provisioner(rows);
    const good = fakeServer();
    const bad = fakeServer(true);
    p.addServer('good', good);
    p.addServer('bad', bad);
    p.connected('good');
    p.connected('bad');
    await p.idle();
    expect(good.objects.size).toBe(30);
    expect(p.failures).toBe(10);
    expect(p.lastOutcome('bad', 'acme-300')).toBe('failed');
  });

  it('runs the work on one endpoint in order: a push then a removal ends removed', async () => {
    const rows = [row({})];
    const p = provisioner(rows);
    const a = fakeServer();
    p.addServer('a', a);
    p.connected('a');
    rows.length = 0;
    p.extensionChanged('t1', 'ext_1', 'acme-201');
    await p.idle();
    expect(a.objects.size).toBe(0);
  });
});
