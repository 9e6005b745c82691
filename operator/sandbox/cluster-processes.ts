// One simulated cluster: a real kube-apiserver (sharing the sandbox's etcd
// under its own prefix), kube-controller-manager, kube-scheduler and hollow
// nodes (kubemark's hollow kubelet), every listener on 127.0.0.1.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeHttp } from '../cluster/kube-http.js';
import type { Binaries } from './binaries.js';
import { caFromServingChain, clusterIdentities, kubeconfig, serviceAccountKey, tokenFile, type Identity } from './identities.js';
import { onFreshPorts } from './ports.js';
import { servingCert } from './serving-cert.js';
import { alive, logTail, startProcess, waitFor, type ProcessRecord } from './supervisor.js';

export interface ClusterState {
  name: string;
  server: string;
  ca: string;
  adminToken: string;
  restrictedToken: string;
  nodes: string[];
  dir: string;
  /** process name -> record (apiserver, controller-manager, scheduler, node/<name>) */
  processes: Record<string, ProcessRecord>;
}

export function clusterName(i: number): string {
  return ['us-east1', 'europe-west1', 'asia-east1'][i] ?? `cluster-${String(i + 1).padStart(2, '0')}`;
}

/**
 * A lean apiserver (many clusters on one machine, no controllers): the API
 * groups that neither gitfed nor the apiserver's own admission informers use
 * are off (so a fleet cannot apply a Job, HPA, PDB or Event to it), priority
 * and fairness is off (one client per cluster: nothing to be fair between),
 * and Go collects garbage at half the heap growth (memory) on one P (idle CPU). For idle CPU,
 * which is what runs out first at 100 clusters on 2 cores: no apiserver
 * identity Lease and no `kubernetes` endpoint reconciler (each writes etcd
 * every 10 s), no watch cache for the resources nothing here lists or
 * watches through one (each cache wakes every second to send bookmarks;
 * those LISTs and WATCHes go to etcd instead), no polling of etcd for
 * metrics, and only the first apiserver compacts the shared etcd. Measured per idle apiserver (Kubernetes 1.36,
 * README "100 clusters").
 */
const UNCACHED_RESOURCES = [
  'podtemplates', 'replicationcontrollers', 'limitranges', 'resourcequotas', 'persistentvolumes', 'persistentvolumeclaims', 'endpoints', 'nodes', 'events',
  'controllerrevisions.apps', 'networkpolicies.networking.k8s.io', 'ingressclasses.networking.k8s.io', 'ipaddresses.networking.k8s.io', 'servicecidrs.networking.k8s.io',
  'csidrivers.storage.k8s.io', 'csinodes.storage.k8s.io', 'csistoragecapacities.storage.k8s.io', 'volumeattachments.storage.k8s.io', 'storageclasses.storage.k8s.io', 'volumeattributesclasses.storage.k8s.io',
  'runtimeclasses.node.k8s.io', 'priorityclasses.scheduling.k8s.io', 'leases.coordination.k8s.io',
  'mutatingwebhookconfigurations.admissionregistration.k8s.io', 'validatingwebhookconfigurations.admissionregistration.k8s.io', 'validatingadmissionpolicies.admissionregistration.k8s.io',
  'validatingadmissionpolicybindings.admissionregistration.k8s.io', 'mutatingadmissionpolicies.admissionregistration.k8s.io', 'mutatingadmissionpolicybindings.admissionregistration.k8s.io',
  'roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io',
  'deviceclasses.resource.k8s.io', 'resourceslices.resource.k8s.io', 'resourceclaims.resource.k8s.io', 'resourceclaimtemplates.resource.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io', 'apiservices.apiregistration.k8s.io',
];
export const LEAN_APISERVER_ARGS = [
  // Not scheduling.k8s.io, storage, node or resource: the apiserver's own
  // admission and Node authorizer informers list those and /readyz waits for them.
  '--runtime-config=batch/v1=false,autoscaling/v1=false,autoscaling/v2=false,certificates.k8s.io/v1=false,events.k8s.io/v1=false,flowcontrol.apiserver.k8s.io/v1=false,policy/v1=false',
  '--enable-priority-and-fairness=false',
  '--endpoint-reconciler-type=none',
  // Metrics nothing here reads, polled from etcd by every apiserver: object
  // counts per resource each minute (about 45 Range requests a minute per
  // apiserver, 75 a second for 100) and the database size every 30 s.
  '--etcd-count-metric-poll-period=0', '--etcd-db-metric-poll-interval=0',
  '--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false',
  `--watch-cache-sizes=${UNCACHED_RESOURCES.map((r) => `${r}#0`).join(',')}`,
];
/**
 * GOMAXPROCS=1: with two Ps, an idle apiserver's Go scheduler spins the
 * second one looking for work at every timer wake-up; one P took its idle
 * CPU from 6-8 to 4 ms a second (100 apiservers on 2 cores: each has a
 * process of its own to run in parallel with).
 */
