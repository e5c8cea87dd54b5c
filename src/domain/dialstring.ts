// What a Dial event's dialstring says was dialled. The dialstring is the endpoint's resource after the
// technology (`PJSIP/` is not in it): `+4930123@provider` (a number through an endpoint),
// `provider/sip:+4930123@carrier.example` (a URI through an endpoint), `100@from-internal/n` (a Local
// channel with options), `provider/4930123` (chan_sip, IAX2), or an endpoint alone (`alice`).

// Local channel options after the context: `/n`, `/j`, `/nm`, `/b`.
const LOCAL_OPTIONS = /\/[a-zA-Z]+$/;
const URI_SCHEME = /^(?:sips?|tel):/i;

/** The number or name that was dialled: the user part of the last segment of the dialstring. */
export function dialledTarget(dialstring: string): string {
  const text = dialstring.trim();
  const withoutOptions = text.includes('@') && LOCAL_OPTIONS.test(text) ? text.replace(LOCAL_OPTIONS, '') : text;
  const last = withoutOptions.slice(withoutOptions.lastIndexOf('/') + 1).replace(URI_SCHEME, '');
  const at = last.indexOf('@');
  const user = at >= 0 ? last.slice(0, at) : last;
  const semi = user.indexOf(';');
  return semi >= 0 ? user.slice(0, semi) : user;
}

/** A telephone number (digits, an optional leading `+`), as opposed to an endpoint or user name. */
export function isPhoneNumber(text: string): boolean {
  return /^\+?\d+$/.test(text);
}
