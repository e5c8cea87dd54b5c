import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBracketForm } from '../../src/crm/bitrix24/event-parse.ts';
import { LoopbackServer, readBody } from '../crm/helpers/loopback-server.ts';

// A loopback Bitrix24 portal speaking the telephony REST contract (see docs/crm.md and the notes):
// incoming-webhook and OAuth auth, JSON or form bodies, a leaky bucket per portal answering
// 503 QUERY_LIMIT_EXCEEDED, injected 429 OPERATION_TIME_LIMIT / outages, held answers, expiring OAuth
// tokens, the 30-minute CALL_ID reuse for a repeated register, register's documented refusals
// (a PHONE_NUMBER without digits: "Unsupported phone number format."), and "Call is not found".
// The portal's bucket lives as long as the fake, so it outlives an engine killed and started again.

export interface FakeBitrixOptions {
  /** Leaky bucket: drains this many requests per second... */
  perSecond?: number;
  /** ...and refuses a request that would take it above this level. */
  burst?: number;
  userId?: number;
  webhookCode?: string;
  clientId?: string;
  clientSecret?: string;
  /** LEAD_CREATION_ERROR answered by register when CRM_CREATE=1. */
  leadCreationError?: string;
}

export interface FakeRequest {
  method: string;
  params: Record<string, unknown>;
  atMs: number;
  status: number;
  error: string | null;
}

export interface FakeCall {
  callId: string;
  externalCallId: string | null;
  register: Record<string, unknown>;
  registeredAtMs: number;
  finish: Record<string, unknown> | null;
  shownTo: number[];
  hiddenFor: number[];
  record: Record<string, unknown> | null;
  transcription: Record<string, unknown> | null;
}

/** An answer instead of the served one; `reset` drops the request unserved, `lose` serves it and drops the answer. */
type Injection = { status: number; error: string; description: string } | 'reset' | 'lose';

const TRAP_WINDOW_MS = 30 * 60_000;
const REPEAT_KEYS = ['PHONE_NUMBER', 'TYPE', 'USER_ID', 'USER_PHONE_INNER', 'LINE_NUMBER', 'EXTERNAL_CALL_ID'];

export class FakeBitrix {
  readonly requests: FakeRequest[] = [];
  readonly calls = new Map<string, FakeCall>();
  readonly limit: { perSecond: number; burst: number };
  /** Highest bucket level an accepted request left behind. */
  maxLevel = 0;
  rejectedByLimit = 0;
  /** Searchable entities by phone number. */
  entities = new Map<string, Record<string, unknown>[]>();
  /** Shifts the fake's clock (the 30-minute trap). */
  clockOffsetMs = 0;
  leadCreationError: string | undefined;
  /** Served answers wait this long (a slow portal; lets a test catch requests in flight). */
  delayMs = 0;
  /** Numbers register refuses as "Unsupported phone number format." though they have digits (the portal's own rules). */
  refusedNumbers = new Set<string>();

  readonly userId: number;
  readonly webhookCode: string;
  readonly clientId: string;
  readonly clientSecret: string;
  accessToken = `at-${randomBytes(6).toString('hex')}`;
  refreshToken = `rt-${randomBytes(6).toString('hex')}`;
  refreshes = 0;

  #server: LoopbackServer;
  #level = 0;
  #levelAtMs = Date.now();
  #injections: Injection[] = [];
  #nextId = 1;
  #stale = new Set<string>();

  constructor(options: FakeBitrixOptions = {}) {
    this.limit = { perSecond: options.perSecond ?? 2, burst: options.burst ?? 50 };
    this.userId = options.userId ?? 1;
    this.webhookCode = options.webhookCode ?? randomBytes(8).toString('hex');
    this.clientId = options.clientId ?? 'local.app';
    this.clientSecret = options.clientSecret ?? 'app-secret';
    this.leadCreationError = options.leadCreationError;
    this.#server = new LoopbackServer((req, res) => this.#handle(req, res));
  }

  async start(): Promise<this> {
    await this.#server.listen();
    return this;
  }

  get origin(): string {
    return this.#server.origin;
  }

  get webhookUrl(): string {
    return `${this.origin}/rest/${this.userId}/${this.webhookCode}/`;
  }

  get tokenUrl(): string {
    return `${this.origin}/oauth/token/`;
  }

  /** The next n REST requests get this answer (or a dropped connection) instead of being served. */
  inject(n: number, injection: Injection): void {
    for (let i = 0; i < n; i++) this.#injections.push(injection);
  }

  clearInjections(): void {
    this.#injections = [];
  }

  /** While down, every connection is dropped without an answer. */
  setDown(down: boolean): void {
    this.#server.setDown(down);
  }

  /** While holding, the portal accepts requests and never answers them (a hung portal). */
  setHolding(holding: boolean): void {
    this.#server.setHolding(holding);
  }

