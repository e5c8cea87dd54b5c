import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// An HTTP server on 127.0.0.1 that can be "taken down": while down it drops every connection
// without an answer, as a crashed or unreachable CRM would.

export class LoopbackServer {
  #server: Server;
  #sockets = new Set<Socket>();
  #down = false;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
    this.#server = createServer((req, res) => {
      if (this.#down) {
        req.socket.destroy();
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
