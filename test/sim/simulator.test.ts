import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.ts';
import { channelsIn, type RawEvent } from '../../src/sim/ari-json.ts';
import { Simulator, type SimClock, type SimulatorOptions } from '../../src/sim/simulator.ts';

/** A clock the test moves by hand; timers fire in due order as time passes. */
class ManualClock implements SimClock {
  private timers: Array<{ at: number; fn: () => void }> = [];

  constructor(private nowMs: number) {}

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const timer = { at: this.nowMs + delayMs, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fn();
    }
    this.nowMs = end;
  }
}

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function run(seed: number, seconds: number, over: Partial<SimulatorOptions> = {}) {
  const clock = new ManualClock(T0);
  const sent: Array<{ text: string; at: number }> = [];
  const sim = new Simulator({
    seed,
    callsPerSecond: 2,
    withChannelvars: true,
    clock,
    sink: (text, receivedAt) => sent.push({ text, at: receivedAt.getTime() }),
    ...over,
  });
  sim.start();
  for (let i = 0; i < seconds; i++) clock.advance(1000);
  return { sim, clock, sent };
}

describe('Simulator', () => {
  it('is deterministic given the seed and the clock', () => {
    const a = run(3, 90).sent;
    expect(a.length).toBeGreaterThan(1000);
    expect(run(3, 90).sent).toEqual(a);
    expect(run(4, 90).sent.slice(0, 50)).not.toEqual(a.slice(0, 50));
  });

  it('sends each event at its time, with a realistic mix of calls', () => {
    const { sent, sim } = run(5, 120);
    const events = sent.map((s) => JSON.parse(s.text) as RawEvent);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(T0);
    expect(sent.every((s, i) => i === 0 || s.at >= sent[i - 1]!.at)).toBe(true);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['StasisStart', 'Dial', 'ChannelEnteredBridge', 'ChannelDestroyed']) expect(types).toContain(t);
    const stats = sim.stats();
    expect(stats.callsStarted).toBeGreaterThan(160);
    expect(stats.callsStarted).toBeLessThan(330);
    expect(stats.callsFinished).toBeGreaterThan(100);
    // answered calls talk 5-60 s, so calls are still in progress at the end
    expect(stats.callsStarted - stats.callsFinished).toBeGreaterThan(5);
    // uniqueids of the calls carry the simulated clock's seconds
    const created = events.find((e) => e.type === 'ChannelCreated');
    expect(String((created?.channel as { id: string }).id).split('.')[0]).toBe(String(T0 / 1000));
  });

  it('lists exactly the channels that are alive, like GET /channels', () => {
    const clock = new ManualClock(T0);
    const alive = new Set<string>();
    const sim = new Simulator({
      seed: 8,
      callsPerSecond: 3,
      withChannelvars: false,
      clock,
      sink: (text) => {
        const e = JSON.parse(text) as RawEvent;
        const ch = channelsIn(e)[0];
        if (e.type === 'ChannelCreated' && ch) alive.add(ch.id);
        if (e.type === 'ChannelDestroyed' && ch) alive.delete(ch.id);
      },
    });
    sim.start();
    for (let i = 0; i < 12; i++) {
      clock.advance(7_300);
      const listed = sim.listChannels();
      expect(new Set(listed.map((c) => c.id))).toEqual(alive);
      for (const c of listed) expect(c).toMatchObject({ name: expect.any(String), state: expect.any(String) });
    }
    expect(alive.size).toBeGreaterThan(0);
    for (const bridge of sim.listBridges()) expect(bridge.id).toMatch(/^[0-9a-f-]{36}$/);
    sim.stop();
  });

  it('stops sending when stopped and leaves no timer behind', () => {
    const { sim, clock, sent } = run(9, 20);
    sim.stop();
    expect(sim.isRunning).toBe(false);
    expect(clock.pending).toBe(0);
    const before = sent.length;
    clock.advance(60_000);
    expect(sent.length).toBe(before);
  });

  it('survives a sink that throws and reports it', () => {
    const errors: unknown[] = [];
    const { sim } = run(10, 30, {
      sink: () => {
        throw new Error('sink down');
      },
      onError: (e) => errors.push(e),
    });
    const stats = sim.stats();
    expect(stats.eventsSent).toBeGreaterThan(100);
    expect(stats.sinkErrors).toBe(stats.eventsSent);
    expect(errors).toHaveLength(stats.eventsSent);
    sim.stop();
  });

  it('runs on real timers for a short while and then goes quiet', async () => {
    let count = 0;
    const sim = new Simulator({ seed: 1, callsPerSecond: 40, withChannelvars: false, sink: () => count++ });
    sim.start();
    await sleep(300);
    sim.stop();
    const atStop = count;
    expect(atStop).toBeGreaterThan(0);
    await sleep(150);
    expect(count).toBe(atStop);
  });

  it('rejects a bad rate with a configuration error', () => {
    for (const callsPerSecond of [0, -1, Number.NaN, 1e9]) {
      let error: unknown;
      try {
        new Simulator({ seed: 1, callsPerSecond, withChannelvars: false, sink: () => {} });
      } catch (e) {
        error = e;
      }
      expect(isAppError(error) && error.code).toBe('CF_CONFIG_INVALID');
    }
  });
});
