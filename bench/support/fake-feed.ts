import type { ChildProcess } from 'node:child_process';
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

  /** Starts streaming; the promise resolves when the fake has sent everything it was asked to. */
  stream(command: Omit<Extract<FeedCommand, { cmd: 'stream' }>, 'cmd'>, timeoutMs: number): Promise<FeedResult> {
    const done = nextMessage(
      this.child,
      (m) => {
        const message = m as FeedMessage;
        if (message.type === 'error') throw new Error(`fake Asterisk: ${message.message}`);
        return message.type === 'done' ? message : undefined;
      },
      timeoutMs,
      'fake Asterisk stream',
    );
    this.child.send({ cmd: 'stream', ...command } satisfies FeedCommand);
    return done;
  }

  stopStreaming(): void {
    if (this.child.connected) this.child.send({ cmd: 'stop' } satisfies FeedCommand);
  }

  close(): Promise<void> {
    return endChild(this.child);
  }
}
