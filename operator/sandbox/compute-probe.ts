// Whether the cluster behind an instance group answers at all. Google's
// health checks go to the nodes, not through the cluster's GLBC, so a
// stopped or paused cluster (whose GLBC cannot run to say so) must still turn
// UNHEALTHY. GLBC's stand-in registers each group's cluster apiserver here;
// the compute stand-in asks it on getHealth. Any HTTP answer to /readyz
// within the timeout counts: a paused process accepts the TCP connection
// (the kernel does) but never answers, a stopped one refuses it.
import { request } from 'node:https';
import type { Reachability } from './compute-store.js';

export interface ProbeTarget { cluster: string; server: string; ca: string }

/** Answers are kept this long, so one status round's getHealth calls share one probe per cluster. */
const CACHE_MS = 1000;

export class ClusterProbes {
  private readonly targets = new Map<string, ProbeTarget>();
  private readonly cache = new Map<string, { at: number; result: Promise<NonNullable<Reachability>> }>();

  constructor(private readonly timeoutMs = 1500) {}

  /** groupKey: "projects/P/zones/Z/instanceGroups/N". */
  register(groupKey: string, t: ProbeTarget): void {
    this.targets.set(groupKey, t);
  }

  async reachable(groupKey: string): Promise<Reachability> {
    const t = this.targets.get(groupKey);
    if (!t) return undefined;
    const hit = this.cache.get(t.server);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.result;
    const result = this.probe(t);
    this.cache.set(t.server, { at: Date.now(), result });
    return result;
  }

  private probe(t: ProbeTarget): Promise<NonNullable<Reachability>> {
    return new Promise((resolve) => {
      const req = request(new URL('/readyz', t.server), { ...(t.ca ? { ca: t.ca } : {}), timeout: this.timeoutMs, agent: false }, (res) => {
        res.resume();
        resolve({ ok: true, detail: `cluster ${t.cluster} answered (HTTP ${res.statusCode})` });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // Only silence counts: a TLS complaint is an answer too.
        const silent = !e.code || /^(ECONN|EHOST|ENET|ETIMEDOUT|EPIPE)/.test(e.code);
        resolve(silent ? { ok: false, detail: `the nodes of cluster ${t.cluster} do not answer (its apiserver ${t.server}: ${e.message})` } : { ok: true, detail: `cluster ${t.cluster} answered (${e.code})` });
      });
      req.end();
    });
  }
}