  /** Requests held open right now / taken while holding. */
  get held(): { now: number; total: number } {
    return { now: this.#server.holdingNow, total: this.#server.heldCount };
  }

  /** The current access token stops working (`expired_token`). */
  expireAccessToken(): void {
    this.#stale.add(this.accessToken);
  }

  served(method?: string): FakeRequest[] {
    return this.requests.filter((r) => r.status === 200 && (method === undefined || r.method === method));
  }

  callsByExternalId(externalCallId: string): FakeCall[] {
    return [...this.calls.values()].filter((c) => c.externalCallId === externalCallId);
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  #now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/oauth/token')) return this.#token(url, res);

    const webhook = /^\/rest\/(\d+)\/([^/]+)\/([A-Za-z0-9_.]+)\.json$/.exec(url.pathname);
    const oauth = /^\/rest\/([A-Za-z0-9_.]+)\.json$/.exec(url.pathname);
    const method = (webhook?.[3] ?? oauth?.[1] ?? '').toLowerCase();
    const params = parseParams(req.headers['content-type'], raw, url);
    const answer = (status: number, body: unknown, error: string | null = null) => {
      this.requests.push({ method, params, atMs: Date.now(), status, error });
      send(res, status, body);
    };
    if (!webhook && !oauth) return answer(404, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }, 'ERROR_METHOD_NOT_FOUND');

    if (!this.#admit()) {
      this.rejectedByLimit += 1;
      return answer(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 'QUERY_LIMIT_EXCEEDED');
    }
    const injected = this.#injections.shift();
    if (injected === 'reset') {
      this.requests.push({ method, params, atMs: Date.now(), status: 0, error: 'reset' });
      req.socket.destroy();
      return;
    }
    if (injected && injected !== 'lose') return answer(injected.status, { error: injected.error, error_description: injected.description }, injected.error);

    if (webhook && (Number(webhook[1]) !== this.userId || webhook[2] !== this.webhookCode)) {
      return answer(401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' }, 'INVALID_CREDENTIALS');
    }
    if (oauth) {
      const token = String(params.auth ?? '');
      if (this.#stale.has(token)) return answer(401, { error: 'expired_token', error_description: 'The access token provided has expired.' }, 'expired_token');
      if (token !== this.accessToken) return answer(401, { error: 'invalid_token', error_description: 'The access token provided is invalid.' }, 'invalid_token');
    }
    const result = this.#method(method, params);
    if (injected === 'lose') {
      this.requests.push({ method, params, atMs: Date.now(), status: 0, error: 'lost' });
      req.socket.destroy();
      return;
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if ('error' in result) return answer(400, result, result.error);
    answer(200, { result: result.result, time: { start: Date.now() / 1000 } });
  }

  /**
   * Sets the portal's bucket, as other traffic would have left it: an engine instance that burst into the
   * portal just before it was killed, or another application on the same portal.
   */
  setBucketLevel(level: number): void {
    this.#level = Math.min(this.limit.burst, Math.max(0, level));
    this.#levelAtMs = Date.now();
  }

  /** Leaky bucket of the portal: each request adds one; it drains at perSecond; above burst → refused. */
  #admit(): boolean {
    const now = Date.now();
    this.#level = Math.max(0, this.#level - ((now - this.#levelAtMs) / 1000) * this.limit.perSecond);
    this.#levelAtMs = now;
    if (this.#level + 1 > this.limit.burst + 1e-9) return false;
    this.#level += 1;
    this.maxLevel = Math.max(this.maxLevel, this.#level);
    return true;
  }

  #token(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    if (q.get('grant_type') !== 'refresh_token' || q.get('client_id') !== this.clientId || q.get('client_secret') !== this.clientSecret) {
      return send(res, 400, { error: 'invalid_client', error_description: 'Invalid client' });
    }
    if (q.get('refresh_token') !== this.refreshToken) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    this.#stale.add(this.accessToken);
    this.accessToken = `at-${randomBytes(6).toString('hex')}`;
    this.refreshToken = `rt-${randomBytes(6).toString('hex')}`;
    this.refreshes += 1;
    send(res, 200, { access_token: this.accessToken, refresh_token: this.refreshToken, expires_in: 3600, client_endpoint: `${this.origin}/rest/` });
  }

  #method(method: string, p: Record<string, unknown>): { result: unknown } | { error: string; error_description: string } {
    const bad = (d: string) => ({ error: 'ERROR_ARGUMENT', error_description: d });
    const core = (d: string) => ({ error: 'ERROR_CORE', error_description: d });
    const notFound = { error: 'ERROR_NOT_FOUND', error_description: 'Call is not found' };
    const call = this.calls.get(String(p.CALL_ID ?? ''));
    switch (method) {
      case 'telephony.externalcall.register': {
        // The errors and texts Bitrix24 documents for register (ERROR_CORE, HTTP 400).
        if (!p.USER_ID && !p.USER_PHONE_INNER) return core('USER_ID or USER_PHONE_INNER should be set.');
        if (![1, 2, 3, 4, 5].includes(Number(p.TYPE))) return core('Unknown TYPE.');
        if (p.CALL_START_DATE !== undefined && Number.isNaN(Date.parse(String(p.CALL_START_DATE)))) return core('CALL_START_DATE should be in the ISO-8601 format.');
        // The portal strips what is not part of a number; a number without a single digit is refused.
        if (!/\d/.test(String(p.PHONE_NUMBER ?? '')) || this.refusedNumbers.has(String(p.PHONE_NUMBER))) return core('Unsupported phone number format.');
        const external = p.EXTERNAL_CALL_ID ? String(p.EXTERNAL_CALL_ID) : null;
        // A register repeating an unfinished call's parameters within 30 minutes gets that call's CALL_ID
        // again. Without EXTERNAL_CALL_ID this is the trap (two real calls from one number share it); with
        // it, only a repeat of the same call (a retry whose answer was lost) does.
        const same = [...this.calls.values()].find(
          (c) =>
            c.finish === null &&
            this.#now() - c.registeredAtMs < TRAP_WINDOW_MS &&
            REPEAT_KEYS.every((k) => String(c.register[k] ?? '') === String(p[k] ?? '')),
        );
        if (same) return { result: { CALL_ID: same.callId, CRM_CREATED_LEAD: null, CRM_ENTITY_TYPE: 'LEAD', CRM_ENTITY_ID: 1 } };
        const callId = `externalCall.${randomBytes(8).toString('hex')}.${this.#nextId++}`;
        // SHOW=1 pops the card up for the user the call is registered under.
        const shownTo = Number(p.SHOW ?? 1) === 1 && Number(p.USER_ID) > 0 ? [Number(p.USER_ID)] : [];
        this.calls.set(callId, { callId, externalCallId: external, register: p, registeredAtMs: this.#now(), finish: null, shownTo, hiddenFor: [], record: null, transcription: null });
        const created = Number(p.CRM_CREATE) === 1;
        const result: Record<string, unknown> = {
          CALL_ID: callId,
          CRM_CREATED_LEAD: created && !this.leadCreationError ? this.#nextId : null,
          CRM_CREATED_ENTITIES: created && !this.leadCreationError ? [{ ENTITY_TYPE: 'LEAD', ENTITY_ID: this.#nextId }] : [],
          CRM_ENTITY_TYPE: created ? 'LEAD' : '',
          CRM_ENTITY_ID: created && !this.leadCreationError ? this.#nextId : 0,
        };
        if (created && this.leadCreationError) result.LEAD_CREATION_ERROR = this.leadCreationError;
        return { result };
      }
      case 'telephony.externalcall.finish': {
        if (!call || call.finish) return notFound;
        if (!p.USER_ID && !p.USER_PHONE_INNER) return bad('USER_ID or USER_PHONE_INNER should be set');
        call.finish = p;
        return { result: { CALL_ID: call.callId, CALL_DURATION: Number(p.DURATION ?? 0), CALL_FAILED_CODE: String(p.STATUS_CODE ?? '') } };
      }
      case 'telephony.externalcall.show':
      case 'telephony.externalcall.hide': {
        if (!call) return notFound;
        const users = (Array.isArray(p.USER_ID) ? p.USER_ID : [p.USER_ID]).map(Number).filter((n) => n > 0);
        if (users.length === 0) return bad('USER_ID should be set');
        (method.endsWith('show') ? call.shownTo : call.hiddenFor).push(...users);
        return { result: true };
      }
      case 'telephony.externalcall.attachrecord':
        if (!call) return notFound;
        if (!p.RECORD_URL && !p.FILENAME) return bad('RECORD_URL or FILENAME should be set');
        call.record = p;
        return { result: { FILE_ID: this.#nextId++ } };
      case 'telephony.call.attachtranscription':
        if (!call) return notFound;
        if (!Array.isArray(p.MESSAGES)) return bad('MESSAGES should be an array');
        call.transcription = p;
        return { result: { TRANSCRIPT_ID: this.#nextId++ } };
      case 'telephony.externalcall.searchcrmentities':
        return { result: this.entities.get(String(p.PHONE_NUMBER ?? '')) ?? [] };
      default:
        return { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' };
    }
  }
}

function parseParams(contentType: string | undefined, raw: string, url: URL): Record<string, unknown> {
  const fromQuery: Record<string, unknown> = parseBracketForm(url.searchParams.toString());
  if (raw === '') return fromQuery;
  if ((contentType ?? '').includes('json')) {
    try {
      return { ...fromQuery, ...(JSON.parse(raw) as Record<string, unknown>) };
    } catch {
      return fromQuery;
    }
  }
  return { ...fromQuery, ...parseBracketForm(raw) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
