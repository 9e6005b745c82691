// gitfed sandbox up | down | install: local clusters and a git server for
// trying gitfed without a cloud account (and for its own tests and demo).
import { resolve } from 'node:path';
import { ensureBinaries, readSandboxState, startSandbox, stopSandboxDir } from '../sandbox/index.js';
import { privateBytes, rssBytes } from '../sandbox/supervisor.js';
import { parseCommandArgs, runCommand, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';
import type { CliIO } from './main.js';

const HELP = `usage:
  gitfed sandbox up --clusters N [--dir D] [--nodes M] [--no-controllers [--lean]] [--gce]
  gitfed sandbox down [--dir D]
  gitfed sandbox install

up       starts one etcd, N kube-apiservers (each with a controller-manager, a
         scheduler and M hollow nodes, default 2) and a git smart-HTTP server,
         all on 127.0.0.1; writes D/kubeconfig (contexts = cluster names, plus
         <name>-restricted with a token that may only list namespaces) and
         returns while they keep running. D defaults to ./.gitfed-sandbox.
         --gce also starts a stand-in for Google's Compute Engine API (REST
         paths /compute/v1/projects/...; give its URL to --gce-endpoint) and
         plays GLBC in every cluster: each Ingress of class gce gets the
         instance group, backend service, URL map, forwarding rule and
         firewall GLBC would build, named with the cluster's ingress-uid.
         N is at most 100. --lean (only with --no-controllers; the default
         there above 10 clusters) trims each apiserver's memory and idle
         CPU: no batch, autoscaling, policy, certificates, events.k8s.io or
         flowcontrol API groups, no priority and fairness, GOGC=50 and
         GOMAXPROCS=1, no identity Lease or endpoint reconciler, no watch
         cache for resources nothing here watches, no etcd metric polling,
         one etcd compactor.
down     stops every process the sandbox in D started.
install  only makes sure the binaries exist (builds Kubernetes once per machine).`;

const DEFAULT_DIR = '.gitfed-sandbox';

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const [sub, ...rest] = argv;
    const { values } = parseCommandArgs<{ clusters?: string; dir?: string; nodes?: string; 'no-controllers'?: boolean; gce?: boolean; lean?: boolean }>(`sandbox ${sub ?? ''}`.trim(), rest, COMMANDS.sandbox.flags);
    const dir = resolve(io.cwd, values.dir ?? DEFAULT_DIR);
    if (sub === 'install') {
      const b = await ensureBinaries((l) => io.err(l));
      io.out(`Kubernetes ${b.version} binaries ready (${b.source})`);
      return 0;
    }
    if (sub === 'down') {
      const stopped = await stopSandboxDir(dir);
      io.out(stopped ? `sandbox in ${dir} stopped; nothing of it is running` : `no sandbox runs in ${dir}`);
      return 0;
    }
    if (sub !== 'up') throw new UsageError(`gitfed sandbox: expected up, down or install${sub ? `, got "${sub}"` : ''}`);
    const clusters = Number(values.clusters ?? '3');
    if (!Number.isInteger(clusters) || clusters < 1 || clusters > 100) throw new UsageError('gitfed sandbox up: --clusters must be a number from 1 to 100');
    if (values.lean && !values['no-controllers']) throw new UsageError('gitfed sandbox up: --lean needs --no-controllers (the controller-manager needs the API groups a lean apiserver turns off)');
    const nodes = Number(values.nodes ?? '2');
    if (!Number.isInteger(nodes) || nodes < 0 || nodes > 20) throw new UsageError('gitfed sandbox up: --nodes must be a number from 0 to 20');
    if (await readSandboxState(dir)) throw new UsageError(`gitfed sandbox up: a sandbox already runs in ${dir}; run \`gitfed sandbox down --dir ${values.dir ?? DEFAULT_DIR}\` first`);
    const started = Date.now();
    const sb = await startSandbox({ clusters, dir, nodesPerCluster: nodes, controllers: !values['no-controllers'], ...(values.lean ? { lean: true } : {}), gce: !!values.gce, detach: true, log: (l) => io.err(l) });
    const rss = rssBytes(sb.pids());
    io.out([
      `sandbox up in ${((Date.now() - started) / 1000).toFixed(1)} s: Kubernetes ${sb.version}, ${clusters} cluster(s), ${sb.pids().length} processes, ${(rss / 1048576).toFixed(0)} MB RSS`,
      `  apiservers: ${apiserverMemory(sb.apiserverPids().map((a) => a.pid))}${sb.lean ? ' (lean)' : ''}`,
      `  kubeconfig: ${sb.kubeconfig}`,
      `  contexts:   ${sb.clusters.map((c) => c.context).join(', ')} (and <name>-restricted)`,
      `  git:        ${sb.git.url}  (an empty bare repo that accepts pushes)`,
      ...(sb.compute ? [`  compute:    ${sb.compute.url}  (a Compute Engine stand-in, not Google; for --gce-endpoint)`] : []),
      `  kubectl:    ${sb.kubectl} (or any kubectl)`,
      `  age key:    ${sb.ageKeyFile} (the sample fleet's PUBLIC demo key for manifests/tls-secret.yaml: --age-key-file, or export SOPS_AGE_KEY_FILE=${sb.ageKeyFile})`,
      `  try:        kubectl --kubeconfig ${sb.kubeconfig} --context ${sb.clusters[0]!.context} get nodes`,
      `  stop:       npx gitfed sandbox down${values.dir ? ` --dir ${values.dir}` : ''}`,
    ].join('\n'));
    return 0;
  });
}

/** RSS per apiserver just after start, and the private part (the binary's pages are shared by all). */
export function apiserverMemory(pids: number[]): string {
  const mb = (b: number) => (b / 1048576).toFixed(0);
  const rss = pids.map((p) => rssBytes([p]));
  const own = pids.map((p) => privateBytes([p]));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return `RSS ${mb(avg(rss))} MB each on average (max ${mb(Math.max(0, ...rss))}), of it private ${mb(avg(own))} MB; all ${pids.length} together ${mb(own.reduce((a, b) => a + b, 0))} MB private`;
}
