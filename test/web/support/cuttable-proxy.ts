import { createConnection, createServer, type Server, type Socket } from 'node:net';

// A TCP proxy between the browser and the engine that the test can cut: every connection through it
// (the live WebSocket, HTTP keep-alive) ends at once, as when a network path or a load balancer drops,
// and while blocked it refuses new ones, so the dashboard stays disconnected for as long as the test needs.

export interface CuttableProxy {
  /** http://127.0.0.1:PORT: open the dashboard here. */
  baseUrl: string;
  /** Destroys every connection through the proxy. */
  cut(): void;
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    cut,
    block: () => {
      blocked = true;
    },
    unblock: () => {
      blocked = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
