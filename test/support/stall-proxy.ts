import { connect, createServer, type Socket } from 'node:net';

// A TCP proxy that can stop forwarding without closing anything: the way a frozen server, a hung VM or a
// network path that drops packets looks to a client. Connections stay open, bytes sent into them go
// nowhere until `resume()`.

export interface StallProxy {
  /** host:port of the proxy. */
  readonly port: number;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(targetHost: string, targetPort: number): Promise<StallProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const held: (() => void)[] = [];

  const pipe = (from: Socket, to: Socket): void => {
    from.on('data', (data: Buffer) => {
      if (stalled) held.push(() => to.write(data));
      else to.write(data);
    });
  };

  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as { port: number }).port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const send of held.splice(0)) send();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
