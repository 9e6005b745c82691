// The local sandbox: one etcd, N real kube-apiservers (+ controller-manager,
// scheduler and hollow nodes each), and a real git smart-HTTP server, all on
// 127.0.0.1 with dynamic ports. Used by the tests, the demo, the benchmarks
// and `gitfed sandbox up/down`.
import { demoAgeKeyFile } from './demo-age-key.js';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBinaries, type Binaries } from './binaries.js';
import { apiserverArgs, startApiserver, startCluster, waitNodesReady, assertControllersRunning, type ClusterState } from './cluster-processes.js';
import { kubeconfig, RESTRICTED_USER } from './identities.js';
import { createBareRepo } from './git-server.js';
import { onFreshPorts } from './ports.js';
import { alive, signal, startProcess, stopProcess, waitFor, type ProcessRecord } from './supervisor.js';

export { ensureBinaries } from './binaries.js';

export interface SandboxOptions {
  clusters: number;
  dir?: string;
  nodesPerCluster?: number;
  controllers?: boolean;
  gitAuth?: { username: string; password: string };
  log?: (line: string) => void;
  /** Leave the processes running when this process exits (`sandbox up`). */
  detach?: boolean;
  /**
   * Trim every apiserver's memory and idle CPU (LEAN_APISERVER_ARGS: fewer API
   * groups, no priority and fairness, GOGC=50 on one P, no identity Lease or endpoint
   * reconciler, no watch cache for unused resources, no etcd metric polling, one etcd compactor). Only without
   * controllers (the controller-manager needs the groups it turns off).
   * Default: on when controllers are off and there are more than 10 clusters.
   */
  lean?: boolean;
  /** More kube-apiserver flags for every cluster (tests: e.g. a low --http2-max-streams-per-connection). */
  apiserverArgs?: string[];
  /** Also run the Compute Engine stand-in with GLBC's stand-in building into it for every cluster (`sandbox up --gce`). */
  gce?: boolean;
}

export interface SandboxCluster {
  name: string;
  context: string;
  server: string;
  ca: string;
  adminToken: string;
  restrictedToken: string;
  nodes: string[];
}

export interface SandboxGit {
  url: string;
  baseUrl: string;
  username?: string;
  password?: string;
  createRepo(name: string): Promise<string>;
  refusePushes(on: boolean): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface SandboxFaults {
  stopApiserver(c: string): Promise<void>;
  killApiserver(c: string): Promise<void>;
  startApiserver(c: string): Promise<void>;
  pauseApiserver(c: string): void;
  resumeApiserver(c: string): void;
  /** SIGSTOP every process of one cluster (apiserver, controllers, hollow nodes): a cluster that is there but answers nothing. */
  pauseCluster(c: string): void;
  /** SIGCONT them again, apiserver and nodes before the controllers (so no node looks stale to them). */
  resumeCluster(c: string): void;
  stopNode(c: string, node: string): Promise<void>;
  startNode(c: string, node: string): Promise<void>;
}

/** Where the sandbox writes the sample fleet's demo age key. */
export const AGE_KEY_FILE = 'age.key';

export interface Sandbox {
  dir: string;
  kubeconfig: string;
  /** The sample fleet's PUBLIC demo age key (opens manifests/tls-secret.yaml): pass it as --age-key-file. */
  ageKeyFile: string;
  /** The kubectl built with the sandbox (same version as the apiservers). */
  kubectl: string;
  clusters: SandboxCluster[];
  version: string;
  git: SandboxGit;
  /** With `gce`: the Compute Engine stand-in, the value for --gce-endpoint. */
  compute?: { url: string };
  faults: SandboxFaults;
  /** Every process the sandbox runs now. */
  pids(): number[];
  /** Each cluster's kube-apiserver process (for its RSS). */
  apiserverPids(): Array<{ cluster: string; pid: number }>;
  /** The apiservers were started lean (SandboxOptions.lean). */
  lean: boolean;
  stop(): Promise<void>;
}

interface SandboxState {
  version: string;
  etcd: ProcessRecord;
  git: ProcessRecord & { port: number; root: string };
  compute?: ProcessRecord & { port: number };
  clusters: ClusterState[];
  kubeconfig: string;
  tmpDir: string;
  ownsDir: boolean;
  /** Every process started, recorded the moment it starts (so a failed start can stop it). */
  started: ProcessRecord[];
}

const STATE_FILE = 'sandbox.json';
/** Without controllers, more clusters than this start lean unless told otherwise. */
export const LEAN_ABOVE = 10;
/**
 * Apiservers started at once: each takes about 3 s of CPU to start, so more
 * at once on two cores only makes each one slower (and its /readyz later).
 */
const START_CONCURRENCY = 4;

function gitServerScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'git-server-main.js');
}

