// Prometheus metrics of the operator (prom-client, own registry).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { NOT_READY_REASONS, type Readiness } from './readiness.js';

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({ name: 'gitfed_reconcile_duration_seconds', help: 'Duration of one reconcile tick', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [this.registry] });
  /** Where a tick's time goes: git (fetch, read, load), clusters (render, observe, apply, prune), status (the status commit and notes). */
  readonly tickStageDuration = new Histogram({ name: 'gitfed_tick_stage_duration_seconds', help: 'Duration of each stage of a reconcile tick: git, clusters, status', labelNames: ['stage'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [this.registry] });
  readonly lastApplied = new Gauge({ name: 'gitfed_last_applied_revision_info', help: 'The revision whose objects are applied (value 1)', labelNames: ['revision'], registers: [this.registry] });
  readonly clusterReady = new Gauge({ name: 'gitfed_cluster_ready', help: '1 when the member cluster is Ready', labelNames: ['cluster'], registers: [this.registry] });
  readonly drifted = new Gauge({ name: 'gitfed_drifted_objects', help: 'Objects whose live state differs from Git', labelNames: ['cluster'], registers: [this.registry] });
  readonly gitErrors = new Counter({ name: 'gitfed_git_errors_total', help: 'Failed git operations', labelNames: ['op'], registers: [this.registry] });
  readonly applyErrors = new Counter({ name: 'gitfed_apply_errors_total', help: 'Objects that failed to apply', labelNames: ['cluster'], registers: [this.registry] });
  readonly watchFailing = new Gauge({ name: 'gitfed_watch_failing', help: '1 for each watch of a member cluster that is failing now, by error code', labelNames: ['cluster', 'kind', 'code'], registers: [this.registry] });
  readonly watchCacheObjects = new Gauge({ name: 'gitfed_watch_cache_objects', help: 'Objects held in the watch caches of a member cluster', labelNames: ['cluster'], registers: [this.registry] });
  readonly memberRequests = new Counter({ name: 'gitfed_member_requests_total', help: 'HTTP requests sent to member clusters (every method; watches count once per connect)', registers: [this.registry] });
  readonly healthProbeRequests = new Counter({ name: 'gitfed_health_probe_requests_total', help: 'Of gitfed_member_requests_total, the /readyz (or /healthz) requests of health probes, by who asked: the background monitor or a tick', labelNames: ['by'], registers: [this.registry] });
  readonly ticks = new Counter({ name: 'gitfed_ticks_total', help: 'Reconcile ticks', labelNames: ['trigger'], registers: [this.registry] });
  readonly lastTickCompleted = new Gauge({ name: 'gitfed_last_tick_completed_timestamp_seconds', help: 'Unix time when the last reconcile tick completed', registers: [this.registry] });
  readonly webhookSecretConfigured = new Gauge({ name: 'gitfed_webhook_secret_configured', help: '1 when webhooks must be signed; 0 when anyone who reaches /webhook can trigger a fetch', registers: [this.registry] });
  readonly webhookDeliveries = new Counter({ name: 'gitfed_webhook_deliveries_total', help: 'Webhook deliveries by outcome', labelNames: ['outcome'], registers: [this.registry] });
  private readiness?: () => Readiness;
  readonly notReady = new Gauge({
    name: 'gitfed_not_ready', help: '1 for the reason /readyz answers 503 (starting, stalled: no tick completed for 3 intervals, standby: not the leader); all 0 when ready',
    labelNames: ['reason'], registers: [this.registry],
    collect: () => {
      const r = this.readiness?.();
      for (const reason of NOT_READY_REASONS) this.notReady.set({ reason }, r && !r.ready && r.reason === reason ? 1 : 0);
    },
  });

  /**
   * The process's own metrics as every Node service exports them
   * (`process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`,
   * `nodejs_external_memory_bytes`, CPU, event loop lag, GC): what memory
   * per member cluster is made of. Only for `gitfed run`; the collectors
   * are per process, so tests that make many Metrics do not start them.
   */
  collectProcessMetrics(): this {
    // The event loop delay is sampled once a second, not every 10 ms (the
    // library's default): a 10 ms timer woke the idle operator 100 times a
    // second, about half of its idle CPU (bench:peers, 10 clusters: 0.9 -> 0.5 s per minute).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
    return this;
  }

  /** What /readyz and gitfed_not_ready report. */
  setReadiness(fn: () => Readiness): void {
    this.readiness = fn;
  }
}
