import WebSocket from 'ws';
import { sleep } from './stats.ts';

// Watches calls become visible through the real HTTP API. Arrival times come from the engine's own
// ARI connection (the tap sees each frame as it arrives); visibility is observed from outside:
//  - /api/live: `call.created` is timed from the arrival of the call's first event, `call.finished`
//    from the arrival of its last ChannelDestroyed (the event that finishes it);
//  - GET /api/calls/:id: for one call in `pollEvery`, polled from its first event's arrival until it
//    answers 200; the time is taken when that answer arrives (an upper bound by at most one poll).
// Only events that arrive inside the measuring window count.

interface ChannelLike {
  channelvars?: Record<string, unknown>;
}

function linkedIdOf(event: Record<string, unknown>): string | null {
  for (const key of ['channel', 'peer', 'caller']) {
    const linked = (event[key] as ChannelLike | undefined)?.channelvars?.['CHANNEL(linkedid)'];
    if (typeof linked === 'string' && linked !== '') return linked;
  }
  return null;
}

const POLL_INTERVAL_MS = 5;
const POLL_GIVE_UP_MS = 10_000;

export class VisibilityProbe {
  readonly liveCreatedMs: number[] = [];
  readonly liveFinishedMs: number[] = [];
  readonly getMs: number[] = [];
  getTimeouts = 0;
  private readonly firstArrival = new Map<string, number>();
  private readonly lastDestroyed = new Map<string, number>();
  private readonly polls = new Set<Promise<void>>();
  private newCalls = 0;
  private windowStartMs = Infinity;
  private windowEndMs = Infinity;
  private socket: WebSocket | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly pollEvery: number,
  ) {}

  /** Opens /api/live; resolves once its snapshot arrived. */
  async connect(): Promise<void> {
    const socket = new WebSocket(`${this.baseUrl.replace('http', 'ws')}/api/live`);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; call?: { id: string } };
        if (message.type === 'snapshot') resolve();
        else this.onLive(message.type, message.call?.id ?? '');
      });
    });
  }

  setWindow(startMs: number, endMs: number): void {
    this.windowStartMs = startMs;
    this.windowEndMs = endMs;
  }

  private inWindow(ms: number | undefined): ms is number {
    return ms !== undefined && ms >= this.windowStartMs && ms <= this.windowEndMs;
  }

  private onLive(type: string, callId: string): void {
    const now = Date.now();
    if (type === 'call.created') {
      const arrived = this.firstArrival.get(callId);
      if (this.inWindow(arrived)) this.liveCreatedMs.push(now - arrived);
    } else if (type === 'call.finished') {
      const arrived = this.lastDestroyed.get(callId);
      if (this.inWindow(arrived)) this.liveFinishedMs.push(now - arrived);
      this.firstArrival.delete(callId);
      this.lastDestroyed.delete(callId);
    }
  }

  /** The engine's tap: called with every frame as it arrives. */
  readonly tap = (text: string, receivedAt: Date): void => {
    const event = JSON.parse(text) as Record<string, unknown>;
    const callId = linkedIdOf(event);
    if (callId === null) return;
    const arrived = receivedAt.getTime();
    if (!this.firstArrival.has(callId)) {
      this.firstArrival.set(callId, arrived);
      if (this.inWindow(arrived) && this.newCalls++ % this.pollEvery === 0) this.track(this.pollUntilVisible(callId, arrived));
    }
    if (event.type === 'ChannelDestroyed') this.lastDestroyed.set(callId, arrived);
  };

  private track(poll: Promise<void>): void {
    this.polls.add(poll);
    void poll.finally(() => this.polls.delete(poll));
  }

  private async pollUntilVisible(callId: string, arrived: number): Promise<void> {
    const url = `${this.baseUrl}/api/calls/${encodeURIComponent(callId)}`;
    while (Date.now() - arrived < POLL_GIVE_UP_MS) {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) {
        this.getMs.push(Date.now() - arrived);
        return;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    this.getTimeouts++;
  }

  async close(): Promise<void> {
    await Promise.all([...this.polls]);
    this.socket?.terminate();
  }
}
