// Flux as the peer benchmark runs it: source-controller and
// kustomize-controller as local processes against a host cluster of the
// sandbox (their CRDs installed there), one GitRepository on the sandbox's
// git server and one Kustomization per member cluster that targets it through
// spec.kubeConfig.secretRef, Flux's own way to reach remote clusters.
// notification-controller (whose Receiver turns a webhook into a fetch) is
// not built here, so a push is announced the way `flux reconcile source git`
// does it: the reconcile.fluxcd.io/requestedAt annotation.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeHttp } from '../../../operator/cluster/kube-http.js';
import type { Sandbox, SandboxCluster } from '../../../operator/sandbox/index.js';
import { kubeconfig } from '../../../operator/sandbox/identities.js';
import { freePorts } from '../../../operator/sandbox/ports.js';
import { alive, logTail, signal, startProcess, stopProcess, type ProcessRecord } from '../../../operator/sandbox/supervisor.js';
import { waitFor } from '../../faults/wait.js';
import type { FluxBinaries } from './flux-binaries.js';
import { overlayPath } from './flux-overlays.js';

export const FLUX_NAMESPACE = 'flux-system';
const REPO = 'fleet';

export interface FluxOptions {
  sb: Sandbox;
  host: SandboxCluster;
  members: readonly SandboxCluster[];
  bins: FluxBinaries;
  repoUrl: string;
  /** GitRepository and Kustomization spec.interval. */
  interval: string;
  /** kustomize-controller --concurrent */
  concurrent: number;
  dir: string;
}

const single = (c: SandboxCluster) => kubeconfig([{ context: c.name, server: c.server, ca: c.ca, token: c.adminToken, user: 'admin' }]);

export class FluxPeer {
  private procs: ProcessRecord[] = [];
  private readonly kill = () => { for (const p of this.procs) signal(p.pid, 'SIGKILL'); };
  private readonly hostHttp: KubeHttp;
  private readonly hostConfig: string;

  private constructor(private readonly o: FluxOptions) {
    this.hostHttp = new KubeHttp({ server: o.host.server, ca: o.host.ca, token: o.host.adminToken });
    this.hostConfig = join(o.dir, 'host.kubeconfig');
    // Whatever ends this process, the controllers go with it.
    process.on('exit', this.kill);
  }

  static async start(o: FluxOptions): Promise<FluxPeer> {
    await mkdir(o.dir, { recursive: true });
    const peer = new FluxPeer(o);
    try {
      await writeFile(peer.hostConfig, single(o.host), { mode: 0o600 });
      peer.installCrds();
      peer.apply(peer.secrets());
      await peer.startControllers();
      peer.apply(peer.objects());
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return peer;
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  logs(): string[] {
    return this.procs.map((p) => p.log);
  }

  private kubectl(args: string[], input?: string): string {
    return execFileSync(this.o.sb.kubectl, ['--kubeconfig', this.hostConfig, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Objects go in on stdin: the kubeconfigs and the age key never touch the disk in a manifest. */
  private apply(objects: object[]): void {
    this.kubectl(['apply', '--server-side', '--field-manager', 'bench-peers', '-f', '-'], objects.map((x) => stringify(x)).join('---\n'));
  }

  private installCrds(): void {
    this.kubectl(['apply', '--server-side', '--field-manager', 'bench-peers', ...this.o.bins.crds.flatMap((f) => ['-f', f])]);
    this.kubectl(['wait', '--for', 'condition=Established', '--timeout', '120s', 'crd', '--all']);
  }

  private secrets(): object[] {
    return [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUX_NAMESPACE } },
      ...this.o.members.map((c) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `kubeconfig-${c.name}`, namespace: FLUX_NAMESPACE }, stringData: { value: single(c) } })),
      // The sample fleet's public demo age key, for its encrypted tls-secret.
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sops-age', namespace: FLUX_NAMESPACE }, stringData: { 'age.agekey': readFileSync(this.o.sb.ageKeyFile, 'utf8') } },
    ];
  }

  private objects(): object[] {
    return [
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: REPO, namespace: FLUX_NAMESPACE }, spec: { interval: this.o.interval, url: this.o.repoUrl, ref: { branch: 'main' } } },
      ...this.o.members.map((c) => ({
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: c.name, namespace: FLUX_NAMESPACE },
        spec: {
          interval: this.o.interval, path: `./${overlayPath(c.name)}`, prune: false, sourceRef: { kind: 'GitRepository', name: REPO },
          kubeConfig: { secretRef: { name: `kubeconfig-${c.name}` } },
          decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
        },
      })),
    ];
  }

  private async startControllers(): Promise<void> {
    const [storage, m1, h1, m2, h2] = await freePorts(5);
    const env = { KUBECONFIG: this.hostConfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE };
    await mkdir(join(this.o.dir, 'artifacts'), { recursive: true });
    const common = ['--enable-leader-election=false', '--watch-all-namespaces=true', '--log-level=info'];
    this.procs.push(startProcess(this.o.sb.dir, 'flux-source-controller', this.o.bins.sourceController, [
      ...common, `--metrics-addr=127.0.0.1:${m1}`, `--health-addr=127.0.0.1:${h1}`,
      `--storage-path=${join(this.o.dir, 'artifacts')}`, `--storage-addr=127.0.0.1:${storage}`, `--storage-adv-addr=127.0.0.1:${storage}`,
    ], env));
    this.procs.push(startProcess(this.o.sb.dir, 'flux-kustomize-controller', this.o.bins.kustomizeController, [
      ...common, `--metrics-addr=127.0.0.1:${m2}`, `--health-addr=127.0.0.1:${h2}`, `--concurrent=${this.o.concurrent}`,
    ], env));
    for (const [i, port] of [h1, h2].entries()) {
      const p = this.procs[i]!;
      // A controller that exited is reported at once, not after the bound.
      const ok = await waitFor(120_000, async () => (alive(p.pid) ? (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).ok : 'exited'));
      if (ok !== true) throw new Error(`${p.name} ${ok === 'exited' ? 'exited' : 'did not become ready in 120 s'}; see ${p.log}:\n${logTail(p.log)}`);
    }
  }

  /** What `flux reconcile source git fleet` does: ask source-controller to fetch now. */
  async requestReconcile(): Promise<void> {
    const r = await this.hostHttp.request({
      method: 'PATCH', path: `/apis/source.toolkit.fluxcd.io/v1/namespaces/${FLUX_NAMESPACE}/gitrepositories/${REPO}`,
      contentType: 'application/merge-patch+json', body: JSON.stringify({ metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } }),
    });
    if (r.status >= 300) throw new Error(`requesting a reconcile of GitRepository ${REPO}: HTTP ${r.status} ${r.text?.slice(0, 200) ?? ''}`);
  }

  /** The Kustomizations that are not Ready, with why (for a message when Flux does not converge). */
  async notReady(): Promise<string[]> {
    const r = await this.hostHttp.request<{ items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string; message?: string }[] } }[] }>({ path: `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${FLUX_NAMESPACE}/kustomizations` });
    return (r.body?.items ?? []).flatMap((k) => {
      const ready = k.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? [] : [`${k.metadata.name}: ${ready?.message ?? 'no Ready condition yet'}`];
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => stopProcess(p.pid)));
    process.off('exit', this.kill);
    this.hostHttp.close();
  }
}
