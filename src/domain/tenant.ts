// Which tenant a call belongs to is decided once, from the channel that founded it (docs/tenants.md, "How a
// call finds its tenant"). The domain only asks; the rules live outside it (src/tenants), so grouping stays
// free of I/O and of whatever the rules are read from.

export const DEFAULT_TENANT = 'default';

/** What of a call's founding channel the rules look at. */
export interface FoundingChannel {
  /** The ARI server name the call ran on. */
  server: string;
  /** The dialplan context when the engine first saw the channel. */
  context: string;
  /** The dialplan extension when the engine first saw the channel: the number the call was placed to. */
  exten: string;
  /** `PJSIP/acme-trunk`: the channel name without its unique suffix. */
  endpoint: string;
}

export type TenantOf = (channel: FoundingChannel) => string;

/** No rules: every call is the default tenant's (a single-tenant install, and every test that does not care). */
export const defaultTenantOnly: TenantOf = () => DEFAULT_TENANT;
