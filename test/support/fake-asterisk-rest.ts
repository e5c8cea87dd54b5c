import type { AriBridge, AriChannel, AriEndpoint } from '../../src/ari/types.ts';

// The REST side of the fake Asterisk as plain data: live channels, bridges and variables, and the
// routes that read and change them. No I/O here; fake-asterisk.ts owns the sockets.

/** `body` goes as JSON, except a Buffer, which goes as is (a stored recording's file). */
export type Reply = { status: number; body?: unknown };

export interface FakeAriHooks {
  /** Delivers an event to every events socket (only when the fake emits channel events). */
  emit(event: Record<string, unknown>): void;
  /** Apps registered by the events sockets so far. */
  apps(): Array<{ app: string; subscribeAll: boolean }>;
}

export function asteriskTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export class FakeAriRest {
  readonly channels = new Map<string, AriChannel>();
  readonly bridges = new Map<string, AriBridge>();
  /** Channel variables set over REST, by channel id. */
  readonly variables = new Map<string, Map<string, string>>();
  /** Reply of GET /ari/asterisk/info. */
  info: unknown = {};
  /** The phones GET /ari/endpoints[/PJSIP] lists (none unless a test sets them). */
  endpoints: AriEndpoint[] = [];
  /** Recordings under way (bridge or channel), by name. */
  readonly liveRecordings = new Map<string, { target: string }>();
  /** Stored recordings' files, by name: a test finishes a recording with finishRecording(). */
  readonly storedRecordings = new Map<string, Buffer>();
  private nextId = 1;

  constructor(private readonly hooks: FakeAriHooks) {}

  /** Ends a recording under way: its file is stored; returns the RecordingFinished event for the test to send. */
  finishRecording(name: string, audio: Buffer, durationS: number): Record<string, unknown> {
    const live = this.liveRecordings.get(name);
    if (!live) throw new Error(`no recording ${name} under way`);
    this.liveRecordings.delete(name);
    this.storedRecordings.set(name, audio);
    return {
      type: 'RecordingFinished',
      timestamp: asteriskTimestamp(),
      application: 'callflow',
      recording: { name, format: 'wav', state: 'done', target_uri: live.target, duration: durationS },
    };
  }

  setLiveChannels(channels: AriChannel[]): void {
    this.channels.clear();
    for (const channel of channels) this.channels.set(channel.id, channel);
  }

  setLiveBridges(bridges: AriBridge[]): void {
    this.bridges.clear();
    for (const bridge of bridges) this.bridges.set(bridge.id, bridge);
  }

  route(method: string, url: URL, body: unknown): Reply {
    const p = { ...Object.fromEntries(url.searchParams), ...bodyParams(body) };
    const path = url.pathname.replace(/\/+$/, '');
    const key = `${method} ${path}`;
    if (key === 'GET /ari/channels') return { status: 200, body: [...this.channels.values()] };
    if (key === 'GET /ari/bridges') return { status: 200, body: [...this.bridges.values()] };
    if (key === 'GET /ari/asterisk/info') return { status: 200, body: this.info };
    if (key === 'GET /ari/endpoints') return { status: 200, body: this.endpoints };
    const technology = /^GET \/ari\/endpoints\/([^/]+)$/.exec(key)?.[1];
    if (technology !== undefined) return { status: 200, body: this.endpoints.filter((e) => e.technology === decodeURIComponent(technology)) };
    if (key === 'POST /ari/channels' || key === 'POST /ari/channels/create') return this.originate(p, variablesOf(body));
    if (key === 'POST /ari/bridges') return this.createBridge(p);
    let m = /^\/ari\/channels\/([^/]+)(?:\/(answer|ring|dial|variable))?$/.exec(path);
    if (m) return this.channelAction(method, decodeURIComponent(m[1]!), m[2] ?? '', p);
    // A bridge created with the id it is to have (as the routing runtime creates them).
    m = /^\/ari\/bridges\/([^/]+)$/.exec(path);
    if (m && method === 'POST') return this.createBridge({ ...p, bridgeId: decodeURIComponent(m[1]!) });
    m = /^\/ari\/bridges\/([^/]+)\/addChannel$/.exec(path);
    if (m && method === 'POST') return this.addToBridge(decodeURIComponent(m[1]!), p.channel);
    m = /^\/ari\/bridges\/([^/]+)\/record$/.exec(path);
    if (m && method === 'POST') return this.startRecording(`bridge:${decodeURIComponent(m[1]!)}`, p.name);
    m = /^\/ari\/recordings\/stored\/([^/]+)(\/file)?$/.exec(path);
    if (m) return this.storedRecording(method, decodeURIComponent(m[1]!), m[2] !== undefined);
    m = /^\/ari\/applications\/([^/]+)(\/subscription)?$/.exec(path);
    if (m && (method === 'GET' || (method === 'POST' && m[2]))) return this.application(decodeURIComponent(m[1]!), m[2] ? p.eventSource : undefined);
    return ariError(404, 'Resource not found');
  }

  private startRecording(target: string, name: string | undefined): Reply {
    if (!name) return ariError(400, 'Recording name must be specified');
    const bridgeId = target.startsWith('bridge:') ? target.slice('bridge:'.length) : null;
    if (bridgeId !== null && !this.bridges.has(bridgeId)) return ariError(404, 'Bridge not found');
    this.liveRecordings.set(name, { target });
    return { status: 201, body: { name, format: 'wav', state: 'queued', target_uri: target } };
  }

  private storedRecording(method: string, name: string, file: boolean): Reply {
    const audio = this.storedRecordings.get(name);
    if (audio === undefined) return ariError(404, 'Recording not found');
    if (method === 'DELETE' && !file) {
      this.storedRecordings.delete(name);
      return { status: 204 };
    }
    if (method === 'GET') return file ? { status: 200, body: audio } : { status: 200, body: { name, format: 'wav' } };
    return ariError(405, 'Method not allowed');
  }

  private originate(p: Record<string, string>, variables: Record<string, string>): Reply {
    const endpoint = p.endpoint;
    if (!endpoint) return ariError(400, 'Endpoint must be specified');
    const id = p.channelId ?? `${Math.floor(Date.now() / 1000)}.${this.nextId}`;
    if (this.channels.has(id)) return ariError(409, 'Channel with given unique ID already exists');
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
    this.hooks.emit({ type: 'ChannelCreated', timestamp: now, channel });
    return { status: 200, body: channel };
  }

  private channelAction(method: string, id: string, action: string, p: Record<string, string>): Reply {
    const channel = this.channels.get(id);
    if (!channel) return ariError(404, 'Channel not found');
    const key = `${method} ${action}`;
    if (key === 'GET ') return { status: 200, body: channel };
    if (key === 'DELETE ') {
      this.channels.delete(id);
      this.variables.delete(id);
      const timestamp = asteriskTimestamp();
      this.hooks.emit({ type: 'ChannelHangupRequest', timestamp, cause: 32, soft: true, channel });
      this.hooks.emit({ type: 'ChannelDestroyed', timestamp, cause: 16, cause_txt: 'Normal Clearing', channel });
      return { status: 204 };
    }
    if (key === 'POST answer' || key === 'POST ring') {
      channel.state = action === 'answer' ? 'Up' : 'Ringing';
      this.hooks.emit({ type: 'ChannelStateChange', timestamp: asteriskTimestamp(), channel });
      return { status: 204 };
    }
    if (key === 'POST dial') return { status: 204 };
    if (key === 'POST variable' || key === 'GET variable') {
      if (!p.variable) return ariError(400, 'Variable name is required');
      const vars = this.variables.get(id) ?? new Map<string, string>();
      this.variables.set(id, vars);
      if (method === 'POST') {
        vars.set(p.variable, p.value ?? '');
        return { status: 204 };
      }
      const value = vars.get(p.variable);
      return value === undefined ? ariError(404, 'Provided variable was not found') : { status: 200, body: { value } };
    }
    return ariError(404, 'Resource not found');
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
    if (!bridge) return ariError(404, 'Bridge not found');
    if (!channelId || !this.channels.has(channelId)) return ariError(400, 'Channel not found');
    if (!bridge.channels.includes(channelId)) bridge.channels.push(channelId);
    return { status: 204 };
  }

  private application(app: string, eventSource: string | undefined): Reply {
    if (!this.hooks.apps().some((c) => c.app === app)) return ariError(404, 'Application not found');
    const all = this.hooks.apps().some((c) => c.app === app && c.subscribeAll);
    const channelIds = all ? ['__AST_CHANNEL_ALL_TOPIC'] : [];
    if (eventSource !== undefined) {
      const m = /^channel:(.+)$/.exec(eventSource);
      if (!m) return ariError(400, 'Invalid event source');
      if (!this.channels.has(m[1]!)) return ariError(422, 'Event source does not exist');
      channelIds.push(m[1]!);
    }
    const body = { name: app, channel_ids: channelIds, bridge_ids: [], endpoint_ids: [], device_names: [], events_allowed: [], events_disallowed: [] };
    return { status: 200, body };
  }
}

/** An error reply shaped like Asterisk's. */
export function ariError(status: number, message: string): Reply {
  return { status, body: { message } };
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
