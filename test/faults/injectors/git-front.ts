// A TCP front for the sandbox's git server that the operator is pointed at:
// "pass" forwards to the real server; "stall" accepts connections and never
// answers (a hung server or load balancer: kept-alive connections stop
// answering too); "trickle" starts an answer and then sends one more byte of
// its header every second, forever (a connection that is never idle, so an
// idle-socket timeout never fires: only a deadline on the whole request helps);
// "refuse" closes the port (connection refused). Stalled and trickling
// connections stay so until the front is closed, as with a real hung server.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type GitFrontMode = 'pass' | 'stall' | 'trickle' | 'refuse';

export interface GitFront {
  port: number;
  /** The same URL path on the front. */
  urlFor(path: string): string;
  setMode(mode: GitFrontMode): Promise<void>;
  /** Bytes clients sent into stalled connections (proof the client really waited on the stall). */
  stalledBytes(): number;
  close(): Promise<void>;
}

export async function startGitFront(upstreamPort: number): Promise<GitFront> {
  let mode: GitFrontMode = 'pass';
  let stalledBytes = 0;
  const sockets = new Set<Socket>();
  /** client -> its connection to the real server, while forwarding */
  const forwarding = new Map<Socket, Socket>();
  const track = (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); s.on('error', () => undefined); };
  const timers = new Set<NodeJS.Timeout>();
  const stall = (client: Socket) => {
    client.on('data', (d: Buffer) => { stalledBytes += d.length; }); // read and drop
    client.resume();
    if (mode !== 'trickle') return; // stall: never write a byte
    client.write('HTTP/1.1 200 OK\r\nX-Never-Ends: ');
    const t = setInterval(() => client.write('x'), 1000);
    timers.add(t);
    client.once('close', () => { clearInterval(t); timers.delete(t); });
  };
  const onConnection = (client: Socket) => {
    track(client);
    if (mode === 'stall' || mode === 'trickle') { stall(client); return; }
    const up = createConnection({ host: '127.0.0.1', port: upstreamPort });
    track(up);
    forwarding.set(client, up);
    client.pipe(up).pipe(client);
    client.once('close', () => { forwarding.delete(client); up.destroy(); });
    up.once('close', () => { if (forwarding.get(client) === up) client.destroy(); });
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
      if (m === 'stall' || m === 'trickle') {
        // Kept-alive connections go silent as well: the server behind them hangs.
        for (const [client, up] of forwarding) {
          forwarding.delete(client);
          client.unpipe(up);
          up.unpipe(client);
          up.destroy();
          stall(client);
        }
      } else if (m === 'refuse') {
        const closed = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy(); // kept-alive connections too: the server is gone
        await closed; // (close waits for every connection to end)
      } else if (!listening()) {
        server = createServer(onConnection);
        await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      }
    },
    stalledBytes: () => stalledBytes,
    close: async () => {
      for (const t of timers) clearInterval(t);
      const closed = listening() ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
