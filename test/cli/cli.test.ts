import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR } from '../support/fixtures.ts';
import { BIN, freePort, runCallflow, waitFor, type Running } from '../support/processes.ts';

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
}

describe('callflow --version', () => {
  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });
});

describe('callflow replay', () => {
  it('prints one JSON call record per call', () => {
    const r = cli(['replay', join(FIXTURE_DIR, 'c_dial_answered.jsonl'), '--json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const call = JSON.parse(lines[0]!);
    expect(call).toMatchObject({ id: '1795234265.6', status: 'finished', disposition: 'answered', legs: expect.any(Array) });
  });

  it('reads plain event lines from stdin and reports unreadable lines without losing the rest', () => {
    const events = readFileSync(join(FIXTURE_DIR, 'd1_dial_busy.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.stringify(JSON.parse(l).event));
    const input = ['{"broken', ...events.slice(0, 5), '42', ...events.slice(5)].join('\n');
    const r = cli(['replay', '-', '--json'], input);
    // Documented: 2 when lines could not be read, the records of the others printed all the same.
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('2 line(s) could not be read');
    expect(r.stderr).toContain('line 1: not valid JSON');
    expect(r.stderr).toContain('line 7: expected a JSON object');
    const call = JSON.parse(r.stdout.trim());
    expect(call.disposition).toBe('busy');
  });

  it('exits 2 for a line that is JSON but not an ARI event, and 0 when every line was read', () => {
    const events = readFileSync(join(FIXTURE_DIR, 'd1_dial_busy.jsonl'), 'utf8').trim().split('\n');
    const bad = cli(['replay', '-'], [...events, '{"type":"ChannelCreated","channel":{"name":"no id"}}', ''].join('\n'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`line ${events.length + 1}:`);
    expect(JSON.parse(bad.stdout.trim()).disposition).toBe('busy');
    const good = cli(['replay', '-'], [...events, ''].join('\n'));
    expect(good.status).toBe(0);
    expect(good.stderr).toBe('');
  });

  it('fails clearly on a missing file', () => {
    const r = cli(['replay', '/nonexistent/trace.jsonl']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ENOENT|no such file/);
  });
});

describe('callflow start with nothing configured', () => {
  const running: Running[] = [];
  afterAll(async () => {
    for (const r of running) {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  });

  it('runs the simulator on the embedded database and shows calls in the API', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cf-start-'));
    const port = await freePort();
    const r = runCallflow(['start', '--port', String(port), '--host', '127.0.0.1'], { CALLFLOW_DATA_DIR: dataDir, SIMULATOR_CALLS_PER_SECOND: '2' });
    running.push(r);
    const calls = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/calls`);
      const body = (await res.json()) as { items: unknown[] };
      return body.items.length > 0 ? body.items : undefined;
      // A bound, not a speed: a fresh embedded database takes a few seconds to start, far longer on a busy machine.
    }, 60_000);
    expect(calls.length).toBeGreaterThan(0);
    expect(r.output()).toContain('SIMULATED');
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);

    // a second engine on the same data folder is refused
    const second = runCallflow(['start', '--port', String(await freePort())], { CALLFLOW_DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('CF_DATA_DIR_LOCKED');

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);

    // the stored calls can be rebuilt from their events by the command
    const stored = cli(['migrate', '--data-dir', dataDir]);
    expect(stored.status).toBe(0);
    const id = (calls[0] as { id: string }).id;
    const rebuilt = cli(['rebuild', id, '--data-dir', dataDir]);
    expect(rebuilt.stderr).toContain('identical');
    expect(JSON.parse(rebuilt.stdout).id).toBe(id);
  }, 120_000);

  it('refuses a broken configuration with every problem named', async () => {
    const r = runCallflow(['start'], { PORT: 'eighty', ARI_URL: 'not-a-url', ARI_PASSWORD: 'hunter2-secret' });
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain('http.port');
    expect(r.output()).toContain('ari.servers.0.url');
    expect(r.output()).not.toContain('hunter2-secret');
  });
});
