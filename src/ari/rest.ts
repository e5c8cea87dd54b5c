import { Pool } from 'undici';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { AriApplication, AriAsteriskInfo, AriBridge, AriChannel, AriEndpoint } from './types.ts';

// ARI REST client for one Asterisk server. Scalars go in the query string (as the recorded traffic
// does); only `variables` travel in a JSON body, the one form Asterisk accepts for them.
// Errors carry the method, the path WITHOUT its query (query values can hold caller numbers), the
// HTTP status and Asterisk's own message; credentials never appear in them.

export interface AriRestOptions {
  /** Server name from the configuration, quoted in errors. */
  serverName: string;
  /** Base of the REST API including `/ari`, e.g. `http://127.0.0.1:8088/ari`. */
  restUrl: string;
  username: string;
  password: string;
  /** Whole request, headers and body. */
  requestTimeoutMs?: number;
  /** Parallel HTTP connections to Asterisk (its http.conf sessionlimit defaults to 100). */
  connections?: number;
}

interface Dialplan {
  /** Dialplan target; give these or `app`. */
  extension?: string;
  context?: string;
  priority?: number;
  label?: string;
}

export interface OriginateParams extends Dialplan {
  /** e.g. `PJSIP/100`, `Local/100@from-internal`. */
  endpoint: string;
  /** Stasis application to put the channel in, instead of a dialplan target. */
  app?: string;
  appArgs?: string;
  /** `"Name" <number>` or a bare number. */
  callerId?: string;
  /** Seconds Asterisk waits for an answer (Asterisk's default is 30). */
  timeoutSeconds?: number;
  variables?: Record<string, string>;
  /** Channel that causes this one: the new channel shares its linkedid. */
  originator?: string;
  /** Id to give the new channel. */
  channelId?: string;
  otherChannelId?: string;
  formats?: string;
}

export interface CreateChannelParams {
  endpoint: string;
  app: string;
  appArgs?: string;
  channelId?: string;
  otherChannelId?: string;
  originator?: string;
  formats?: string;
  variables?: Record<string, string>;
}

export interface DialOptions {
  /** Channel the dialed one is dialed for (its caller). */
  caller?: string;
  timeoutSeconds?: number;
}

/** Reasons Asterisk accepts for `DELETE /channels/{id}`. */
export type HangupReason =
  | 'normal'
  | 'busy'
  | 'congestion'
  | 'no_answer'
  | 'timeout'
  | 'rejected'
  | 'unallocated'
  | 'normal_unspecified'
  | 'number_incomplete'
  | 'codec_mismatch'
  | 'interworking'
  | 'failure'
  | 'answered_elsewhere';

type Query = Record<string, string | number | undefined>;

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MESSAGE_MAX_CHARS = 300;
/** Bound on a binary reply (a stored recording): about 50 minutes of 8 kHz 16-bit audio. */
const MAX_FILE_BYTES = 48 * 1024 * 1024;