export const LEAN_APISERVER_ENV: Record<string, string> = { GOGC: '50', GOMAXPROCS: '1' };

/** `compacts: false` (lean, every apiserver but the first): etcd is shared, one compactor is enough. */
export function apiserverArgs(c: { etcd: string; name: string; port: number; dir: string; lean?: boolean; compacts?: boolean }): string[] {
  return [
    '--etcd-servers', c.etcd, '--etcd-prefix', `/${c.name}`,
    '--secure-port', String(c.port), '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1',
    '--cert-dir', join(c.dir, 'certs'), '--token-auth-file', join(c.dir, 'tokens.csv'),
    '--authorization-mode', 'Node,RBAC',
    '--service-account-issuer', `https://${c.name}.sandbox.local`,
    '--service-account-key-file', join(c.dir, 'sa.key'), '--service-account-signing-key-file', join(c.dir, 'sa.key'),
    '--service-cluster-ip-range', '10.96.0.0/16', '--service-node-port-range', '30000-32767',
    '--profiling=false', '--v', '0',
    ...(c.lean ? LEAN_APISERVER_ARGS : []),
    ...(c.lean && c.compacts === false ? ['--etcd-compaction-interval=0'] : []),
  ];
}

/**
 * Per apiserver, not for the whole sandbox: on a 2-core machine that other
 * work also loads, one apiserver's start has taken more than 120 s of wall
 * time (about 3 s of it CPU).
 */
const READYZ_TIMEOUT_MS = 300_000;

/** Start an apiserver process (first start or restart) and wait until /readyz answers ok. */
export async function startApiserver(bins: Binaries, sandboxDir: string, st: { name: string; dir: string }, args: string[], token: string, track?: (rec: ProcessRecord) => void, env: Record<string, string> = {}): Promise<{ rec: ProcessRecord; ca: string; server: string }> {
  const rec = startProcess(join(sandboxDir), `${st.name}-apiserver`, bins.paths['kube-apiserver']!, args, env);
  track?.(rec);
  const port = args[args.indexOf('--secure-port') + 1]!;
  const server = `https://127.0.0.1:${port}`;
  // The sandbox wrote the serving chain (leaf, then its CA) before the start (serving-cert.ts).
  const ca = caFromServingChain(await readFile(join(st.dir, 'certs', 'apiserver.crt'), 'utf8'));
  const http = new KubeHttp({ server, ca, token }, 2000);
  const probe = (path: string) => http.request({ path });
  try {
    await waitFor(`cluster ${st.name}: kube-apiserver /readyz`, READYZ_TIMEOUT_MS, async () => (await probe('/readyz')).status === 200, rec.log, rec.pid).catch(async (e: Error) => {
      // Its log is often silent at --v 0: the checks that are not ok say why.
      const verbose = await probe('/readyz?verbose').then((r) => r.text.split('\n').filter((l) => l.includes('failed')).join('; '), (err: Error) => `(none: ${err.message})`);
      throw new Error(verbose ? `${e.message}\nfailing /readyz checks: ${verbose}` : e.message);
    });
  } finally {
    http.close();
  }
  return { rec, ca, server };
}

