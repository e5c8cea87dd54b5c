import { createServer, connect, type Server, type Socket } from 'node:net';

// A TCP proxy in front of PostgreSQL that reads the client's side of the wire protocol and can break a
// connection at its next COMMIT: the way a network drop or a dying process leaves a write whose outcome the
// client cannot know. Every other connection and message passes through unchanged.
//
// Frontend messages after the startup message are a type byte and an int32 length that counts itself; a
// simple query ('Q') carries its text NUL-terminated. The startup message has no type byte.

export type CommitBreak =
  /** COMMIT reaches the server, which commits; its answer never reaches the client and the connection closes. */
  | 'answer-lost'
  /** COMMIT reaches the server, which commits; its answer is held back and the connection stays open. */
  | 'answer-held'
  /** COMMIT never reaches the server; the client's connection closes, the server's stays open (idle in transaction). */
  | 'commit-lost';

export interface PgProxy {
  url: string;
  /** Breaks the next connection that sends COMMIT, as `how` says. Resolves once it has. */
  breakNextCommit(how: CommitBreak): Promise<void>;
  /** Server processes of the connections broken so far. */
  readonly brokenPids: number[];
  close(): Promise<void>;
}

const QUERY = 0x51; // 'Q'
const BACKEND_KEY_DATA = 0x4b; // 'K'

export async function startPgProxy(targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let armed: { how: CommitBreak; done: () => void } | null = null;
  const brokenPids: number[] = [];

  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let pid = 0;
    let cut: { how: CommitBreak; done: () => void } | null = null;

    client.on('close', () => {
      sockets.delete(client);
      // The server's side stays open only where the break is meant to leave a transaction behind.
      if (cut?.how !== 'commit-lost') upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);

    let fromServer = Buffer.alloc(0);
    upstream.on('data', (data: Buffer) => {
      if (pid === 0) {
        fromServer = Buffer.concat([fromServer, data]);
        pid = backendPid(fromServer);
      }
      if (cut === null) {
        client.write(data);
        return;
      }
      // The server has answered the COMMIT, so it has committed; the answer goes no further.
      if (cut.how === 'answer-lost') client.destroy();
      cut.done();
    });

    let fromClient = Buffer.alloc(0);
    let startupSeen = false;
    client.on('data', (data: Buffer) => {
      if (cut !== null) return;
      fromClient = Buffer.concat([fromClient, data]);
      let at = 0;
      if (!startupSeen) {
        if (fromClient.length < 4 || fromClient.length < fromClient.readInt32BE(0)) return;
        startupSeen = true;
        at = fromClient.readInt32BE(0);
      }
      while (at + 5 <= fromClient.length) {
        const end = at + 1 + fromClient.readInt32BE(at + 1);
        if (end > fromClient.length) break;
        if (armed && fromClient[at] === QUERY && queryText(fromClient, at, end) === 'COMMIT') {
          cut = armed;
          armed = null;
          brokenPids.push(pid);
          upstream.write(fromClient.subarray(0, cut.how === 'commit-lost' ? at : end));
          if (cut.how === 'commit-lost') {
            client.destroy();
            cut.done();
          }
          return;
        }
        at = end;
      }
      upstream.write(fromClient.subarray(0, at));
      fromClient = fromClient.subarray(at);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);

  return {
    url: url.toString(),
    brokenPids,
    breakNextCommit: (how) => new Promise<void>((resolve) => (armed = { how, done: resolve })),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function queryText(buffer: Buffer, start: number, end: number): string {
  return buffer.toString('utf8', start + 5, end - 1).trim().toUpperCase();
}

/** The server process id from BackendKeyData among the server's first messages; 0 until it has come. */
function backendPid(messages: Buffer): number {
  for (let at = 0; at + 5 <= messages.length; ) {
    const end = at + 1 + messages.readInt32BE(at + 1);
    if (end > messages.length) break;
    if (messages[at] === BACKEND_KEY_DATA) return messages.readInt32BE(at + 5);
    at = end;
  }
  return 0;
}