export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export class AriRest {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly serverName: string;

  constructor(options: AriRestOptions) {
    const url = new URL(options.restUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: options.connections ?? 8 });
    this.authorization = basicAuthHeader(options.username, options.password);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.serverName = options.serverName;
  }

  async listChannels(): Promise<AriChannel[]> {
    return this.expectArray<AriChannel>('GET', '/channels');
  }

  async listBridges(): Promise<AriBridge[]> {
    return this.expectArray<AriBridge>('GET', '/bridges');
  }

  /** One channel, or null when Asterisk has no channel by that id (404). Any other failure throws. */
  async getChannel(channelId: string): Promise<AriChannel | null> {
    try {
      return await this.expectObject<AriChannel>('GET', `/channels/${seg(channelId)}`);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** The endpoints of one technology (`PJSIP`), with their registration state. */
  async listEndpoints(technology: string): Promise<AriEndpoint[]> {
    return this.expectArray<AriEndpoint>('GET', `/endpoints/${seg(technology)}`);
  }

  async getInfo(): Promise<AriAsteriskInfo> {
    return this.expectObject<AriAsteriskInfo>('GET', '/asterisk/info');
  }

  async originate(params: OriginateParams): Promise<AriChannel> {
    const { variables, timeoutSeconds, ...rest } = params;
    return this.expectObject<AriChannel>('POST', '/channels', { ...rest, timeout: timeoutSeconds }, variablesBody(variables));
  }

  async createChannel(params: CreateChannelParams): Promise<AriChannel> {
    const { variables, ...rest } = params;
    return this.expectObject<AriChannel>('POST', '/channels/create', rest, variablesBody(variables));
  }

  async hangup(channelId: string, reason?: HangupReason): Promise<void> {
    await this.request('DELETE', `/channels/${seg(channelId)}`, { reason });
  }

  async answer(channelId: string): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/answer`);
  }

  async ring(channelId: string): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/ring`);
  }

  async dial(channelId: string, options: DialOptions = {}): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/dial`, { caller: options.caller, timeout: options.timeoutSeconds });
  }

  async setVariable(channelId: string, variable: string, value: string): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/variable`, { variable, value });
  }

  /** `type` is a comma list of `mixing`, `holding`, `dtmf_events`, `proxy_media`, `video_sfu`, `video_single`. */
  async createBridge(type: string, name?: string): Promise<AriBridge> {
    return this.expectObject<AriBridge>('POST', '/bridges', { type, name });
  }

  async addChannel(bridgeId: string, channelId: string): Promise<void> {
    await this.request('POST', `/bridges/${seg(bridgeId)}/addChannel`, { channel: channelId });
  }

  /** Creates the bridge `bridgeId`, or updates it when it exists (PUT-like: retrying is harmless). */
  async createBridgeWithId(bridgeId: string, type: string, name?: string): Promise<AriBridge> {
    return this.expectObject<AriBridge>('POST', `/bridges/${seg(bridgeId)}`, { type, name });
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    await this.request('DELETE', `/bridges/${seg(bridgeId)}`);
  }

  /** Plays `media` (`sound:…`, `tone:…`, `digits:…`, a `sound:http://…` URL) on a channel under our own id. */
  async play(channelId: string, playbackId: string, media: string): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/play/${seg(playbackId)}`, { media });
  }

  /** Plays to everyone in a bridge (a conference's join and leave announcements). */
  async playOnBridge(bridgeId: string, playbackId: string, media: string): Promise<void> {
    await this.request('POST', `/bridges/${seg(bridgeId)}/play/${seg(playbackId)}`, { media });
  }

  /** Music on hold to everyone in a bridge, until stopBridgeMoh (a conference waiting for its host). */
  async startBridgeMoh(bridgeId: string): Promise<void> {
    await this.request('POST', `/bridges/${seg(bridgeId)}/moh`);
  }

  async stopBridgeMoh(bridgeId: string): Promise<void> {
    await this.request('DELETE', `/bridges/${seg(bridgeId)}/moh`);
  }

  /** Mutes a channel: `in`, what it says does not reach the others (a conference participant muted on entry). */
  async mute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/mute`, { direction });
  }

  async stopPlayback(playbackId: string): Promise<void> {
    await this.request('DELETE', `/playbacks/${seg(playbackId)}`);
  }

  /** Records a channel to the stored recording `name` (wav); ends on `#`, silence or `maxDurationSeconds`. */
  async record(channelId: string, name: string, options: { maxDurationSeconds: number; beep: boolean; maxSilenceSeconds?: number }): Promise<void> {
    await this.request('POST', `/channels/${seg(channelId)}/record`, {
      name,
      format: 'wav',
      maxDurationSeconds: options.maxDurationSeconds,
      maxSilenceSeconds: options.maxSilenceSeconds ?? 0,
      beep: options.beep ? 'true' : 'false',
      ifExists: 'overwrite',
      terminateOn: '#',
    });
  }

  /**
   * Records everything mixed in a bridge to the stored recording `name` (wav), until the bridge goes or
   * `maxDurationSeconds` pass: a whole conversation, both sides.
   */
  async recordBridge(bridgeId: string, name: string, options: { maxDurationSeconds: number }): Promise<void> {
    await this.request('POST', `/bridges/${seg(bridgeId)}/record`, {
      name,
      format: 'wav',
      maxDurationSeconds: options.maxDurationSeconds,
      ifExists: 'overwrite',
    });
  }

  async stopRecording(name: string): Promise<void> {
    await this.request('POST', `/recordings/live/${seg(name)}/stop`);
  }

  /** A stored recording's audio, or null when Asterisk has none by that name. */
  async storedRecordingFile(name: string): Promise<Buffer | null> {
    try {
      return await this.requestBytes('GET', `/recordings/stored/${seg(name)}/file`);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** Deletes a stored recording's file; false when Asterisk has none by that name (404). */
  async deleteStoredRecording(name: string): Promise<boolean> {
    try {
      await this.request('DELETE', `/recordings/stored/${seg(name)}`);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** `eventSource` like `channel:1795234290.29`, `bridge:{id}`, `endpoint:PJSIP/100`, `deviceState:{name}`. */
  async subscribe(app: string, eventSource: string): Promise<AriApplication> {
    return this.expectObject<AriApplication>('POST', `/applications/${seg(app)}/subscription`, { eventSource });
  }

  /**
   * Push configuration: creates or updates a sorcery object (`res_pjsip` `endpoint`, `auth`, `aor`) in a writable
   * wizard (sorcery.conf). An update keeps the attributes not given. The fields travel in the JSON body only, so
   * errors (which quote the path) never carry them: an auth's password is one.
   */
  async putDynamicConfig(configClass: string, objectType: string, id: string, fields: readonly { attribute: string; value: string }[]): Promise<void> {
    await this.request('PUT', `/asterisk/config/dynamic/${seg(configClass)}/${seg(objectType)}/${seg(id)}`, {}, JSON.stringify({ fields }));
  }

  /** Deletes a pushed sorcery object; false when Asterisk has none by that id (404). */
  async deleteDynamicConfig(configClass: string, objectType: string, id: string): Promise<boolean> {
    try {
      await this.request('DELETE', `/asterisk/config/dynamic/${seg(configClass)}/${seg(objectType)}/${seg(id)}`);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** Closes the HTTP connections; the client is unusable afterwards. */
  async close(): Promise<void> {
    if (!this.pool.closed) await this.pool.close();
  }

  private async expectArray<T>(method: string, path: string): Promise<T[]> {
    const reply = await this.request(method, path);
    if (!Array.isArray(reply)) throw this.failure(method, path, 'the reply is not a JSON array');
    return reply as T[];
  }

  private async expectObject<T>(method: string, path: string, query?: Query, body?: string): Promise<T> {
    const reply = await this.request(method, path, query, body);
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) {
      throw this.failure(method, path, 'the reply is not a JSON object');
    }
    return reply as T;
  }

  /** The parsed JSON reply, or null for an empty one (204). */
  private async request(method: string, path: string, query: Query = {}, body?: string): Promise<unknown> {
    const { statusCode, bytes } = await this.send(method, path, query, body, 'application/json');
    const text = bytes.toString('utf8');
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw this.failure(method, path, `invalid JSON in a ${statusCode} reply`, { cause: error });
    }
  }

  /** A binary reply (a recording's audio), up to MAX_FILE_BYTES. */
  private async requestBytes(method: string, path: string): Promise<Buffer> {
    return (await this.send(method, path, {}, undefined, '*/*')).bytes;
  }

  private async send(method: string, path: string, query: Query, body: string | undefined, accept: string): Promise<{ statusCode: number; bytes: Buffer }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { authorization: this.authorization, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let statusCode: number;
    let bytes: Buffer;
    try {
      const reply = await this.pool.request({
        method: method as 'GET',
        path: this.basePath + path + queryString(query),
        headers,
        body,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      statusCode = reply.statusCode;
      const length = Number(reply.headers['content-length'] ?? 0);
      if (length > MAX_FILE_BYTES) {
        await reply.body.dump();
        throw new Error(`the reply is larger than ${MAX_FILE_BYTES} bytes`);
      }
      bytes = Buffer.from(await reply.body.arrayBuffer());
    } catch (error) {
      const reason = signal.aborted ? `timed out after ${this.timeoutMs} ms` : describe(error);
      throw this.failure(method, path, reason, { cause: error, retryable: true });
    }
    if (statusCode >= 400) {
      const ariMessage = asteriskMessage(bytes.toString('utf8'));
      throw this.failure(method, path, `${statusCode} ${ariMessage}`, {
        retryable: statusCode >= 500 || statusCode === 429,
        status: statusCode,
        ariMessage,
      });
    }
    return { statusCode, bytes };
  }

  private failure(
    method: string,
    path: string,
    reason: string,
    extra: { cause?: unknown; retryable?: boolean; status?: number; ariMessage?: string } = {},
  ): AppError {
    const fullPath = `${this.basePath}${path}`;
    return new AppError(
      ERROR_CODES.ARI_REQUEST_FAILED,
      `ARI ${method} ${fullPath} on server "${this.serverName}" failed: ${reason}`,
      {
        retryable: extra.retryable ?? false,
        cause: extra.cause,
        details: { server: this.serverName, method, path: fullPath, status: extra.status ?? null, ariMessage: extra.ariMessage ?? null },
      },
    );
  }
}

/** The HTTP status Asterisk answered a failed request with, if it answered at all. */
function statusOf(error: unknown): number | null {
  const details = error instanceof AppError ? (error.details as { status?: unknown } | undefined) : undefined;
  return typeof details?.status === 'number' ? details.status : null;
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function variablesBody(variables: Record<string, string> | undefined): string | undefined {
  return variables === undefined ? undefined : JSON.stringify({ variables });
}

/** Asterisk replies `{"message": "..."}` on errors; fall back to a clipped raw body. */
export function asteriskMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      const { message, error } = parsed as { message?: unknown; error?: unknown };
      if (typeof message === 'string') return clip(message);
      if (typeof error === 'string') return clip(error);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const raw = text.trim();
  return raw === '' ? '(no message)' : clip(raw);
}

function clip(text: string): string {
  return text.length > MESSAGE_MAX_CHARS ? `${text.slice(0, MESSAGE_MAX_CHARS)}…` : text;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
