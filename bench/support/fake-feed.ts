import type { ChildProcess } from 'node:child_process';
import type { TrafficOptions } from '../../src/sim/traffic.ts';
import type { FeedCommand, FeedMessage } from './feed-protocol.ts';
import { endChild, forkTsx, nextMessage } from './spawn-tsx.ts';

// The benchmark's side of the fake-Asterisk process.

const PROCESS = new URL('../fake-asterisk-process.ts', import.meta.url);

export type FeedResult = Extract<FeedMessage, { type: 'done' }>;

export class FakeFeed {
  private constructor(
    private readonly child: ChildProcess,
    /** Base URL for the engine's ARI server config. */
    readonly url: string,
  ) {}

  static async start(): Promise<FakeFeed> {
    const child = forkTsx(PROCESS);
    try {
      const ready = await nextMessage(child, (m) => ((m as FeedMessage).type === 'ready' ? (m as Extract<FeedMessage, { type: 'ready' }>) : undefined), 20_000, 'fake Asterisk');
      return new FakeFeed(child, ready.url);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** The fake's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Renders and frames the first `events` of `traffic` ahead of a flat-out stream of it (see the fake's process). */
  prepare(traffic: Partial<TrafficOptions>, events: number, timeoutMs: number): Promise<Extract<FeedMessage, { type: 'prepared' }>> {
    return this.ask({ cmd: 'prepare', traffic, events }, 'prepared', timeoutMs);
  }

  /** Starts streaming; the promise resolves when the fake has sent everything it was asked to. */
  stream(command: Omit<Extract<FeedCommand, { cmd: 'stream' }>, 'cmd'>, timeoutMs: number): Promise<FeedResult> {
    return this.ask({ cmd: 'stream', ...command }, 'done', timeoutMs);
  }

  /** Sends a command and waits for its answer; an error the fake reports rejects. */
  private ask<T extends FeedMessage['type']>(command: FeedCommand, answer: T, timeoutMs: number): Promise<Extract<FeedMessage, { type: T }>> {
    const done = nextMessage(
      this.child,
      (m) => {
        const message = m as FeedMessage;
        if (message.type === 'error') throw new Error(`fake Asterisk: ${message.message}`);
        return message.type === answer ? (message as Extract<FeedMessage, { type: T }>) : undefined;
      },
      timeoutMs,
      `fake Asterisk ${command.cmd}`,
    );
    this.child.send(command);
    return done;
  }

  stopStreaming(): void {
    if (this.child.connected) this.child.send({ cmd: 'stop' } satisfies FeedCommand);
  }

  close(): Promise<void> {
    return endChild(this.child);
  }
}
