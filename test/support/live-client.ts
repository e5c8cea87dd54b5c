import WebSocket from 'ws';

// A client of WS /api/live for tests: collects every message, tells how the socket closed, and waits for
// conditions with a deadline instead of sleeping.

export interface LiveClient {
  ws: WebSocket;
  messages: any[];
  /** Byte length of each frame, in the order of `messages`. */
  sizes: number[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Opens the stream; rejects with `status NNN` when the engine answers the handshake with HTTP. */
export function openLive(wsBase: string, query = '', headers: Record<string, string> = {}): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/api/live${query}`, { headers });
    const messages: unknown[] = [];
    const sizes: number[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.once('close', (code, reason) => done({ code, reason: String(reason) }));
    });
    ws.on('message', (data: Buffer) => {
      sizes.push(data.length);
      messages.push(JSON.parse(String(data)));
    });
    ws.once('open', () => resolve({ ws, messages, sizes, closed }));
    ws.once('unexpected-response', (_request, response) => {
      response.resume();
      reject(new Error(`status ${response.statusCode}`));
    });
    ws.once('error', reject);
  });
}

/** The HTTP status the handshake was refused with (fails when it was accepted). */
export async function refusedWith(wsBase: string, query = '', headers: Record<string, string> = {}): Promise<number> {
  try {
    const client = await openLive(wsBase, query, headers);
    client.ws.close();
  } catch (error) {
    const status = /status (\d+)/.exec((error as Error).message)?.[1];
    if (status) return Number(status);
    throw error;
  }
  throw new Error('the handshake was accepted');
}

/** Minimal ARI events of a one-channel call: created (ringing), then destroyed. */
export function oneChannelCall(id: string, callerName: string, at: Date): { created: object; destroyed: object } {
  const channel = {
    id,
    name: `PJSIP/caller-${id}`,
    state: 'Ring',
    caller: { name: callerName, number: '+15550100' },
    connected: { name: '', number: '' },
    dialplan: { context: 'from-trunk', exten: '100', priority: 1 },
    creationtime: at.toISOString().replace('Z', '+0000'),
  };
  const ts = at.toISOString().replace('Z', '+0000');
  return {
    created: { type: 'ChannelCreated', timestamp: ts, channel, application: 'callflow' },
    destroyed: { type: 'ChannelDestroyed', timestamp: ts, cause: 16, cause_txt: 'Normal Clearing', channel: { ...channel, state: 'Down' }, application: 'callflow' },
  };
}
