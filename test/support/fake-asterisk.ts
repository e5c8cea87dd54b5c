import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AriBridge, AriChannel } from '../../src/ari/types.ts';

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
}

interface Client {
  ws: WebSocket;
  socket: Socket;
  app: string;
}

type Reply = { status: number; body?: unknown };

const ENTITY_ID = '02:fc:00:00:00:01';
const STREAM_HIGH_WATER_BYTES = 1 << 20;
const INFO_FILE = new URL('../fixtures/ari/asterisk_info.json', import.meta.url);

export function asteriskTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export class FakeAsterisk {
  readonly requests: RecordedRequest[] = [];
  readonly connections: FakeConnection[] = [];
  readonly channels = new Map<string, AriChannel>();
  readonly bridges = new Map<string, AriBridge>();
  /** Channel variables set over REST, by channel id. */
  readonly variables = new Map<string, Map<string, string>>();

  private readonly username: string;
  private readonly password: string;
  private readonly emitChannelEvents: boolean;
  private answerPings: boolean;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: false });
  private readonly clients = new Set<Client>();
  private refusing = false;
  private info: unknown = {};
  private nextId = 1;
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
    this.info = JSON.parse(await readFile(INFO_FILE, 'utf8')) as unknown;
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

  /**
   * Sends every frame to every connected socket, waiting whenever a socket's send buffer passes 1 MiB,
   * so a slow reader pushes back on the sender instead of the buffer growing. Returns the frames sent.
   */
  async stream(frames: Iterable<string> | AsyncIterable<string>): Promise<number> {
    let sent = 0;
    const sendOne = async (text: string): Promise<void> => {
      for (const client of this.clients) {
        client.ws.send(text);
        if (client.socket.writableLength > STREAM_HIGH_WATER_BYTES) await drained(client.socket);
      }
      sent++;
    };
    if (Symbol.iterator in frames) {
      for (const text of frames) await sendOne(text);
    } else {
      for await (const text of frames) await sendOne(text);
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
    this.channels.clear();
    for (const channel of channels) this.channels.set(channel.id, channel);
  }

  setLiveBridges(bridges: AriBridge[]): void {
    this.bridges.clear();
    for (const bridge of bridges) this.bridges.set(bridge.id, bridge);
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
      this.clients.add(client);
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
      ws.on('ping', (data) => {
        if (this.answerPings) ws.pong(data);
      });
      this.connections.push({ app, subscribeAll: url.searchParams.get('subscribeAll') === 'true', auth, openedAt: new Date() });
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
      reply = this.authenticate(req, url) === null ? error(401, 'Authentication required') : this.route(req.method ?? 'GET', url, body);
    } catch {
      reply = error(400, 'Invalid JSON body');
    }
    this.record(req.method ?? 'GET', url, body, reply.status);
    if (reply.body === undefined) {
      res.writeHead(reply.status).end();
      return;
    }
    const json = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
  }

  private route(method: string, url: URL, body: unknown): Reply {
    const p = { ...Object.fromEntries(url.searchParams), ...bodyParams(body) };
    const path = url.pathname.replace(/\/+$/, '');
    const key = `${method} ${path}`;
    if (key === 'GET /ari/channels') return { status: 200, body: [...this.channels.values()] };
    if (key === 'GET /ari/bridges') return { status: 200, body: [...this.bridges.values()] };
    if (key === 'GET /ari/asterisk/info') return { status: 200, body: this.info };
    if (key === 'POST /ari/channels' || key === 'POST /ari/channels/create') return this.originate(p, variablesOf(body));
    if (key === 'POST /ari/bridges') return this.createBridge(p);
    let m = /^\/ari\/channels\/([^/]+)(?:\/(answer|ring|dial|variable))?$/.exec(path);
    if (m) return this.channelAction(method, decodeURIComponent(m[1]!), m[2] ?? '', p);
    m = /^\/ari\/bridges\/([^/]+)\/addChannel$/.exec(path);
    if (m && method === 'POST') return this.addToBridge(decodeURIComponent(m[1]!), p.channel);
    m = /^\/ari\/applications\/([^/]+)(\/subscription)?$/.exec(path);
    if (m && (method === 'GET' || (method === 'POST' && m[2]))) return this.application(decodeURIComponent(m[1]!), m[2] ? p.eventSource : undefined);
    return error(404, 'Resource not found');
  }

  private originate(p: Record<string, string>, variables: Record<string, string>): Reply {
    const endpoint = p.endpoint;
    if (!endpoint) return error(400, 'Endpoint must be specified');
    const id = p.channelId ?? `${Math.floor(Date.now() / 1000)}.${this.nextId}`;
    if (this.channels.has(id)) return error(409, 'Channel with given unique ID already exists');
    const seq = (this.nextId++).toString(16).padStart(8, '0');
    const local = /^Local\/([^@]+)@(.+)$/.exec(endpoint);
    const caller = parseCallerId(p.callerId ?? '');
    const now = asteriskTimestamp();
    const channel: AriChannel = {
      id,
      name: local ? `${endpoint}-${seq};1` : `${endpoint}-${seq}`,
      state: 'Down',
      protocol_id: '',
      caller,
      connected: { ...caller },
      accountcode: '',
      dialplan: { context: local?.[2] ?? p.context ?? '', exten: local?.[1] ?? p.extension ?? '', priority: 1, app_name: '', app_data: '' },
      creationtime: now,
      language: 'en',
    };
    this.channels.set(id, channel);
    if (Object.keys(variables).length > 0) this.variables.set(id, new Map(Object.entries(variables)));
    this.emit({ type: 'ChannelCreated', timestamp: now, channel });
    return { status: 200, body: channel };
  }

  private channelAction(method: string, id: string, action: string, p: Record<string, string>): Reply {
    const channel = this.channels.get(id);
    if (!channel) return error(404, 'Channel not found');
    const key = `${method} ${action}`;
    if (key === 'GET ') return { status: 200, body: channel };
    if (key === 'DELETE ') {
      this.channels.delete(id);
      this.variables.delete(id);
      const timestamp = asteriskTimestamp();
      this.emit({ type: 'ChannelHangupRequest', timestamp, cause: 32, soft: true, channel });
      this.emit({ type: 'ChannelDestroyed', timestamp, cause: 16, cause_txt: 'Normal Clearing', channel });
      return { status: 204 };
    }
    if (key === 'POST answer' || key === 'POST ring') {
      channel.state = action === 'answer' ? 'Up' : 'Ringing';
      this.emit({ type: 'ChannelStateChange', timestamp: asteriskTimestamp(), channel });
      return { status: 204 };
    }
    if (key === 'POST dial') return { status: 204 };
    if (key === 'POST variable' || key === 'GET variable') {
      if (!p.variable) return error(400, 'Variable name is required');
      const vars = this.variables.get(id) ?? new Map<string, string>();
      this.variables.set(id, vars);
      if (method === 'POST') {
        vars.set(p.variable, p.value ?? '');
        return { status: 204 };
      }
      const value = vars.get(p.variable);
      return value === undefined ? error(404, 'Provided variable was not found') : { status: 200, body: { value } };
    }
    return error(404, 'Resource not found');
  }

  private createBridge(p: Record<string, string>): Reply {
    const id = p.bridgeId ?? `bridge-${this.nextId++}`;
    const bridge: AriBridge = {
      id,
      technology: 'simple_bridge',
      bridge_type: p.type ?? 'mixing',
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: p.name ?? '',
      channels: [],
      creationtime: asteriskTimestamp(),
      video_mode: 'talker',
    };
    this.bridges.set(id, bridge);
    return { status: 200, body: bridge };
  }

  private addToBridge(bridgeId: string, channelId: string | undefined): Reply {
    const bridge = this.bridges.get(bridgeId);
    if (!bridge) return error(404, 'Bridge not found');
    if (!channelId || !this.channels.has(channelId)) return error(400, 'Channel not found');
    if (!bridge.channels.includes(channelId)) bridge.channels.push(channelId);
    return { status: 204 };
  }

  private application(app: string, eventSource: string | undefined): Reply {
    if (!this.connections.some((c) => c.app === app)) return error(404, 'Application not found');
    const all = this.connections.some((c) => c.app === app && c.subscribeAll);
    const channelIds = all ? ['__AST_CHANNEL_ALL_TOPIC'] : [];
    if (eventSource !== undefined) {
      const m = /^channel:(.+)$/.exec(eventSource);
      if (!m) return error(400, 'Invalid event source');
      if (!this.channels.has(m[1]!)) return error(422, 'Event source does not exist');
      channelIds.push(m[1]!);
    }
    const body = { name: app, channel_ids: channelIds, bridge_ids: [], endpoint_ids: [], device_names: [], events_allowed: [], events_disallowed: [] };
    return { status: 200, body };
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

function error(status: number, message: string): Reply {
  return { status, body: { message } };
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

/** Asterisk takes scalar parameters from a JSON body as well as from the query. */
function bodyParams(body: unknown): Record<string, string> {
  if (body === null || typeof body !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' || typeof value === 'number') out[key] = String(value);
  }
  return out;
}

function variablesOf(body: unknown): Record<string, string> {
  const vars = (body as { variables?: unknown } | null)?.variables;
  return vars !== null && typeof vars === 'object' ? (vars as Record<string, string>) : {};
}

function parseCallerId(text: string): { name: string; number: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(text);
  return m ? { name: m[1]!.trim(), number: m[2]!.trim() } : { name: '', number: text.trim() };
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
