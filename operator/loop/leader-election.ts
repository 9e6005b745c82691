// Leader election with a coordination.k8s.io/v1 Lease in a host cluster, so
// two operator replicas never apply at once. The holder renews every
// duration/3; anyone may take the Lease once it has not been renewed for the
// lease duration. Writes use the Lease's resourceVersion, so two candidates
// cannot both win.
import type { KubeHttp } from '../cluster/kube-http.js';

export interface LeaseOptions {
  http: KubeHttp;
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  now?: () => number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  leader = false;
  private timer?: NodeJS.Timeout;
  constructor(readonly opts: LeaseOptions) {}

  private get path() {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`;
  }

  /** One attempt to acquire or renew; returns whether we lead now. */
  async tryAcquire(): Promise<boolean> {
    const now = (this.opts.now ?? Date.now)();
    const { identity, durationSeconds } = this.opts;
    const r = await this.opts.http.request<Lease>({ path: `${this.path}/${this.opts.name}`, timeoutMs: 5000 }).catch(() => undefined);
    if (!r) return (this.leader = false);
    if (r.status === 404) {
      const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 0 } };
      const c = await this.opts.http.request({ method: 'POST', path: this.path, body, timeoutMs: 5000 }).catch(() => undefined);
      return (this.leader = c?.status === 201);
    }
    if (r.status !== 200) return (this.leader = false);
    const lease = r.body;
    const holder = lease.spec.holderIdentity;
    const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired = now - renewed > (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && holder !== identity && !expired) return (this.leader = false);
    const spec = {
      ...lease.spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: micro(now),
      ...(holder !== identity ? { acquireTime: micro(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    const u = await this.opts.http.request({ method: 'PUT', path: `${this.path}/${this.opts.name}`, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec }, timeoutMs: 5000 }).catch(() => undefined);
    return (this.leader = u?.status === 200);
  }

  /** Keep trying/renewing every duration/3; calls back on every change of leadership. */
  start(onChange: (leader: boolean) => void): void {
    const loop = async () => {
      const was = this.leader;
      const now = await this.tryAcquire();
      if (now !== was) onChange(now);
      this.timer = setTimeout(loop, Math.max(200, (this.opts.durationSeconds * 1000) / 3));
    };
    void loop();
  }

  /** Stop renewing; give the Lease up so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const r = await this.opts.http.request<Lease>({ path: `${this.path}/${this.opts.name}` }).catch(() => undefined);
    if (r?.status === 200 && r.body.spec.holderIdentity === this.opts.identity) {
      await this.opts.http.request({ method: 'PUT', path: `${this.path}/${this.opts.name}`, body: { ...r.body, spec: { ...r.body.spec, holderIdentity: '', renewTime: micro(0) } } }).catch(() => undefined);
    }
  }
}
