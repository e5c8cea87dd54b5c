import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

// HTTP requests sent exactly as written: Node's client keeps the path as given (dot segments, doubled
// slashes, escapes), unlike inject() and fetch(), which normalize it the way a browser would. An attacker's
// client does not.

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The server switched protocols (a WebSocket upgrade was accepted). */
  upgraded: boolean;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Ask for a WebSocket upgrade. */
  upgrade?: boolean;
  timeoutMs?: number;
}

export function rawHttp(baseUrl: string, agent?: Agent): (req: RawRequest) => Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return (r) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      if (r.upgrade) {
        Object.assign(headers, {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
        });
      }
      if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
      const req = request({
        host: hostname,
        port: Number(port),
        method: r.method ?? 'GET',
        path: r.path,
        headers,
        agent: r.upgrade ? false : (agent ?? false),
        timeout: r.timeoutMs ?? 15_000,
      });
      req.on('timeout', () => req.destroy(new Error(`no answer to ${r.method ?? 'GET'} ${r.path} in time`)));
      req.on('error', reject);
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', upgraded: true });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), upgraded: false }));
        res.on('error', reject);
      });
      req.end(r.body);
    });
}
