// Finding (or building) the Kubernetes and etcd binaries the sandbox runs.
// Order: KUBEBUILDER_ASSETS (controller-runtime's envtest layout), then
// binaries on PATH, then the cache, then a build of the pinned Kubernetes
// from the Go module proxy (the small module in ./kube-binaries). The cache
// lives in the user's cache directory, outside the checkout, so a machine
// builds once.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KUBERNETES_VERSION = 'v1.36.3';
const KUBE = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'hollow-node', 'kubectl'] as const;
export type Binary = (typeof KUBE)[number] | 'etcd';

export interface Binaries {
  paths: Partial<Record<Binary, string>>;
  version: string;
  /** Controllers, scheduler and hollow nodes are available (not in a bare envtest dir). */
  full: boolean;
  source: string;
}

export class BinariesError extends Error {
  readonly code = 'EBINARIES';
}

/** The Go module lives in the source tree, next to this stage's TypeScript. */
export function goModuleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/operator/sandbox -> operator/sandbox/kube-binaries (source), else next to this file
  const fromDist = resolve(here, '..', '..', '..', 'operator', 'sandbox', 'kube-binaries');
  return existsSync(join(fromDist, 'go.mod')) ? fromDist : join(here, 'kube-binaries');
}

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gitfed');
}

/** Cache key: version plus a hash of everything that goes into the build. */
function buildKey(moduleDir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, name.name);
      if (name.isDirectory()) walk(p);
      else if (/\.(go|mod|sum)$/.test(name.name)) h.update(name.name).update(readFileSync(p));
    }
  };
  walk(moduleDir);
  return `kubernetes-${KUBERNETES_VERSION}-${h.digest('hex').slice(0, 12)}`;
}

function onPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

function findEtcd(): string | undefined {
  return onPath('etcd') ?? (existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : undefined);
}

async function installEtcd(log: (l: string) => void): Promise<string> {
  const found = findEtcd();
  if (found) return found;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new BinariesError('etcd was not found. Install it (Debian/Ubuntu: `apt-get install etcd-server`) or set KUBEBUILDER_ASSETS to a directory holding etcd, kube-apiserver and kubectl.');
  }
  log('==> installing etcd from Debian (apt-get install etcd-server)');
  await run('apt-get', ['update', '-qq'], log).catch(() => undefined);
  await run('apt-get', ['install', '-y', '-qq', 'etcd-server'], log);
  const etcd = findEtcd();
  if (!etcd) throw new BinariesError('apt-get installed etcd-server but no etcd binary was found on PATH');
  return etcd;
}

function run(cmd: string, args: string[], log: (l: string) => void, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (d: Buffer) => { tail = (tail + d.toString()).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => rej(new BinariesError(`${cmd}: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? res() : rej(new BinariesError(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${tail}`))));
    void log;
  });
}

function version(apiserver: string): string {
  try {
    return execFileSync(apiserver, ['--version'], { encoding: 'utf8' }).trim().replace(/^Kubernetes\s+/, '');
  } catch {
    return 'unknown';
  }
}

async function build(moduleDir: string, target: string, log: (l: string) => void): Promise<void> {
  if (!onPath('go') && !existsSync('/usr/local/go/bin/go')) {
    throw new BinariesError('Go is needed once to build the sandbox\'s Kubernetes binaries and was not found. Install Go 1.26+ (or set KUBEBUILDER_ASSETS to a directory with kube-apiserver, etcd and kubectl).');
  }
  const go = onPath('go') ?? '/usr/local/go/bin/go';
  log(`==> building Kubernetes ${KUBERNETES_VERSION} (kube-apiserver, controller-manager, scheduler, hollow-node, kubectl) from the Go module proxy`);
  log('    first time on this machine only: about 8-12 minutes on 2 cores and ~2.5 GB of memory; later runs reuse the cache');
  const tmp = `${target}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const ldflags = [
    '-s', '-w',
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ].join(' ');
  const started = Date.now();
  const ticker = setInterval(() => log(`    ... still building (${Math.round((Date.now() - started) / 60000)} min)`), 60_000);
  try {
    await run(go, ['build', '-p', '2', '-o', tmp + '/', '-ldflags', ldflags, './cmd/...'], log, {
      cwd: moduleDir, env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    });
  } finally {
    clearInterval(ticker);
  }
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
  // Older builds (other versions or sources) are ~450 MB each: keep only this one.
  const root = dirname(dirname(target));
  for (const old of readdirSync(root)) {
    if (old.startsWith('kubernetes-') && join(root, old) !== dirname(target)) await rm(join(root, old), { recursive: true, force: true });
  }
  log(`==> built in ${Math.round((Date.now() - started) / 1000)} s into ${target}`);
}

export async function ensureBinaries(log: (l: string) => void = () => undefined): Promise<Binaries> {
  const etcd = await installEtcd(log);
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const paths: Binaries['paths'] = {};
    for (const b of [...KUBE, 'etcd'] as Binary[]) if (existsSync(join(assets, b))) paths[b] = join(assets, b);
    if (!paths['kube-apiserver']) throw new BinariesError(`KUBEBUILDER_ASSETS=${assets} has no kube-apiserver`);
    paths.etcd ??= etcd;
    const full = KUBE.every((b) => paths[b]);
    return { paths, version: version(paths['kube-apiserver']!), full, source: `KUBEBUILDER_ASSETS (${assets})` };
  }
  const fromPath = Object.fromEntries(KUBE.map((b) => [b, onPath(b)])) as Record<string, string | undefined>;
  if (KUBE.every((b) => fromPath[b])) {
    return { paths: { ...fromPath, etcd } as Binaries['paths'], version: version(fromPath['kube-apiserver']!), full: true, source: 'PATH' };
  }
  const moduleDir = goModuleDir();
  const target = join(cacheRoot(), buildKey(moduleDir), 'bin');
  if (!KUBE.every((b) => existsSync(join(target, b)))) await build(moduleDir, target, log);
  const paths: Binaries['paths'] = { etcd };
  for (const b of KUBE) paths[b] = join(target, b);
  return { paths, version: version(paths['kube-apiserver']!), full: true, source: target };
}
