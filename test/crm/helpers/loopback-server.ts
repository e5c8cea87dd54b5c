import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// An HTTP server on 127.0.0.1 that can be "taken down": while down it drops every connection
// without an answer, as a crashed or unreachable CRM would. It can also hold requests: a hung server
// that accepts them and never answers.

export class LoopbackServer {
  #server: Server;
  #sockets = new Set<Socket>();
  #down = false;
  #holding = false;
  #held = new Set<IncomingMessage>();
  /** Requests taken while holding (never answered). */
  heldCount = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
    this.#server = createServer((req, res) => {
      if (this.#down) {
        req.socket.destroy();
        return;
      }
      if (this.#holding) {
        this.heldCount += 1;
        this.#held.add(req);
        req.on('close', () => this.#held.delete(req));
        req.resume();
        return;
      }
      void handler(req, res);
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  setDown(down: boolean): void {
    this.#down = down;
    if (down) for (const s of this.#sockets) s.destroy();
  }

  /** While holding, requests are accepted and never answered; ending the hold drops the held ones. */
  setHolding(holding: boolean): void {
    this.#holding = holding;
    if (!holding) for (const req of this.#held) req.socket.destroy();
  }

  /** Requests held open right now. */
  get holdingNow(): number {
    return this.#held.size;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}
