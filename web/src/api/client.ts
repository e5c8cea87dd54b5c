// Every HTTP call the dashboard makes goes through here: it adds the API key (always in a header, never in
// a URL) and turns a 401 into the key prompt instead of an error on each view.
import { getApiKey, markAuthRequired } from '../state/api-key.ts';
import type { ApiErrorBody } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { 'x-api-key': key } : {};
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    // Not JSON (a proxy's error page): the status alone has to do.
  }
  return new ApiError(response.status, body.code ?? `HTTP_${response.status}`, body.message ?? response.statusText);
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
  if (response.status === 401) {
    markAuthRequired();
    throw await errorFrom(response);
  }
  if (!response.ok && !(options.acceptStatuses ?? []).includes(response.status)) throw await errorFrom(response);
  return (await response.json()) as T;
}

/** An action without a body (e.g. sending dead deliveries again); the answer's JSON. */
export async function postJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { accept: 'application/json', ...authHeaders() } });
  if (response.status === 401) {
    markAuthRequired();
    throw await errorFrom(response);
  }
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}

/** Fetches a file with the key header and hands it to the browser as a download. */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(path, { headers: authHeaders() });
  if (response.status === 401) markAuthRequired();
  if (!response.ok) throw await errorFrom(response);
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
  const response = await fetch('/api/live/tickets', { method: 'POST', headers: { accept: 'application/json', ...authHeaders() }, signal });
  if (response.status === 401) markAuthRequired();
  if (!response.ok) throw await errorFrom(response);
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
