// Raw ARI JSON as Asterisk sends it (field names and shapes as in test/fixtures/ari). Only the REST
// client and the normalizer read these; the domain sees normalized events instead.

export interface AriCallerId {
  name: string;
  number: string;
}

export interface AriDialplanCep {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface AriChannel {
  /** The channel's uniqueid. */
  id: string;
  /** e.g. `PJSIP/sipp-00000003`, `Local/100@from-test-00000001;2`. */
  name: string;
  /** Whatever the server sends (`Down`, `Ring`, `Ringing`, `Up`, `Busy`, ...); the published enum is incomplete. */
  state: string;
  /** SIP Call-ID; empty for Local channels. */
  protocol_id: string;
  caller: AriCallerId;
  connected: AriCallerId;
  accountcode: string;
  dialplan: AriDialplanCep;
  /** `YYYY-MM-DDTHH:MM:SS.mmm+ZZZZ` in the server's local zone. */
  creationtime: string;
  language: string;
  caller_rdnis?: string;
  tenantid?: string;
  /** Present only when ari.conf `channelvars` lists variables, e.g. `CHANNEL(linkedid)`. */
  channelvars?: Record<string, string>;
}

export interface AriBridge {
  id: string;
  technology: string;
  bridge_type: string;
  bridge_class: string;
  creator: string;
  name: string;
  /** Ids of the channels in the bridge. */
  channels: string[];
  creationtime: string;
  video_mode?: string;
  video_source_id?: string;
}

/** One entry of `GET /ari/endpoints/{tech}`: `state` is `online`, `offline`, `unknown` or `disabled`. */
export interface AriEndpoint {
  technology: string;
  resource: string;
  state?: string;
  channel_ids: string[];
}

/** Reply of `GET /ari/asterisk/info`; every section is optional (the `only` filter drops the others). */
export interface AriAsteriskInfo {
  build?: { os: string; kernel: string; machine: string; options: string; date: string; user: string };
  system?: { version: string; entity_id: string };
  config?: Record<string, unknown>;
  status?: { startup_time: string; last_reload_time: string };
}

/** Reply of the application resources, e.g. `POST /ari/applications/{app}/subscription`. */
export interface AriApplication {
  name: string;
  channel_ids: string[];
  bridge_ids: string[];
  endpoint_ids: string[];
  device_names: string[];
  events_allowed?: unknown[];
  events_disallowed?: unknown[];
}
