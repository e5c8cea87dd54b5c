import WebSocket from 'ws';

// The test's own ARI client: REST calls and an events socket for the Stasis application "driver", which the
// scenarios use to hold, bridge and hang up channels (subscribed to all, so that scenarios can also wait for
// channels in the dialplan). The engine listens as "callflow", also with subscribeAll; it never acts on them.

export const DRIVER_APP = 'driver';

export interface AriEvent {
  type: string;
  channel?: { id: string; name: string };
  [key: string]: unknown;
}

export interface AriChannel {
  id: string;
  name: string;
  state: string;
}

export interface AriDriver {
  request<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, string>): Promise<T>;
  /** How many events the socket has delivered so far: a position for `waitEvent`'s `since`. */
  eventCount(): number;
  /** The events the socket delivered from position `since` on. */
  events(since?: number): readonly AriEvent[];
  /**
   * Resolves with the first matching event from position `since` on (default: from now on), or fails after
   * `timeoutMs`. A REST reply can arrive after the events it caused, so callers take a position before acting.
   */
  waitEvent(match: (e: AriEvent) => boolean, timeoutMs: number, what: string, since?: number): Promise<AriEvent>;
  close(): Promise<void>;
}

interface Waiter {
  match: (e: AriEvent) => boolean;
  resolve: (e: AriEvent) => void;
}

export async function connectDriver(ariUrl: string, user: string, password: string): Promise<AriDriver> {
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const wsUrl = `${ariUrl.replace(/^http/, 'ws')}/ari/events?app=${DRIVER_APP}&subscribeAll=true&api_key=${encodeURIComponent(`${user}:${password}`)}`;
  const socket = new WebSocket(wsUrl);
  const waiters = new Set<Waiter>();
  const log: AriEvent[] = [];
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as AriEvent;
    log.push(event);
    for (const w of [...waiters]) {
      if (w.match(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('driver events socket did not open within 15 s')), 15_000);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });

  return {
    async request<T>(method: string, path: string, query: Record<string, string> = {}): Promise<T> {
      const qs = new URLSearchParams(query).toString();
      const res = await fetch(`${ariUrl}/ari${path}${qs ? `?${qs}` : ''}`, { method, headers: { Authorization: auth }, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`ARI ${method} ${path} -> ${res.status} ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    eventCount: () => log.length,
    events: (since = 0) => log.slice(since),
    waitEvent(match, timeoutMs, what, since) {
      const earlier = since === undefined ? undefined : log.slice(since).find(match);
      if (earlier) return Promise.resolve(earlier);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no ARI event within ${timeoutMs} ms: ${what}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 5_000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.close();
      });
    },
  };
}
