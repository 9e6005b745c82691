// Leader election with a coordination.k8s.io/v1 Lease in a host cluster, so
// two operator replicas never apply at once. It follows client-go:
// - Expiry is judged from when THIS replica last saw the Lease record change,
//   on its own monotonic clock, never from the holder's renewTime against our
//   wall clock (clock skew between nodes would then make two leaders).
// - The leader renews every retry period and gives leadership up locally when
//   it could not renew for the renew deadline, which is shorter than the lease
//   duration: it stops before anyone else may take over.
// - Losing leadership aborts the current term's AbortSignal, so the tick in
//   flight stops before its next write.
// Writes carry the Lease's resourceVersion, so two candidates cannot both win.
import type { KubeHttp } from '../cluster/kube-http.js';

export interface LeaseOptions {
  http: Pick<KubeHttp, 'request'>;
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  /** Give leadership up when renewals failed for this long (default 2/3 of the lease). */
  renewDeadlineMs?: number;
  /** Time between attempts (default lease / 7.5: 2 s for 15 s, as client-go). */
  retryPeriodMs?: number;
  /** Monotonic clock in ms, used for every decision. */
  clock?: () => number;
  /** Wall clock in ms, only written into the Lease for humans and other tools. */
  wallClock?: () => number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/**
 * The answer's body as a Lease, or undefined when it is not one (a proxy's
 * error page with status 200, a body that is not JSON, an object without
 * metadata): such an answer is a failed attempt, never a crash.
 */
function leaseOf(body: unknown): Lease | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { metadata, spec } = body as { metadata?: unknown; spec?: unknown };
  if (!metadata || typeof metadata !== 'object') return undefined;
  if (spec !== undefined && (spec === null || typeof spec !== 'object')) return undefined;
  return { ...(body as object), metadata: metadata as Lease['metadata'], spec: (spec ?? {}) as Lease['spec'] };
}

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaseConfigError extends Error {
  readonly code = 'LeaseConfig';
}

export class LeaderElector {
  leader = false;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** The Lease record as last seen, and when (our monotonic clock) it last changed. */
  private observed?: { record: string; at: number };
  private deadline?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private inflight?: Promise<boolean>;
  private term?: AbortController;
  private onChange?: (leader: boolean) => void;

