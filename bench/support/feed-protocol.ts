import type { TrafficOptions } from '../../src/sim/traffic.ts';

// Messages between a benchmark and its fake-Asterisk process (bench/fake-asterisk-process.ts).

export type FeedCommand =
  | {
      cmd: 'stream';
      traffic: Partial<TrafficOptions>;
      /** Events to send at most. */
      maxEvents: number;
      /** Offered rate; null sends as fast as the socket takes them. */
      ratePerSec: number | null;
      /** Stops sending after this long; null sends all `maxEvents`. */
      durationMs: number | null;
    }
  | { cmd: 'stop' };

export type FeedMessage =
  | { type: 'ready'; url: string }
  | { type: 'done'; sent: number; bytes: number; elapsedMs: number; blockedMs: number; longestStallMs: number }
  | { type: 'error'; message: string };
