// Free loopback ports, chosen by the kernel.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** A process that could not bind its port says so in its log, which start errors carry. */
export function isPortConflict(e: unknown): boolean {
  return /address already in use/i.test(e instanceof Error ? e.message : String(e));
}

/**
 * Start something on `n` free ports, and on new ones if a port was taken
 * between our check and its bind: the kernel hands out the same range as
 * source ports of outgoing connections, and many tests start sandboxes at
 * once, so that window is real (it failed a CI run).
 */
export async function onFreshPorts<T>(n: number, start: (ports: number[]) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePorts(n));
    } catch (e) {
      if (attempt >= attempts || !isPortConflict(e)) throw e;
    }
  }
}
