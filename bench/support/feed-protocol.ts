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
  | {
      /** Renders and frames the first `events` of this traffic now; the next flat-out stream of it sends them first. */
      cmd: 'prepare';
      traffic: Partial<TrafficOptions>;
      events: number;
    }
  | { cmd: 'stop' };

export type FeedMessage =
  | { type: 'ready'; url: string }
  | { type: 'prepared'; events: number; bytes: number; ms: number }
  | { type: 'done'; sent: number; bytes: number; elapsedMs: number; blockedMs: number; longestStallMs: number }
  | { type: 'error'; message: string };
