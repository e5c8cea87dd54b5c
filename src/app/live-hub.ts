import type { LiveMessage } from './pipeline.ts';

// Fan-out of committed call changes to live subscribers (the /api/live WebSocket, the dashboard).
// A slow subscriber is the subscriber's problem: it gets every message, and the WebSocket adapter
// drops a client whose send buffer grows past its limit.

export type LiveListener = (message: LiveMessage) => void;

export class LiveHub {
  private readonly listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  publish(messages: readonly LiveMessage[]): void {
    if (messages.length === 0 || this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      for (const m of messages) {
        try {
          listener(m);
        } catch {
          // One broken subscriber must not stop the others.
        }
      }
    }
  }
}
