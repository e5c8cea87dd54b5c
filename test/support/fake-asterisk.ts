import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AriBridge, AriChannel, AriEndpoint } from '../../src/ari/types.ts';
import { ariError, asteriskTimestamp, FakeAriRest, type Reply } from './fake-asterisk-rest.ts';

export { asteriskTimestamp };

// A loopback server that speaks enough ARI for the engine: the events WebSocket and the REST calls
// the engine makes. Only Node built-ins and ws are imported, so a benchmark can run it in its own
// process and stream events over a real socket.

export interface FakeAsteriskOptions {
  username?: string;
  password?: string;
  /** Emit ChannelCreated / ChannelStateChange / ChannelHangupRequest / ChannelDestroyed for REST actions. */
  emitChannelEvents?: boolean;
  /** Answer WebSocket pings (true); turn off to simulate a hung server. */
  answerPings?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters; `api_key` is left out. */
  query: Record<string, string>;
  body: unknown;
  /** 101 for an accepted events WebSocket, 0 for a refused connection. */
  status: number;
  at: Date;
}

export interface FakeConnection {
  app: string;
  subscribeAll: boolean;
  auth: 'basic' | 'api_key';
  openedAt: Date;
  /** 1000 after a clean close handshake, 1006 when the socket was cut; null while open. */
  closeCode: number | null;
}

/** Text frames already framed as WebSocket messages (see `textFrames`), sent with one socket write. */
export interface FramedBurst {
  frames: Buffer;
  /** Messages in `frames`. */
  count: number;
}

interface Client {
  ws: WebSocket;
  socket: Socket;
  app: string;
}

const ENTITY_ID = '02:fc:00:00:00:01';
const STREAM_HIGH_WATER_BYTES = 1 << 20;
const STREAM_CORK_FRAMES = 64;
const INFO_FILE = new URL('../fixtures/ari/asterisk_info.json', import.meta.url);

export class FakeAsterisk {
  readonly requests: RecordedRequest[] = [];
  readonly connections: FakeConnection[] = [];
  readonly rest = new FakeAriRest({
    emit: (event) => this.emit(event),
    apps: () => this.connections,
  });

