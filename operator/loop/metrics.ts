// Prometheus metrics of the operator (prom-client, own registry).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({ name: 'gitfed_reconcile_duration_seconds', help: 'Duration of one reconcile tick', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [this.registry] });
  readonly lastApplied = new Gauge({ name: 'gitfed_last_applied_revision_info', help: 'The revision whose objects are applied (value 1)', labelNames: ['revision'], registers: [this.registry] });
  readonly clusterReady = new Gauge({ name: 'gitfed_cluster_ready', help: '1 when the member cluster is Ready', labelNames: ['cluster'], registers: [this.registry] });
  readonly drifted = new Gauge({ name: 'gitfed_drifted_objects', help: 'Objects whose live state differs from Git', labelNames: ['cluster'], registers: [this.registry] });
  readonly gitErrors = new Counter({ name: 'gitfed_git_errors_total', help: 'Failed git operations', labelNames: ['op'], registers: [this.registry] });
  readonly applyErrors = new Counter({ name: 'gitfed_apply_errors_total', help: 'Objects that failed to apply', labelNames: ['cluster'], registers: [this.registry] });
  readonly watchFailing = new Gauge({ name: 'gitfed_watch_failing', help: '1 for each watch of a member cluster that is failing now, by error code', labelNames: ['cluster', 'kind', 'code'], registers: [this.registry] });
  readonly watchCacheObjects = new Gauge({ name: 'gitfed_watch_cache_objects', help: 'Objects held in the watch caches of a member cluster', labelNames: ['cluster'], registers: [this.registry] });
  readonly ticks = new Counter({ name: 'gitfed_ticks_total', help: 'Reconcile ticks', labelNames: ['trigger'], registers: [this.registry] });
}