async function allowRestrictedUser(http: KubeHttp, user: string): Promise<void> {
  // Only enough to list namespaces: permission tests can see what is missing.
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gitfed-restricted' }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }] };
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'gitfed-restricted' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gitfed-restricted' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] };
  for (const [path, body] of [['/apis/rbac.authorization.k8s.io/v1/clusterroles', role], ['/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding]] as const) {
    const r = await http.request({ method: 'POST', path, body });
    if (r.status !== 201 && r.status !== 409) throw new Error(`cluster RBAC for the restricted user: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
}

function componentKubeconfig(name: string, server: string, ca: string, id: Identity): string {
  return kubeconfig([{ context: name, server, ca, token: id.token, user: id.user }]);
}

/**
 * The controller-manager and scheduler serve no port (their /healthz and
 * /metrics are never read here). A port picked for them in advance could be
 * taken, before they bind it, as the source port of one of the many
 * connections the sandbox opens meanwhile (the kernel hands out the same
 * range); the component then exits, and a cluster without its scheduler
 * leaves every new Pod Pending with no word of why.
 */
const SERVE_NOTHING = '--secure-port=0';

export async function startCluster(opts: { bins: Binaries; sandboxDir: string; index: number; etcd: string; nodes: number; controllers: boolean; lean?: boolean; apiserverArgs?: string[]; tmpDir: string; track: (rec: ProcessRecord) => void }): Promise<ClusterState> {
  const name = clusterName(opts.index);
  const dir = join(opts.sandboxDir, 'clusters', name);
  await mkdir(join(dir, 'certs'), { recursive: true });
  const nodeNames = opts.controllers ? Array.from({ length: opts.nodes }, (_, i) => `${name}-node-${i + 1}`) : [];
  const ids = clusterIdentities(nodeNames);
  await writeFile(join(dir, 'tokens.csv'), tokenFile([ids.admin, ids.restricted, ids.controllerManager, ids.scheduler, ...ids.nodes]), { mode: 0o600 });
  await writeFile(join(dir, 'sa.key'), serviceAccountKey(), { mode: 0o600 });
  // Where --cert-dir looks first: the apiserver serves these (ECDSA) instead of making its own (RSA).
  const serving = servingCert(name);
  await writeFile(join(dir, 'certs', 'apiserver.key'), serving.key, { mode: 0o600 });
  await writeFile(join(dir, 'certs', 'apiserver.crt'), serving.chain);
  const st = { name, dir };
  const { rec, ca, server } = await onFreshPorts(1, async ([apiPort]) =>
    startApiserver(opts.bins, opts.sandboxDir, st, [...apiserverArgs({ etcd: opts.etcd, name, port: apiPort!, dir, lean: !!opts.lean, compacts: opts.index === 0 }), ...opts.apiserverArgs ?? []], ids.admin.token, opts.track, opts.lean ? LEAN_APISERVER_ENV : {}));
  const processes: Record<string, ProcessRecord> = { apiserver: rec };
  const tracked = (...args: Parameters<typeof startProcess>) => { const r = startProcess(...args); opts.track(r); return r; };
  const http = new KubeHttp({ server, ca, token: ids.admin.token });
  try {
    await allowRestrictedUser(http, ids.restricted.user);
  } finally {
    http.close();
  }
  if (opts.controllers) {
    await writeFile(join(dir, 'ca.crt'), ca);
    const cmConfig = join(dir, 'controller-manager.kubeconfig');
    const schedConfig = join(dir, 'scheduler.kubeconfig');
    await writeFile(cmConfig, componentKubeconfig(name, server, ca, ids.controllerManager), { mode: 0o600 });
    await writeFile(schedConfig, componentKubeconfig(name, server, ca, ids.scheduler), { mode: 0o600 });
    await mkdir(join(dir, 'flexvolume'), { recursive: true });
    processes['controller-manager'] = tracked(opts.sandboxDir, `${name}-controller-manager`, opts.bins.paths['kube-controller-manager']!, [
      '--kubeconfig', cmConfig, '--authentication-kubeconfig', cmConfig, '--authorization-kubeconfig', cmConfig,
      '--service-account-private-key-file', join(dir, 'sa.key'), '--root-ca-file', join(dir, 'ca.crt'),
      '--use-service-account-credentials', '--controllers=*', '--leader-elect=false',
      SERVE_NOTHING, '--flex-volume-plugin-dir', join(dir, 'flexvolume'),
      '--node-monitor-grace-period', '20s', '--node-monitor-period', '2s', '--concurrent-deployment-syncs', '10', '--v', '0',
    ]);
    processes.scheduler = tracked(opts.sandboxDir, `${name}-scheduler`, opts.bins.paths['kube-scheduler']!, [
      '--kubeconfig', schedConfig, '--authentication-kubeconfig', schedConfig, '--authorization-kubeconfig', schedConfig,
      '--leader-elect=false', SERVE_NOTHING, '--v', '0',
    ]);
    for (const [i, node] of nodeNames.entries()) {
      const cfg = join(dir, `${node}.kubeconfig`);
      await writeFile(cfg, componentKubeconfig(name, server, ca, ids.nodes[i]!), { mode: 0o600 });
      processes[`node/${node}`] = tracked(opts.sandboxDir, node, opts.bins.paths['hollow-node']!, ['--kubeconfig', cfg, '--name', node], { TMPDIR: opts.tmpDir });
    }
  }
  return { name, server, ca, adminToken: ids.admin.token, restrictedToken: ids.restricted.token, nodes: nodeNames, dir, processes };
}

/** Wait until every hollow node of a cluster is registered and Ready. */
export async function waitNodesReady(c: ClusterState, timeoutMs = 90_000): Promise<void> {
  if (c.nodes.length === 0) return;
  const http = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try {
    await waitFor(`cluster ${c.name}: ${c.nodes.length} Ready node(s)`, timeoutMs, async () => {
      const r = await http.request<{ items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }> }>({ path: '/api/v1/nodes' });
      const ready = (r.body?.items ?? []).filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      return ready.length >= c.nodes.length;
    }, c.processes[`node/${c.nodes[0]}`]?.log);
  } finally {
    http.close();
  }
}

/**
 * The controller-manager and scheduler still run (called once the nodes are
 * Ready): one that exited at start would otherwise show only as Pods that
 * never appear or never leave Pending. The error carries its last log lines.
 */
export function assertControllersRunning(c: ClusterState): void {
  for (const name of ['controller-manager', 'scheduler']) {
    const rec = c.processes[name];
    if (!rec || alive(rec.pid)) continue;
    const tail = logTail(rec.log);
    throw new Error(`cluster ${c.name}: the ${name} exited${tail ? `; last log lines:\n${tail}` : ''}`);
  }
}