  private readonly username: string;
  private readonly password: string;
  private readonly emitChannelEvents: boolean;
  private answerPings: boolean;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: false });
  private readonly clients = new Set<Client>();
  private refusing = false;
  private connectionWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(options: FakeAsteriskOptions = {}) {
    this.username = options.username ?? 'test';
    this.password = options.password ?? 'test';
    this.emitChannelEvents = options.emitChannelEvents ?? false;
    this.answerPings = options.answerPings ?? true;
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch(() => req.socket.destroy());
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Listens on 127.0.0.1 (port 0 picks a free one); `url` is the base to put in the engine's config. */
  async start(port = 0): Promise<{ url: string; port: number }> {
    this.rest.info = JSON.parse(await readFile(INFO_FILE, 'utf8')) as unknown;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${address.port}`, port: address.port };
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
    this.wss.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Total events WebSockets accepted so far (reconnects included). */
  get connectionCount(): number {
    return this.connections.length;
  }

  get openConnectionCount(): number {
    return this.clients.size;
  }

  waitForConnection(count: number, timeoutMs = 5_000): Promise<void> {
    if (this.connections.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake Asterisk: ${count} connections not reached in ${timeoutMs} ms`)), timeoutMs);
      this.connectionWaiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  send(events: object | object[]): void {
    for (const event of Array.isArray(events) ? events : [events]) this.sendRaw(JSON.stringify(event));
  }

  sendRaw(text: string): void {
    for (const client of this.clients) client.ws.send(text);
  }

  /** A text frame of exactly these bytes, valid UTF-8 or not (as a broken Asterisk module might send). */
  sendTextBytes(bytes: Buffer): void {
    for (const client of this.clients) client.ws.send(bytes, { binary: false });
  }

  /**
   * Sends each text as one WebSocket message to every connected socket, waiting whenever a socket's send
   * buffer passes the high-water mark, so a slow reader pushes back on the sender instead of the buffer
   * growing. An async source may also yield bursts (arrays) of texts: a burst is framed here into one
   * buffer and written with one socket write (still one WebSocket message per text), which costs this
   * process far less than a send per frame; on a loopback benchmark it shares the cores with the engine.
   * A burst framed beforehand (`FramedBurst`) costs only the write. Returns the frames sent.
   */
  async stream(frames: Iterable<string> | AsyncIterable<string | readonly string[] | FramedBurst>): Promise<number> {
    let sent = 0;
    const clients = [...this.clients];
    // Single frames go through ws, corked STREAM_CORK_FRAMES at a time.
    for (const client of clients) client.socket.cork();
    /** Sends one frame to every client; true when a socket's buffer is past the high-water mark. */
    const sendOne = (text: string): boolean => {
      const flush = ++sent % STREAM_CORK_FRAMES === 0;
      let full = false;
      for (const client of clients) {
        client.ws.send(text);
        if (flush) {
          client.socket.uncork();
          client.socket.cork();
        }
        if (client.socket.writableLength > STREAM_HIGH_WATER_BYTES) full = true;
      }
      return full;
    };
    const sendBurst = (burst: readonly string[] | FramedBurst): boolean => {
      const framed = 'frames' in burst ? burst.frames : textFrames(burst);
      sent += 'frames' in burst ? burst.count : burst.length;
      let full = false;
      for (const client of clients) {
        // Whatever ws holds corked goes first, so frames keep their order.
        client.socket.uncork();
        client.socket.write(framed);
        client.socket.cork();
        if (client.socket.writableLength > STREAM_HIGH_WATER_BYTES) full = true;
      }
      return full;
    };
    const drainAll = async (): Promise<void> => {
      for (const client of clients) {
        if (client.socket.writableLength <= STREAM_HIGH_WATER_BYTES) continue;
        client.socket.uncork();
        await drained(client.socket);
        client.socket.cork();
      }
    };
    try {
      if (Symbol.iterator in frames) {
        for (const text of frames) if (sendOne(text)) await drainAll();
      } else {
        for await (const item of frames) {
          if (typeof item === 'string' ? sendOne(item) : sendBurst(item)) await drainAll();
        }
      }
    } finally {
      for (const client of clients) client.socket.uncork();
    }
    return sent;
  }

  /** Abrupt loss of every events socket (no close frame), as when the network or Asterisk dies. */
  dropConnections(): void {
    for (const client of this.clients) client.ws.terminate();
  }

  /** While true, new HTTP and WebSocket connections are cut before any reply. */
  refuseConnections(refuse: boolean): void {
    this.refusing = refuse;
  }

  setAnswerPings(answer: boolean): void {
    this.answerPings = answer;
  }

  /** Another client took the app over: the current sockets get ApplicationReplaced and are closed. */
  replaceApp(): void {
    for (const client of this.clients) {
      client.ws.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: asteriskTimestamp(), application: client.app, asterisk_id: ENTITY_ID }));
      client.ws.close(1000);
    }
  }

  setLiveChannels(channels: AriChannel[]): void {
    this.rest.setLiveChannels(channels);
  }

  setLiveBridges(bridges: AriBridge[]): void {
    this.rest.setLiveBridges(bridges);
  }

  /** What GET /ari/endpoints/PJSIP answers from now on (the engine reads it at each connect). */
  setEndpoints(endpoints: AriEndpoint[]): void {
    this.rest.endpoints = endpoints;
  }

  /** A phone's device state changed (`PJSIP/<endpoint>`, `INUSE`, `NOT_INUSE`, …), as Asterisk tells every app. */
  sendDeviceState(name: string, state: string): void {
    for (const client of this.clients) {
      client.ws.send(
        JSON.stringify({ type: 'DeviceStateChanged', timestamp: asteriskTimestamp(), device_state: { name, state }, asterisk_id: ENTITY_ID, application: client.app }),
      );
    }
  }

  get channels(): Map<string, AriChannel> {
    return this.rest.channels;
  }

  get bridges(): Map<string, AriBridge> {
    return this.rest.bridges;
  }

  get variables(): Map<string, Map<string, string>> {
    return this.rest.variables;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record = (status: number): void => this.record('GET', url, null, status);
    if (this.refusing) {
      record(0);
      socket.destroy();
      return;
    }
    const auth = this.authenticate(req, url);
    const reject = (status: number, message: string): void => {
      record(status);
      rejectUpgrade(socket, status, message);
    };
    if (url.pathname !== '/ari/events') return reject(404, 'Not found');
    if (auth === null) return reject(401, 'Authentication required');
    const app = url.searchParams.get('app');
    if (!app) return reject(400, 'Missing parameter app');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      record(101);
      const client: Client = { ws, socket, app };
      const connection: FakeConnection = { app, subscribeAll: url.searchParams.get('subscribeAll') === 'true', auth, openedAt: new Date(), closeCode: null };
      this.clients.add(client);
      ws.on('close', (code) => {
        connection.closeCode = code;
        this.clients.delete(client);
      });
      ws.on('error', () => this.clients.delete(client));
      ws.on('ping', (data) => {
        if (this.answerPings) ws.pong(data);
      });
      this.connections.push(connection);
      const count = this.connections.length;
      const reached = this.connectionWaiters.filter((waiter) => waiter.count <= count);
      this.connectionWaiters = this.connectionWaiters.filter((waiter) => waiter.count > count);
      for (const waiter of reached) waiter.resolve();
    });
  }

  private authenticate(req: IncomingMessage, url: URL): 'basic' | 'api_key' | null {
    const expected = `${this.username}:${this.password}`;
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ') && Buffer.from(header.slice(6), 'base64').toString('utf8') === expected) return 'basic';
    if (url.searchParams.get('api_key') === expected) return 'api_key';
    return null;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (this.refusing) {
      this.record(req.method ?? 'GET', url, null, 0);
      req.socket.destroy();
      return;
    }
    const text = await readBody(req);
    let body: unknown = null;
    let reply: Reply;
    try {
      body = text === '' ? null : (JSON.parse(text) as unknown);
      reply = this.authenticate(req, url) === null ? ariError(401, 'Authentication required') : this.rest.route(req.method ?? 'GET', url, body);
    } catch {
      reply = ariError(400, 'Invalid JSON body');
    }
    this.record(req.method ?? 'GET', url, body, reply.status);
    if (reply.body === undefined) {
      res.writeHead(reply.status).end();
      return;
    }
    if (Buffer.isBuffer(reply.body)) {
      res.writeHead(reply.status, { 'content-type': 'audio/wav', 'content-length': reply.body.length }).end(reply.body);
      return;
    }
    const json = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
  }

  private emit(event: Record<string, unknown>): void {
    if (!this.emitChannelEvents) return;
    for (const client of this.clients) {
      client.ws.send(JSON.stringify({ ...event, asterisk_id: ENTITY_ID, application: client.app }));
    }
  }

  private record(method: string, url: URL, body: unknown, status: number): void {
    const query = Object.fromEntries([...url.searchParams].filter(([name]) => name !== 'api_key'));
    this.requests.push({ method, path: url.pathname, query, body, status, at: new Date() });
  }
}

