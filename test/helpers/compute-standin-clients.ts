// One Compute Engine stand-in per test file, and real @google-cloud/compute
// clients pointed at it (closed with it after the file's tests).
import { after, before } from 'node:test';
import { computeClientOptions } from '../../operator/gce/gce-clients.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';

export interface StandinClients {
  readonly standin: ComputeStandin;
  /** A client of class C on the stand-in (e.g. `client(UrlMapsClient)`). */
  client<T extends { close(): Promise<void> }>(C: new (opts: any) => T): T;
}

/** Registers the file's before/after hooks: call it at the top level of a test file. */
export function useComputeStandin(): StandinClients {
  let standin: ComputeStandin | undefined;
  let o: ReturnType<typeof computeClientOptions>;
  const closers: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    standin = await startComputeStandin();
    o = computeClientOptions({ endpoint: standin.url, token: 't' });
  });
  after(async () => {
    await Promise.all(closers.map((c) => c.close()));
    await standin?.close();
  });
  return {
    get standin() { return standin!; },
    client(C) {
      const c = new C(o);
      closers.push(c);
      return c;
    },
  };
}
