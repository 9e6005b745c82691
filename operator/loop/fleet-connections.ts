// The operator's connections to its member clusters, kept across ticks and
// made again only when the fleet's clusters (name, context) change. Each
// connection gets a watch cache (quiet ticks send no LIST) and a background
// health monitor (a tick reads its last verdict instead of probing). The
// request counters feed gitfed_member_requests_total and its background part.
import { closeAll, connect, type Connection, type KubeconfigError } from '../cluster/connect.js';
import type { HealthProbe } from '../cluster/health.js';
import { HealthMonitor } from '../cluster/health-monitor.js';
import { podEnvironment } from '../cluster/in-cluster.js';
import type { Fleet } from '../core/model.js';
import type { Metrics } from './metrics.js';

export interface FleetConnectionsOptions {
  kubeconfig: string;
  metrics: Metrics;
  allowInCluster?: boolean;
  probeTimeoutMs?: number;
  healthIntervalMs?: number;
  watchIdleTimeoutMs?: number;
  onHealthChange?: (cluster: string, next: HealthProbe, previous: HealthProbe) => void;
}

export class FleetConnections {
  private connections?: Map<string, Connection | KubeconfigError>;
  private connectionsFor?: string;
  private requestsCounted = 0;
  private backgroundProbeRequests = 0;
  private backgroundCounted = 0;

  constructor(private readonly opts: FleetConnectionsOptions) {}

  /** The current connections (undefined before the first tick). */
  get current(): Map<string, Connection | KubeconfigError> | undefined {
    return this.connections;
  }

  /** Connections for the fleet's clusters: the ones of the last tick, unless its clusters changed. */
  async for(fleet: Fleet): Promise<Map<string, Connection | KubeconfigError>> {
    const key = JSON.stringify(fleet.clusters.map((c) => [c.name, c.context]));
    if (this.connections && this.connectionsFor === key) return this.connections;
    if (this.connections) { this.count(); closeAll(this.connections); }
    this.requestsCounted = 0;
    const o = this.opts;
    this.connections = await connect(o.kubeconfig, fleet.clusters, undefined, o.allowInCluster ? {} : { refuseInCluster: podEnvironment() });
    for (const c of this.connections.values()) {
      if (c instanceof Error) continue;
      // A long-running operator keeps watch caches: quiet ticks send no LISTs.
      c.caches = new Map();
      if (o.watchIdleTimeoutMs) c.watch = { idleTimeoutMs: o.watchIdleTimeoutMs };
      // ...and a health monitor: a tick reads the last verdict instead of probing every cluster first.
      const cluster = c.cluster;
      c.health = new HealthMonitor(c.http, {
        ...(o.healthIntervalMs ? { periodMs: o.healthIntervalMs } : {}),
        ...(o.probeTimeoutMs ? { timeoutMs: o.probeTimeoutMs } : {}),
        onChange: (next, previous) => o.onHealthChange?.(cluster, next, previous),
        onRequest: (background) => { if (background) this.backgroundProbeRequests++; else o.metrics.healthProbeRequests.inc({ by: 'tick' }); },
      });
    }
    this.connectionsFor = key;
    return this.connections;
  }

  /** Mutating requests sent to member clusters by the current connections. */
  writes(): number {
    let n = 0;
    for (const c of this.connections?.values() ?? []) if (!(c instanceof Error)) n += c.http.writes;
    return n;
  }

  /** Requests sent to member clusters by the current connections (they count from 0). */
  requests(): number {
    let n = 0;
    for (const c of this.connections?.values() ?? []) if (!(c instanceof Error)) n += c.http.requests;
    return n;
  }

  /**
   * Add to gitfed_member_requests_total what the connections sent since the
   * last count, and to its part sent by background health probes at the same
   * moment: the difference of the two over ticks is what the ticks sent.
   */
  count(): void {
    const n = this.requests();
    this.opts.metrics.memberRequests.inc(Math.max(0, n - this.requestsCounted));
    this.requestsCounted = n;
    this.opts.metrics.healthProbeRequests.inc({ by: 'background' }, this.backgroundProbeRequests - this.backgroundCounted);
    this.backgroundCounted = this.backgroundProbeRequests;
  }

  close(): void {
    if (this.connections) closeAll(this.connections);
  }
}