function rejectUpgrade(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ message });
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request';
  const auth = status === 401 ? 'WWW-Authenticate: Basic realm="Asterisk REST Interface"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${auth}Connection: close\r\n\r\n${body}`,
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/**
 * Unmasked WebSocket text frames (server to client, RFC 6455 section 5.2), each text one whole message,
 * encoded one after another into a single buffer.
 */
export function textFrames(texts: readonly string[]): Buffer {
  // Each text's UTF-8 length is counted once (the count also flattens a concatenated string for the write).
  const lengths = new Array<number>(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const length = Buffer.byteLength(texts[i]!, 'utf8');
    lengths[i] = length;
    total += length + (length < 126 ? 2 : length < 65_536 ? 4 : 10);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const length = lengths[i]!;
    out[at++] = 0x81; // FIN, opcode 1 (text)
    if (length < 126) {
      out[at++] = length;
    } else if (length < 65_536) {
      out[at++] = 126;
      out.writeUInt16BE(length, at);
      at += 2;
    } else {
      out[at++] = 127;
      out.writeUInt32BE(Math.floor(length / 2 ** 32), at);
      out.writeUInt32BE(length >>> 0, at + 4);
      at += 8;
    }
    at += out.write(texts[i]!, at, length, 'utf8');
  }
  return out;
}
