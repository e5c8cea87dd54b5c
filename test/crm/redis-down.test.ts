import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { until } from '../support/app-against-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { Writable } from 'node:stream';

// Redis shares the CRM rate limits between instances; when it cannot be reached, deliveries go on with each
// instance's own bucket (and say so) instead of failing until Redis is back. Before, every delivery failed
// with ioredis' MaxRetriesPerRequestError and the process printed unhandled 'error' events.

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('CRM deliveries while Redis is unreachable', () => {
  const receiver = new WebhookReceiver('whsec-redis-down-1');
  const lines: string[] = [];
  let app: App;

  beforeAll(async () => {
    await receiver.start();
    const config = loadConfig({
      env: {
        CALLFLOW_DATA_DIR: 'memory://',
        SIMULATOR: 'off',
        REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
        WEBHOOK_URLS: receiver.url,
        WEBHOOK_SECRET: 'whsec-redis-down-1',
        OUTBOX_SETTLE_MS: '0',
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    app = await createApp(config, createLogger('warn', sink));
    await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await receiver.close();
  });

  it('delivers every change with the instance’s own bucket, and says Redis is unreachable', async () => {
    const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { server: 'rec', events: traceEvents('d1_dial_busy') } });
    expect(res.statusCode).toBe(202);
    await until(() => receiver.accepted().some((r) => r.body.type === 'call.finished'), 30_000, 'the call.finished webhook');
    expect(receiver.accepted().map((r) => r.body.type)).toEqual(['call.created', 'call.finished']);
    expect(lines.some((l) => l.includes('CRM rate limits are kept per instance'))).toBe(true);
  }, 60_000);
});
