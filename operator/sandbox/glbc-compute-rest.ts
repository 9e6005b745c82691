// GLBC's stand-in's client for the Compute Engine stand-in: Google's REST
// paths over fetch (GLBC uses Google's Go client; the shapes are the same),
// with every list followed page by page, plus the stand-in's own /_standin/
// calls through which GLBC's stand-in says what only a cluster knows.
export class ComputeRest {
  constructor(private readonly base: string, readonly project: string) {}

  link(rel: string): string {
    return `https://www.googleapis.com/compute/v1/projects/${this.project}/${rel}`;
  }

  private async call(method: string, rel: string, body?: unknown): Promise<{ status: number; json: any }> {
    const r = await fetch(`${this.base}/compute/v1/projects/${this.project}/${rel}`, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: r.status, json: await r.json().catch(() => ({})) };
  }

  async get(rel: string): Promise<any | undefined> {
    const r = await this.call('GET', rel);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${rel}: ${r.json?.error?.message ?? r.status}`);
    return r.json;
  }

  /** A mutation; an Operation that ends DONE with an error is a failure too (the client would not throw for it). */
  async mutate(method: string, rel: string, body?: unknown): Promise<any> {
    const r = await this.call(method, rel, body);
    if (r.status !== 200) throw new Error(`${method} ${rel}: ${r.json?.error?.message ?? r.status}`);
    if (r.json?.error) throw new Error(`${method} ${rel}: operation ${r.json.name} failed: ${(r.json.error.errors ?? []).map((e: { message?: string }) => e.message).join('; ')}`);
    return r.json;
  }

  /** Every item of a list call, page after page (a GET list, or a POST like listInstances); `filter` in Compute Engine's syntax. */
  async list(rel: string, opts: { filter?: string; method?: 'GET' | 'POST' } = {}): Promise<any[]> {
    const items: any[] = [];
    let pageToken: string | undefined;
    do {
      const q = new URLSearchParams({ ...(opts.filter ? { filter: opts.filter } : {}), ...(pageToken ? { pageToken } : {}) }).toString();
      const path = `${rel}${q ? `?${q}` : ''}`;
      const page = opts.method === 'POST' ? await this.mutate('POST', path, {}) : await this.get(path);
      items.push(...(page?.items ?? []));
      pageToken = page?.nextPageToken;
    } while (pageToken);
    return items;
  }

  async setHealth(backendService: string, group: string, healthy: boolean): Promise<void> {
    await this.standin('health', { project: this.project, backendService, group, state: healthy ? 'HEALTHY' : 'UNHEALTHY' });
  }

  /** Names the cluster behind an instance group, so the stand-in finds a paused cluster's group UNHEALTHY. */
  async registerProbe(group: string, cluster: string, probe: { server: string; ca: string }): Promise<void> {
    await this.standin('probe', { project: this.project, group, cluster, ...probe });
  }

  private async standin(what: string, body: unknown): Promise<void> {
    await fetch(`${this.base}/_standin/${what}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000), body: JSON.stringify(body),
    });
  }
}
