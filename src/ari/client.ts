import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { AriServerConfig } from '../config/schema.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions, type RandomFn } from './backoff.ts';
import { AriRest, asteriskMessage, basicAuthHeader, DEFAULT_REQUEST_TIMEOUT_MS } from './rest.ts';

// The events WebSocket of ONE Asterisk server, kept open for as long as the engine runs.
// Asterisk buffers nothing while no socket is connected, so every (re)connect is followed by
// handlers.onConnected(): the engine reconciles its open calls against GET /channels there.
// Frames are handed over unparsed, in arrival order; the engine parses them.

export type AriConnectionState = 'connecting' | 'connected' | 'disconnected' | 'replaced' | 'stopped';

export interface AriConnectionHandlers {
  /**
   * One frame: its text, and its bytes as received (stored as the raw event: copied into the batch's COPY
   * data as they are, or kept as the event's row until its batch is written).
   */
  /** One event frame as received: its UTF-8 JSON text, undecoded (a spilled event is never decoded here). */
  onEvent(bytes: Buffer, receivedAt: Date): void;
  /** Runs after every successful (re)connect while events keep flowing; a rejection drops the socket and retries. */
  onConnected(): Promise<void>;
  onStateChange?(state: AriConnectionState): void;
}

export interface AriConnectionOptions {
  logger: Logger;
  backoff?: Partial<BackoffOptions>;
  random?: RandomFn;
  pingIntervalMs?: number;
  /** No pong within this after a ping: the socket is considered dead and replaced. */
  pongTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** A connection that lived this long resets the backoff; shorter ones keep the delays growing. */
  stableAfterMs?: number;
  requestTimeoutMs?: number;
}

export interface AriUrls {
  /** REST base including `/ari`. */
  restUrl: string;
  eventsUrl: string;
}

/** Accepts `http://host:8088`, `http://host:8088/ari`, `https://host/prefix/ari/`, or ws(s):// forms. */
export function ariUrls(config: Pick<AriServerConfig, 'url' | 'app' | 'subscribeAll'>): AriUrls {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `ARI url is not a valid URL`);
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `ARI url must start with http://, https://, ws:// or wss://`);
  }
  const base = url.pathname.replace(/\/+$/, '').replace(/\/ari$/, '');
  const events = new URLSearchParams({ app: config.app, subscribeAll: String(config.subscribeAll) });
  return {
    restUrl: `${secure ? 'https' : 'http'}://${url.host}${base}/ari`,
    eventsUrl: `${secure ? 'wss' : 'ws'}://${url.host}${base}/ari/events?${events.toString()}`,
  };
}

/** Per-socket facts; a stale socket's late callbacks are recognised by comparing sessions. */
interface Session {
  ws: WebSocket;
  openedAtMs: number | null;
  /** Set when the cause of the coming close is known better than ws's own error. */
  failure: AppError | null;
  error: Error | null;
  replaced: boolean;
  /** Frames read so far; a ping counts as answered if any arrived after it. */
  frames: number;
  pingTimer: NodeJS.Timeout | null;
  pongTimer: NodeJS.Timeout | null;
}

const REJECTION_BODY_MAX_BYTES = 4_096;
const REJECTION_BODY_WAIT_MS = 1_000;
const CLOSE_GRACE_MS = 2_000;

export class AriConnection {
  readonly rest: AriRest;
  readonly serverName: string;
  private readonly urls: AriUrls;
  private readonly authorization: string;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly stableAfterMs: number;

  private currentState: AriConnectionState = 'stopped';
  private session: Session | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private everOpened = false;
  private paused = false;
  /** Frames read before a pause took effect (ws may still emit what it had buffered). */
  private held: Array<[Buffer, Date]> = [];
  private heldHead = 0;
  private resyncChain: Promise<void> = Promise.resolve();
  private closedWaiters: Array<() => void> = [];
  private warnedBinary = false;

  lastError: AppError | null = null;
  connectedSince: Date | null = null;
  /** Successful connections after the first one. */
  reconnects = 0;