/** The Compute Engine stand-in and GLBC's, in a process of their own that reads the state file for the clusters. */
async function startCompute(dir: string, st: SandboxState): Promise<ProcessRecord & { port: number }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'compute-main.js');
  const { rec, ports: [port] } = await startServing(1, (ports) => startProcess(dir, 'compute', process.execPath, [script, '--dir', dir, '--port', String(ports[0])]), (ports) => `http://127.0.0.1:${ports[0]}/_standin/state`, 15_000, 'compute stand-in');
  st.started.push(rec);
  return { ...rec, port: port! };
}

/**
 * Start a process that serves HTTP on `n` fresh ports and wait until `url`
 * answers. A process that does not come up is stopped before the error goes
 * on, and one that lost its port to another is started again on new ones.
 */
async function startServing(n: number, start: (ports: number[]) => ProcessRecord, url: (ports: number[]) => string, timeoutMs: number, what: string): Promise<{ rec: ProcessRecord; ports: number[] }> {
  return onFreshPorts(n, async (ports) => {
    const rec = start(ports);
    try {
      await waitHttp(url(ports), timeoutMs, what, rec);
      return { rec, ports };
    } catch (e) {
      await stopProcess(rec.pid);
      throw e;
    }
  });
}

/** Wait until `url` answers (any status below 500); with `rec`, fail at once if that process dies. */
function waitHttp(url: string, timeoutMs: number, what: string, rec?: ProcessRecord): Promise<void> {
  return waitFor(what, timeoutMs, async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).status < 500, rec?.log, rec?.pid);
}

function startGit(dir: string, port: number, root: string, auth?: { username: string; password: string }): ProcessRecord & { port: number; root: string } {
  const args = [gitServerScript(), '--root', root, '--port', String(port), ...(auth ? ['--user', auth.username] : [])];
  // The password goes through the environment, not the process table.
  const rec = startProcess(dir, 'git-server', process.execPath, args, auth ? { GITFED_SANDBOX_GIT_PASSWORD: auth.password } : {});
  return { ...rec, port, root };
}

/** Stop in dependency order: nodes and controllers, apiservers, then etcd and git. */
async function stopState(st: SandboxState): Promise<void> {
  const procs = (pred: (name: string) => boolean) => st.clusters.flatMap((c) => Object.entries(c.processes).filter(([n]) => pred(n)).map(([, p]) => p.pid));
  await Promise.all(procs((n) => n !== 'apiserver').map((pid) => stopProcess(pid)));
  await Promise.all(procs((n) => n === 'apiserver').map((pid) => stopProcess(pid)));
  await Promise.all((st.started ?? []).map((p) => stopProcess(p.pid)));
  await Promise.all([stopProcess(st.etcd.pid), stopProcess(st.git.pid)]);
  await rm(st.tmpDir, { recursive: true, force: true });
}

