// An informer in miniature: LIST once, then WATCH and keep the objects in
// memory. The operator's reconcile reads these instead of listing every
// cluster on every tick, so a pass that finds nothing to do sends no LIST at
// all (only the health probe). Any watch error falls back to a fresh LIST.
import type { KubeObject } from '../core/model.js';
import type { KubeHttp } from './kube-http.js';
import { statusMessage } from './kube-http.js';

interface ListBody { metadata?: { resourceVersion?: string }; items?: KubeObject[] }
interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: KubeObject & { code?: number } }

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class WatchCache {
  private readonly objects = new Map<string, KubeObject>();
  private rv = '';
  private abort = new AbortController();
  private stopped = false;
  synced = false;

  /** `path`: a collection path, optionally with a query (labelSelector, fieldSelector). */
  constructor(private readonly http: KubeHttp, readonly path: string, private readonly apiVersion: string, private readonly kind: string) {}

  items(): KubeObject[] {
    return [...this.objects.values()];
  }

  private async list(): Promise<void> {
    const r = await this.http.request<ListBody>({ path: this.path });
    if (r.status !== 200) throw new Error(`LIST ${this.path}: ${statusMessage(r)}`);
    this.objects.clear();
    for (const o of r.body.items ?? []) {
      o.apiVersion ??= this.apiVersion;
      o.kind ??= this.kind;
      this.objects.set(keyOf(o), o);
    }
    this.rv = r.body.metadata?.resourceVersion ?? '';
    this.synced = true;
  }

  private apply(line: string): boolean {
    const ev = JSON.parse(line) as WatchEvent;
    if (ev.type === 'ERROR') return false; // e.g. 410 Gone: relist
    if (ev.object.metadata?.resourceVersion) this.rv = String(ev.object.metadata.resourceVersion);
    if (ev.type === 'BOOKMARK') return true;
    ev.object.apiVersion ??= this.apiVersion;
    ev.object.kind ??= this.kind;
    if (ev.type === 'DELETED') this.objects.delete(keyOf(ev.object));
    else this.objects.set(keyOf(ev.object), ev.object);
    return true;
  }

  /** First LIST (so callers can read right away), then keep watching in the background. */
  async start(): Promise<void> {
    await this.list();
    void this.loop();
  }

  private async loop(): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?';
    while (!this.stopped) {
      let relist = false;
      try {
        await this.http.stream(`${this.path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${encodeURIComponent(this.rv)}`, (line) => { if (!this.apply(line)) relist = true; }, this.abort.signal);
      } catch {
        if (this.stopped) return;
        this.synced = false; // the cluster went away: readers fall back to LIST
        relist = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (relist && !this.stopped) await this.list().catch(() => { this.synced = false; });
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }
}
