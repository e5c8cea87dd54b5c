import { request } from 'undici';
import { crmRequestError } from '../errors.ts';
import { isTimeoutReason } from './deadline.ts';

// One HTTP POST to a CRM target. Failures become AppErrors that name the target, never the URL
// (a Bitrix24 webhook URL carries its secret code).

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const MAX_ANSWER_BYTES = 1 << 20;

export async function postRequest(
  target: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  try {
    const res = await request(url, { method: 'POST', body, headers, signal });
    let text = '';
    for await (const chunk of res.body) {
      if (text.length < MAX_ANSWER_BYTES) text += chunk.toString();
    }
    return { status: res.statusCode, headers: res.headers, text };
  } catch (cause) {
    const timedOut = signal.aborted && isTimeoutReason(signal.reason);
    const code = (cause as { code?: string }).code ?? (cause as Error).name;
    return Promise.reject(
      crmRequestError(`${target}: ${timedOut ? 'request timed out' : `request failed (${code})`}`, { target, targetDown: true }, { retryable: true, cause }),
    );
  }
}