function allPids(st: SandboxState): number[] {
  const pids = [st.etcd.pid, st.git.pid, ...(st.started ?? []).map((p) => p.pid), ...st.clusters.flatMap((c) => Object.values(c.processes).map((p) => p.pid))];
  return [...new Set(pids)].filter(alive);
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const log = opts.log ?? (() => undefined);
  if (opts.lean && (opts.controllers ?? true)) throw new Error('a lean sandbox runs no controllers: the controller-manager needs the API groups a lean apiserver turns off (add --no-controllers)');
  const ownsDir = !opts.dir;
  const dir = resolve(opts.dir ?? (await mkdtemp(join(tmpdir(), 'gitfed-sandbox-'))));
  if (existsSync(join(dir, STATE_FILE))) throw new Error(`a sandbox already runs in ${dir}; stop it first with \`gitfed sandbox down --dir ${dir}\``);
  await mkdir(join(dir, 'logs'), { recursive: true });
  const tmpDir = join(dir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const bins: Binaries = await ensureBinaries(log);
  const controllers = (opts.controllers ?? true) && bins.full;
  if ((opts.controllers ?? true) && !bins.full) log(`note: ${bins.source} has no controller-manager/scheduler/hollow-node: starting apiservers only`);
  const lean = opts.lean ?? (!controllers && opts.clusters > LEAN_ABOVE);

  const { rec: etcd, ports: [etcdClient] } = await startServing(3, ([client, peer, metrics]) => startProcess(dir, 'etcd', bins.paths.etcd!, [
    '--data-dir', join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `default=http://127.0.0.1:${peer}`, '--listen-metrics-urls', `http://127.0.0.1:${metrics}`,
    '--log-level', 'warn',
  ]), ([client]) => `http://127.0.0.1:${client}/health`, 30_000, 'etcd');
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const repos = join(dir, 'repos');
  await mkdir(repos, { recursive: true });
  createBareRepo(repos, 'fleet.git');
  let git: SandboxState['git'];
  try {
    const started = await startServing(1, ([port]) => startGit(dir, port!, repos, opts.gitAuth), ([port]) => `http://127.0.0.1:${port}/`, 15_000, 'git server');
    git = { ...started.rec, port: started.ports[0]!, root: repos };
  } catch (e) {
    await stopProcess(etcd.pid);
    throw e;
  }
  const state: SandboxState = { version: bins.version, etcd, git, clusters: [], kubeconfig: join(dir, 'kubeconfig'), tmpDir, ownsDir, started: [] };
  // Until this sandbox is handed to the caller, any failure stops what started.
  const onExit = () => { for (const pid of allPids(state)) signal(pid, 'SIGKILL'); };
  process.on('exit', onExit);
  const hold = holdSignals();
  let forgotten = false;
  const forget = () => { if (forgotten) return; forgotten = true; process.off('exit', onExit); hold(); };
  try {
    log(`==> starting ${opts.clusters} cluster(s) on Kubernetes ${bins.version}${lean ? ' (lean apiservers)' : ''}`);
    // A few apiservers at a time: ten at once on two cores starve each other.
    const clusters: ClusterState[] = new Array(opts.clusters);
    let next = 0;
    let failed: unknown;
    // After a failure no worker takes another cluster, and the ones starting
    // finish first: the cleanup below then sees every process that started.
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, opts.clusters) }, async () => {
      while (next < opts.clusters && failed === undefined) {
        const i = next++;
        try {
          clusters[i] = await startCluster({ bins, sandboxDir: dir, index: i, etcd: etcdUrl, nodes: opts.nodesPerCluster ?? 2, controllers, lean, tmpDir, track: (rec) => state.started.push(rec), ...(opts.apiserverArgs ? { apiserverArgs: opts.apiserverArgs } : {}) });
        } catch (e) {
          failed ??= e;
        }
        if ((i + 1) % 10 === 0 && opts.clusters > 10 && failed === undefined) log(`    ${i + 1}/${opts.clusters} apiservers ready`);
      }
    }));
    if (failed !== undefined) throw failed;
    state.clusters = clusters;
    await Promise.all(state.clusters.map((c) => waitNodesReady(c)));
    for (const c of state.clusters) assertControllersRunning(c);
  } catch (e) {
    await stopState(state);
    forget();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const entries = state.clusters.flatMap((c) => [
    { context: c.name, server: c.server, ca: c.ca, token: c.adminToken, user: 'admin' },
    { context: `${c.name}-restricted`, server: c.server, ca: c.ca, token: c.restrictedToken, user: RESTRICTED_USER },
  ]);
  await writeFile(state.kubeconfig, kubeconfig(entries), { mode: 0o600 });
  await writeFile(join(dir, AGE_KEY_FILE), demoAgeKeyFile(), { mode: 0o600 });
  await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2), { mode: 0o600 });
  if (opts.gce) {
    try {
      state.compute = await startCompute(dir, state);
      await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2), { mode: 0o600 });
    } catch (e) {
      await stopState(state);
      forget();
      await rm(join(dir, STATE_FILE), { force: true });
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }
  if (opts.detach) forget();
  return handle(dir, state, bins, opts, forget, lean);
}

/**
 * SIGTERM/SIGHUP end Node without an 'exit' event, so the exit hooks that
 * kill a sandbox's processes would not run. While any sandbox of this
 * process is alive, such a signal that nobody else handles becomes an exit.
 * Returns the release of this hold.
 */
let held = 0;
const SIGNALS = ['SIGTERM', 'SIGHUP'] as const;
function exitOnSignal(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) === 1) process.exit(sig === 'SIGTERM' ? 143 : 129);
}
function holdSignals(): () => void {
  if (held++ === 0) for (const sig of SIGNALS) process.on(sig, exitOnSignal);
  return () => { if (--held === 0) for (const sig of SIGNALS) process.off(sig, exitOnSignal); };
}