  constructor(readonly opts: LeaseOptions) {
    const lease = opts.durationSeconds * 1000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? Math.round((lease * 2) / 3);
    this.retryPeriodMs = opts.retryPeriodMs ?? Math.max(100, Math.round(lease / 7.5));
    if (!(this.renewDeadlineMs < lease)) throw new LeaseConfigError(`the renew deadline (${this.renewDeadlineMs} ms) must be shorter than the lease duration (${lease} ms)`);
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) throw new LeaseConfigError(`the retry period (${this.retryPeriodMs} ms) must be shorter than the renew deadline (${this.renewDeadlineMs} ms)`);
  }

  /** Aborted when this replica stops leading (undefined while it does not lead). */
  get signal(): AbortSignal | undefined {
    return this.leader ? this.term?.signal : undefined;
  }

  private get path() {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`;
  }

  private now(): number {
    return (this.opts.clock ?? (() => performance.now()))();
  }

  private wall(): number {
    return (this.opts.wallClock ?? Date.now)();
  }

  private get requestTimeoutMs(): number {
    return Math.max(200, Math.min(5000, Math.floor(this.renewDeadlineMs / 2)));
  }

  private setLeader(leader: boolean): boolean {
    if (leader) {
      // Renewed: leadership lasts at most the renew deadline without another success.
      clearTimeout(this.deadline);
      this.deadline = setTimeout(() => this.setLeader(false), this.renewDeadlineMs);
      this.deadline.unref?.();
    } else clearTimeout(this.deadline);
    if (leader === this.leader) return leader;
    this.leader = leader;
    if (leader) this.term = new AbortController();
    else this.term?.abort(new Error('leadership lost'));
    this.onChange?.(leader);
    return leader;
  }

  /** A failed attempt: a leader stays leader until its renew deadline passes (see setLeader). */
  private failed(): boolean {
    return this.leader;
  }

  /** One attempt to acquire or renew; returns whether we lead now. */
  tryAcquire(): Promise<boolean> {
    const p = this.attempt().finally(() => { if (this.inflight === p) this.inflight = undefined; });
    this.inflight = p;
    return p;
  }

  private async attempt(): Promise<boolean> {
    const { identity, durationSeconds } = this.opts;
    const timeoutMs = this.requestTimeoutMs;
    const r = await this.opts.http.request<unknown>({ path: `${this.path}/${this.opts.name}`, timeoutMs }).catch(() => undefined);
    if (!r) return this.failed();
    const wall = this.wall();
    if (r.status === 404) {
      const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: micro(wall), renewTime: micro(wall), leaseTransitions: 0 } };
      const c = await this.opts.http.request<unknown>({ method: 'POST', path: this.path, body, timeoutMs }).catch(() => undefined);
      const created = c?.status === 201 ? leaseOf(c.body) : undefined;
      if (!created) return this.failed();
      this.observed = { record: JSON.stringify([created.metadata.resourceVersion, created.spec]), at: this.now() };
      return this.setLeader(true);
    }
    const lease = r.status === 200 ? leaseOf(r.body) : undefined;
    if (!lease) return this.failed();
    // Any write by the holder counts as a change (a frozen clock could leave renewTime equal).
    const record = JSON.stringify([lease.metadata.resourceVersion, lease.spec]);
    if (this.observed?.record !== record) this.observed = { record, at: this.now() };
    const holder = lease.spec.holderIdentity;
    const duration = (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && holder !== identity && this.observed.at + duration > this.now()) return this.setLeader(false);
    const spec = {
      ...lease.spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: micro(wall),
      ...(holder !== identity ? { acquireTime: micro(wall), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    const u = await this.opts.http.request<unknown>({ method: 'PUT', path: `${this.path}/${this.opts.name}`, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec }, timeoutMs }).catch(() => undefined);
    const renewed = u?.status === 200 ? leaseOf(u.body) : undefined;
    if (!renewed) return holder && holder !== identity ? this.setLeader(false) : this.failed();
    this.observed = { record: JSON.stringify([renewed.metadata.resourceVersion, renewed.spec]), at: this.now() };
    return this.setLeader(true);
  }

  /**
   * The Lease record as another reader already saw it change (same format
   * and clock as ours): a new candidate then need not watch it for a full
   * duration before it counts as expired (sharded takeover, see shard-leases.ts).
   */
  seed(observed: { record: string; at: number } | undefined): void {
    if (observed && !this.observed) this.observed = { ...observed };
  }

  /** Resolves when the attempt in flight (if any) is done: right after start(), the first one. */
  async settled(): Promise<void> {
    await this.inflight?.catch(() => undefined);
  }

  /** Keep trying (a candidate) or renewing (the leader) every retry period; calls back on every change of leadership. */
  start(onChange: (leader: boolean) => void): void {
    this.onChange = onChange;
    this.stopped = false;
    const loop = async () => {
      // An attempt that throws (a bug, a body nobody foresaw) is one failed
      // attempt: the timer is re-armed and nothing rejects unhandled.
      try { await this.tryAcquire(); } catch { this.failed(); }
      // A stop while the attempt was in flight must not re-arm the timer.
      if (this.stopped) return;
      this.timer = setTimeout(() => void loop(), this.retryPeriodMs);
    };
    void loop();
  }

  /** Stop renewing; give the Lease up so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inflight?.catch(() => undefined);
    clearTimeout(this.timer);
    if (!this.leader) return;
    this.setLeader(false);
    const r = await this.opts.http.request<unknown>({ path: `${this.path}/${this.opts.name}`, timeoutMs: this.requestTimeoutMs }).catch(() => undefined);
    const lease = r?.status === 200 ? leaseOf(r.body) : undefined;
    if (lease?.spec.holderIdentity === this.opts.identity) {
      const wall = this.wall();
      await this.opts.http.request({ method: 'PUT', path: `${this.path}/${this.opts.name}`, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: micro(wall) } }, timeoutMs: this.requestTimeoutMs }).catch(() => undefined);
    }
  }
}
