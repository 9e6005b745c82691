// A TCP front for the sandbox's git server that the operator is pointed at:
// "pass" forwards to the real server, "stall" accepts connections and never
// answers (a hung load balancer), "refuse" closes the port (connection
// refused). Stalled connections stay stalled until the front is closed, as
// they would with a server that never answers: only a client-side timeout
// gets the client out.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type GitFrontMode = 'pass' | 'stall' | 'refuse';

export interface GitFront {
  port: number;
  /** The same URL path on the front. */
  urlFor(path: string): string;
  setMode(mode: GitFrontMode): Promise<void>;
  /** Connections accepted while stalled. */
  stalled(): number;
  close(): Promise<void>;
}

export async function startGitFront(upstreamPort: number): Promise<GitFront> {
  let mode: GitFrontMode = 'pass';
  let stalledCount = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); s.on('error', () => undefined); };
  const onConnection = (client: Socket) => {
    track(client);
    if (mode === 'stall') {
      stalledCount++;
      client.resume(); // read and drop the request; never write a byte
      return;
    }
    const up = createConnection({ host: '127.0.0.1', port: upstreamPort });
    track(up);
    client.pipe(up).pipe(client);
    client.once('close', () => up.destroy());
    up.once('close', () => client.destroy());
  };
  let server: Server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const listening = () => server.listening;
  return {
    port,
    urlFor: (path) => `http://127.0.0.1:${port}${path}`,
    setMode: async (m) => {
      mode = m;
      if (m === 'refuse') {
        const closed = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy(); // kept-alive connections too: the server is gone
        await closed; // (close waits for every connection to end)
      } else if (!listening()) {
        server = createServer(onConnection);
        await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      }
    },
    stalled: () => stalledCount,
    close: async () => {
      const closed = listening() ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