  constructor(
    private readonly config: AriServerConfig,
    private readonly handlers: AriConnectionHandlers,
    options: AriConnectionOptions,
  ) {
    this.serverName = config.name;
    this.urls = ariUrls(config);
    this.authorization = basicAuthHeader(config.username, config.password);
    this.log = options.logger.child({ ariServer: config.name });
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff }, options.random ?? Math.random);
    this.pingIntervalMs = options.pingIntervalMs ?? 15_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 10_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.stableAfterMs = options.stableAfterMs ?? 10_000;
    this.rest = new AriRest({
      serverName: config.name,
      restUrl: this.urls.restUrl,
      username: config.username,
      password: config.password,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  get state(): AriConnectionState {
    return this.currentState;
  }

  start(): void {
    if (this.started) throw new AppError(ERROR_CODES.INTERNAL, `ARI connection "${this.serverName}" was already started`);
    this.started = true;
    this.connect();
  }

  /** Closes the socket and the REST client; no reconnect follows. Resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const session = this.session;
    if (session !== null) {
      const closed = new Promise<void>((resolve) => this.closedWaiters.push(resolve));
      // A paused socket would never read Asterisk's answering close frame; its backlog is dropped anyway.
      if (session.ws.readyState === WebSocket.OPEN && !this.paused) {
        session.ws.close(1000, 'engine stopping');
        const force = setTimeout(() => session.ws.terminate(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(force);
      } else {
        session.ws.terminate();
        await closed;
      }
    }
    this.setState('stopped');
    await this.rest.close();
  }

  /** Stops reading the socket: TCP flow control then pushes back on Asterisk. No onEvent until resume(). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    const session = this.session;
    if (session === null) return;
    // Pongs are not read while paused, so a pending liveness check would kill a healthy socket.
    clearTimer(session, 'pongTimer');
    session.ws.pause();
  }

  /** Delivers what was held back, in order, then reads the socket again (unless a handler paused again). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.heldHead < this.held.length) {
      const [bytes, receivedAt] = this.held[this.heldHead++]!;
      this.deliver(bytes, receivedAt);
    }
    if (this.heldHead >= this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
    if (!this.paused) this.session?.ws.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private connect(): void {
    this.retryTimer = null;
    if (this.stopping) return;
    this.setState('connecting');
    const ws = new WebSocket(this.urls.eventsUrl, {
      headers: { authorization: this.authorization },
      handshakeTimeout: this.handshakeTimeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
      // A frame that is not valid UTF-8 would make ws close the socket (1007) and drop the frames behind it.
      // It is taken as it is instead: decoded with U+FFFD where bytes are broken, stored made valid.
      skipUTF8Validation: true,
      // A frame over this closes the socket (and loses the frames behind it), so the bound is far above any
      // event: events over their own limit (event-limits.ts, 256 KiB) are refused one by one by the engine.
      maxPayload: 64 * 1024 * 1024,
    });
    const session: Session = { ws, openedAtMs: null, failure: null, error: null, replaced: false, frames: 0, pingTimer: null, pongTimer: null };
    this.session = session;
    ws.on('unexpected-response', (_req, res) => this.onRejected(session, res));
    ws.on('open', () => this.onOpen(session));
    ws.on('message', (data, isBinary) => this.onMessage(session, data as Buffer, isBinary));
    ws.on('pong', () => clearTimer(session, 'pongTimer'));
    ws.on('error', (error) => {
      session.error = error;
    });
    ws.on('close', (code, reason) => this.onClose(session, code, reason.toString('utf8')));
  }

  private onRejected(session: Session, res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    void readClipped(res, REJECTION_BODY_MAX_BYTES, REJECTION_BODY_WAIT_MS).then((body) => {
      const message =
        status === 401 || status === 403
          ? `ARI rejected the credentials for server "${this.serverName}" (HTTP ${status})`
          : `ARI refused the events WebSocket of server "${this.serverName}": HTTP ${status} ${asteriskMessage(body)}`;
      session.failure = this.unavailable(message, { status });
      session.ws.terminate();
    });
  }

  private onOpen(session: Session): void {
    if (this.session !== session) return;
    if (this.stopping) {
      session.ws.close(1000, 'engine stopping');
      return;
    }
    session.openedAtMs = performance.now();
    this.connectedSince = new Date();
    if (this.everOpened) this.reconnects++;
    this.everOpened = true;
    if (this.paused) session.ws.pause();
    session.pingTimer = setInterval(() => this.checkLiveness(session), this.pingIntervalMs);
    this.log.info({ reconnects: this.reconnects }, 'ARI events socket connected');
    this.setState('connected');
    this.resyncChain = this.resyncChain.then(() => this.resync(session));
  }

  /** Resyncs run one at a time: a reconnect during a slow resync waits for it instead of overlapping. */
  private async resync(session: Session): Promise<void> {
    if (this.session !== session || session.ws.readyState !== WebSocket.OPEN) return;
    try {
      await this.handlers.onConnected();
    } catch (error) {
      if (this.session !== session || this.stopping) return;
      session.failure = this.unavailable(`resync after connecting to ARI server "${this.serverName}" failed`, {}, error);
      this.log.warn({ err: error }, 'resync after connect failed; reconnecting');
      session.ws.terminate();
    }
  }

  private onMessage(session: Session, data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (!this.warnedBinary) this.log.warn('ignoring a binary frame on the ARI events socket');
      this.warnedBinary = true;
      return;
    }
    session.frames++;
    const receivedAt = new Date();
    // Cheap byte search first: the frame is decoded and parsed here only for this one rare event type.
    if (data.includes('ApplicationReplaced') && isApplicationReplaced(data.toString('utf8'))) {
      session.replaced = true;
      // Asterisk may keep the dead socket open; it will never carry this app's events again.
      setImmediate(() => session.ws.close(1000, 'application replaced'));
    }
    if (this.paused || this.heldHead < this.held.length) this.held.push([data, receivedAt]);
    else this.deliver(data, receivedAt);
  }

  private deliver(bytes: Buffer, receivedAt: Date): void {
    try {
      this.handlers.onEvent(bytes, receivedAt);
    } catch (error) {
      // A handler bug must not tear down the socket and lose the events behind it.
      this.log.error({ err: error }, 'ARI event handler threw');
    }
  }

  private checkLiveness(session: Session): void {
    const { ws } = session;
    if (this.paused || session.pongTimer !== null || ws.readyState !== WebSocket.OPEN) return;
    const framesAtPing = session.frames;
    session.pongTimer = setTimeout(() => {
      session.pongTimer = null;
      // Under a backlog the pong queues behind megabytes of events; frames still arriving prove the peer alive.
      if (session.frames !== framesAtPing) return;
      session.failure = this.unavailable(`ARI server "${this.serverName}" did not answer a ping within ${this.pongTimeoutMs} ms`);
      ws.terminate();
    }, this.pongTimeoutMs);
    ws.ping();
  }

  private onClose(session: Session, code: number, reason: string): void {
    clearTimer(session, 'pingTimer');
    clearTimer(session, 'pongTimer');
    if (this.session !== session) return;
    this.session = null;
    this.connectedSince = null;
    if (this.stopping) {
      for (const resolve of this.closedWaiters.splice(0)) resolve();
      return;
    }
    if (session.openedAtMs !== null && performance.now() - session.openedAtMs >= this.stableAfterMs) this.backoff.reset();

    if (session.replaced) {
      const delayMs = this.backoff.nextReplacedDelayMs();
      this.lastError = this.unavailable(`another client took over ARI application "${this.config.app}" on server "${this.serverName}"`);
      this.log.warn({ delayMs, app: this.config.app }, 'ARI application replaced by another client; not fighting for it, retrying later');
      this.schedule(delayMs, 'replaced');
      return;
    }
    this.lastError = session.failure ?? this.closeError(session, code, reason);
    const delayMs = this.backoff.nextDelayMs();
    this.log.warn({ delayMs, code, error: this.lastError.message }, 'ARI events socket down; reconnecting');
    this.schedule(delayMs, 'disconnected');
  }

  private closeError(session: Session, code: number, reason: string): AppError {
    const what = session.error
      ? session.error.message
      : `closed by the server (code ${code}${reason === '' ? '' : `, ${reason}`})`;
    return this.unavailable(`ARI events socket of server "${this.serverName}": ${what}`, { code }, session.error ?? undefined);
  }

  private unavailable(message: string, details: Record<string, unknown> = {}, cause?: unknown): AppError {
    return new AppError(ERROR_CODES.ARI_UNAVAILABLE, message, { retryable: true, cause, details: { server: this.serverName, ...details } });
  }

  private schedule(delayMs: number, state: AriConnectionState): void {
    this.setState(state);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  private setState(state: AriConnectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    try {
      this.handlers.onStateChange?.(state);
    } catch (error) {
      this.log.error({ err: error }, 'ARI state handler threw');
    }
  }
}

function clearTimer(session: Session, key: 'pingTimer' | 'pongTimer'): void {
  const timer = session[key];
  if (timer === null) return;
  clearTimeout(timer);
  session[key] = null;
}

function isApplicationReplaced(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'ApplicationReplaced';
  } catch {
    return false;
  }
}

/** The start of a rejection body; never waits long, never throws. */
function readClipped(res: IncomingMessage, maxBytes: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res.removeAllListeners('data');
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, waitMs);
    res.on('data', (chunk: Buffer) => {
      if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
      size += chunk.length;
      if (size >= maxBytes) finish();
    });
    res.once('end', finish);
    res.once('error', finish);
    res.once('close', finish);
  });
}
