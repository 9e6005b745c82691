// A cluster's health, probed in the background (the long-running operator).
//
// Without it every tick probes /readyz of every cluster before anything else,
// so a push waits for N probe round trips before it is applied, and on a
// fleet of 100 busy apiservers that wait is most of the tick. Federation v1's
// cluster controller did the same as this: it probed each cluster on its own
// period (40 s) and the schedulers read the last verdict.
//
// A tick uses the last verdict while it is fresh. It probes at once instead
// when there is no verdict, when the verdict is older than two periods, or
// when the verdict is Ready but a request or watch of this cluster has lost
// its connection since (a killed apiserver is seen by the next tick, not a
// period later). A verdict that is not Ready is kept until the next
// background probe: re-probing a dead cluster inline would make every tick
// wait for its timeouts. A background probe whose verdict differs from the
// last calls onChange (the operator ticks: replicas move off a cluster that
// went Offline within one period, without waiting for the interval).
import { probeHealth, type HealthProbe } from './health.js';
import type { KubeHttp } from './kube-http.js';

export interface HealthMonitorOptions {
  /** How often a cluster is probed in the background (default 10 s, jittered by +-10 %). */
  periodMs?: number;
  /** The probe's timeout (health.ts: at most 3x this per probe). */
  timeoutMs?: number;
  /** A background probe found a different verdict than the last one. */
  onChange?: (next: HealthProbe, previous: HealthProbe) => void;
  /** A probe sends a request (metrics: how many of a cluster's requests are health probes, and whose). */
  onRequest?: (background: boolean) => void;
}

interface Verdict {
  probe: HealthProbe;
  at: number;
  /** KubeHttp.transportFailures when the probe was sent. */
  failures: number;
}

const DEFAULT_HEALTH_PERIOD_MS = 10_000;

export class HealthMonitor {
  private last?: Verdict;
  private inflight?: Promise<HealthProbe>;
  private timer?: NodeJS.Timeout;
  /** When a tick last asked: a cluster no tick asks about (another shard's) is not probed. */
  private wantedAt = 0;
  private stopped = false;
  private readonly periodMs: number;
  private readonly now = Date.now;

  constructor(private readonly http: KubeHttp, private readonly opts: HealthMonitorOptions = {}) {
    this.periodMs = opts.periodMs ?? DEFAULT_HEALTH_PERIOD_MS;
  }

  /** The verdict a tick should act on: the last one if it still holds, else a new probe. */
  async verdict(): Promise<HealthProbe> {
    this.wantedAt = this.now();
    const l = this.last;
    const fresh = l && this.now() - l.at <= 2 * this.periodMs;
    const lostSince = l && l.probe.health === 'Ready' && this.http.transportFailures !== l.failures;
    if (fresh && !lostSince) {
      if (!this.timer && !this.inflight) this.schedule();
      return l.probe;
    }
    return this.probe(false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One probe at a time: a tick that asks while the background probe runs waits for it. */
  private probe(background: boolean): Promise<HealthProbe> {
    if (this.inflight) return this.inflight;
    clearTimeout(this.timer);
    this.timer = undefined;
    const failures = this.http.transportFailures;
    const at = this.now();
    this.inflight = probeHealth(this.http, this.opts.timeoutMs, () => this.opts.onRequest?.(background)).then((probe) => {
      const previous = this.last?.probe;
      this.last = { probe, at, failures };
      if (background && previous && (previous.health !== probe.health || previous.reason !== probe.reason)) {
        try { this.opts.onChange?.(probe, previous); } catch { /* a listener's bug must not stop the probes */ }
      }
      return probe;
    }).finally(() => {
      this.inflight = undefined;
      this.schedule();
    });
    return this.inflight;
  }

  /** The next background probe, one period on (+-10 %), while ticks still ask about this cluster. */
  private schedule(): void {
    if (this.stopped || this.timer || this.now() - this.wantedAt > 3 * this.periodMs) return;
    const delay = this.periodMs * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // probeHealth turns every failure into a verdict; a throw here is a bug, kept off the event loop.
      this.probe(true).catch(() => undefined);
    }, delay);
    this.timer.unref?.();
  }
}
