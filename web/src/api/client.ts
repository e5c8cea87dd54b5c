// Every HTTP call the dashboard makes goes through here: it adds the API key when one is in use (always in
// a header, never in a URL) and, for requests that change something, the session's CSRF token (the session
// cookie itself is sent by the browser: same origin, HttpOnly). A 401 turns into the login page instead of
// an error on each view, except a refused password (CF_LOGIN_FAILED), which the form that sent it reports.
import { getApiKey, getCsrfToken, markAuthRequired } from '../state/api-key.ts';
import type { ApiErrorBody } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before trying again (429 answers). */
  readonly retryAfterSec: number | null;
  /** What the code alone does not say (bad fields, the objects using one): the answer's `details`. */
  readonly details: unknown[];

  constructor(status: number, code: string, message: string, retryAfterSec: number | null = null, details: unknown[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSec = retryAfterSec;
    this.details = details;
  }
}

export const LOGIN_FAILED = 'CF_LOGIN_FAILED';

/** The credentials of a request: the API key header, and the CSRF token for anything but GET and HEAD. */
export function authHeaders(method = 'GET'): Record<string, string> {
  const headers: Record<string, string> = {};
  const key = getApiKey();
  if (key) headers['x-api-key'] = key;
  const csrf = getCsrfToken();
  if (csrf && method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
  return headers;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    // Not JSON (a proxy's error page): the status alone has to do.
  }
  const retryHeader = Number(response.headers.get('retry-after'));
  const retryAfterSec = Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null;
  const details = Array.isArray(body.details) ? body.details : [];
  return new ApiError(response.status, body.code ?? `HTTP_${response.status}`, body.message ?? response.statusText, retryAfterSec, details);
}

/** A 401 means "log in", unless it is the answer to a password that was not right. */
async function failure(response: Response): Promise<ApiError> {
  const error = await errorFrom(response);
  if (error.status === 401 && error.code !== LOGIN_FAILED) markAuthRequired();
  return error;
}

export interface GetOptions {
  signal?: AbortSignal;
  /** Statuses whose body is still the expected JSON (health answers 503 with its report). */
  acceptStatuses?: number[];
}

export async function getJson<T>(path: string, options: GetOptions = {}): Promise<T> {
  const response = await fetch(path, {
    headers: { accept: 'application/json', ...authHeaders() },
    signal: options.signal,
  });
  if (response.status === 401) throw await failure(response);
  if (!response.ok && !(options.acceptStatuses ?? []).includes(response.status)) throw await failure(response);
  return (await response.json()) as T;
}

/** A request that changes something, with an optional JSON body; the answer's JSON, or null for 204. */
export async function sendJson<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(method) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null as T;
  return (await response.json()) as T;
}

/** An action without a body (e.g. sending dead deliveries again); the answer's JSON. */
export function postJson<T>(path: string): Promise<T> {
  return sendJson<T>('POST', path);
}

/** Fetches a file with the key header and hands it to the browser as a download. */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw await failure(response);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A single-use ticket for opening the live stream, bought with the key in a header. */
export async function fetchLiveTicket(signal?: AbortSignal): Promise<string> {
  const response = await fetch('/api/live/tickets', { method: 'POST', headers: { accept: 'application/json', ...authHeaders('POST') }, signal });
  if (!response.ok) throw await failure(response);
  return ((await response.json()) as { ticket: string }).ticket;
}

export interface LiveResume {
  stream: string;
  since: number;
}

/** The live stream's address: a ticket (never the key) and, after a disconnect, where to resume. */
export function liveSocketUrl(ticket: string, resume: LiveResume | null): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams({ ticket });
  if (resume) {
    query.set('since', String(resume.since));
    query.set('stream', resume.stream);
  }
  return `${scheme}//${location.host}/api/live?${query.toString()}`;
}