function handle(dir: string, state: SandboxState, bins: Binaries, opts: SandboxOptions, forget: () => void, lean: boolean): Sandbox {
  const cluster = (name: string) => {
    const c = state.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`no sandbox cluster named ${name}`);
    return c;
  };
  const save = () => writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2), { mode: 0o600 });
  const baseUrl = `http://127.0.0.1:${state.git.port}`;
  const auth = opts.gitAuth;
  return {
    dir,
    kubeconfig: state.kubeconfig,
    ageKeyFile: join(dir, AGE_KEY_FILE),
    kubectl: bins.paths.kubectl ?? 'kubectl',
    version: state.version,
    clusters: state.clusters.map((c) => ({ name: c.name, context: c.name, server: c.server, ca: c.ca, adminToken: c.adminToken, restrictedToken: c.restrictedToken, nodes: c.nodes })),
    git: {
      url: `${baseUrl}/fleet.git`,
      baseUrl,
      ...(auth ? { username: auth.username, password: auth.password } : {}),
      createRepo: async (name) => { createBareRepo(state.git.root, name.endsWith('.git') ? name : `${name}.git`); return `${baseUrl}/${name.endsWith('.git') ? name : `${name}.git`}`; },
      refusePushes: async (on) => { await fetch(`${baseUrl}/_gitfed/refuse-pushes?on=${on ? 1 : 0}`, { method: 'POST' }); },
      stop: async () => { await stopProcess(state.git.pid); },
      start: async () => {
        state.git = startGit(dir, state.git.port, state.git.root, auth);
        await waitHttp(`${baseUrl}/`, 15_000, 'git server', state.git);
        await save();
      },
    },
    ...(state.compute ? { compute: { url: `http://127.0.0.1:${state.compute.port}` } } : {}),
    faults: {
      stopApiserver: async (c) => { await stopProcess(cluster(c).processes.apiserver!.pid); },
      killApiserver: async (c) => { await stopProcess(cluster(c).processes.apiserver!.pid, 0); },
      startApiserver: async (c) => {
        const st = cluster(c);
        const { rec } = await startApiserver(bins, dir, st, st.processes.apiserver!.args, st.adminToken, undefined, st.processes.apiserver!.env ?? {});
        st.processes.apiserver = rec;
        await save();
      },
      pauseApiserver: (c) => signal(cluster(c).processes.apiserver!.pid, 'SIGSTOP'),
      resumeApiserver: (c) => signal(cluster(c).processes.apiserver!.pid, 'SIGCONT'),
      pauseCluster: (c) => { for (const p of Object.values(cluster(c).processes)) signal(p.pid, 'SIGSTOP'); },
      resumeCluster: (c) => {
        const procs = Object.entries(cluster(c).processes);
        const controllers = new Set(['controller-manager', 'scheduler']);
        for (const [n, p] of procs) if (!controllers.has(n)) signal(p.pid, 'SIGCONT');
        for (const [n, p] of procs) if (controllers.has(n)) signal(p.pid, 'SIGCONT');
      },
      stopNode: async (c, node) => { await stopProcess(cluster(c).processes[`node/${node}`]!.pid, 0); },
      startNode: async (c, node) => {
        const st = cluster(c);
        const old = st.processes[`node/${node}`]!;
        st.processes[`node/${node}`] = startProcess(dir, node, old.cmd, old.args, old.env ?? {});
        await save();
      },
    },
    pids: () => allPids(state),
    apiserverPids: () => state.clusters.map((c) => ({ cluster: c.name, pid: c.processes.apiserver!.pid })),
    lean,
    stop: async () => {
      await stopState(state);
      forget();
      await rm(join(dir, STATE_FILE), { force: true });
      if (state.ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What `gitfed sandbox down` does: stop everything a state file lists. */
export async function stopSandboxDir(dir: string): Promise<boolean> {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return false;
  const state = JSON.parse(await readFile(file, 'utf8')) as SandboxState;
  await stopState(state);
  await rm(file, { force: true });
  return true;
}

/** Re-attach to a sandbox started by another process (e.g. `sandbox up`). */
export async function readSandboxState(dir: string): Promise<{ kubeconfig: string; gitUrl: string; computeUrl?: string; version: string; clusters: string[]; pids: number[] } | undefined> {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return undefined;
  const st = JSON.parse(await readFile(file, 'utf8')) as SandboxState;
  return { kubeconfig: st.kubeconfig, gitUrl: `http://127.0.0.1:${st.git.port}/fleet.git`, ...(st.compute ? { computeUrl: `http://127.0.0.1:${st.compute.port}` } : {}), version: st.version, clusters: st.clusters.map((c) => c.name), pids: allPids(st) };
}

export { apiserverArgs };
