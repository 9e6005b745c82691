// gitfed init DIR --kubeconfig F [--context NAME]... [--force]: a new fleet
// repo for some (default: all) contexts of a kubeconfig, which `gitfed
// validate` accepts as written. Never writes credentials.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { KubeconfigError, kubeconfigContexts } from '../cluster/connect.js';
import { schemaFiles } from '../load/json-schema.js';
import { parseCommandArgs, runCommand, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';
import { clusterNameFrom, clustersFromContexts } from './init-contexts.js';
import { initFiles } from './init-files.js';
import type { CliIO } from './main.js';
import { packageRoot } from './package-root.js';

const HELP = `usage: gitfed init DIR --kubeconfig F [--context NAME]... [--force]

Writes a fleet repo into DIR: clusters/<name>.yaml for each context (all
contexts of the kubeconfig unless --context is given; GKE contexts become
provider: gce with their project and zone, others provider: other), a
Fleet, a NodePortPolicy, a DriftPolicy, a commented RolloutPolicy, the
nginx example under manifests/, JSON Schemas for editors under schemas/, a
.gitignore and a README with the next steps. Only context names are read
from the kubeconfig: no credentials are written.
DIR must be empty or missing, unless --force (then gitfed's files are
overwritten and other files are left alone).
Exit codes: 0 written, 1 error, 2 bad usage.`;

export interface InitOptions {
  dir: string;
  kubeconfig: string;
  contexts: string[];
  force: boolean;
}

function options(argv: string[], io: CliIO): InitOptions {
  const { values, positionals } = parseCommandArgs<{ kubeconfig?: string; context?: string[]; force?: boolean }>('init', argv, COMMANDS.init.flags);
  if (positionals.length !== 1) throw new UsageError('gitfed init: expected exactly one DIR');
  const kubeconfig = resolve(io.cwd, values.kubeconfig ?? io.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
  if (!existsSync(kubeconfig)) throw new UsageError(`gitfed init: kubeconfig ${kubeconfig} does not exist; pass --kubeconfig`);
  return { dir: resolve(io.cwd, positionals[0]!), kubeconfig, contexts: values.context ?? [], force: !!values.force };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const opts = options(argv, io);
    let all: ReturnType<typeof kubeconfigContexts>;
    try {
      all = kubeconfigContexts(opts.kubeconfig);
    } catch (e) {
      if (!(e instanceof KubeconfigError)) throw e;
      io.err(`gitfed init: ${e.message.split('\n')[0]}`);
      return 1;
    }
    const unknown = opts.contexts.filter((c) => !all.some((x) => x.name === c));
    if (unknown.length) throw new UsageError(`gitfed init: kubeconfig ${opts.kubeconfig} has no context ${unknown.map((c) => `"${c}"`).join(', ')} (contexts: ${all.map((c) => c.name).join(', ') || 'none'})`);
    const chosen = opts.contexts.length ? opts.contexts.map((c) => all.find((x) => x.name === c)!) : all;
    if (chosen.length === 0) throw new UsageError(`gitfed init: kubeconfig ${opts.kubeconfig} has no contexts`);
    if (existsSync(opts.dir) && (await readdir(opts.dir)).length > 0 && !opts.force) {
      io.err(`gitfed init: ${opts.dir} is not empty; choose an empty directory, or pass --force to write gitfed's files into it`);
      return 1;
    }
    const clusters = clustersFromContexts(chosen);
    const fleet = clusterNameFrom(basename(opts.dir));
    const files = initFiles(fleet, clusters);
    for (const [rel, text] of files) {
      await mkdir(dirname(join(opts.dir, rel)), { recursive: true });
      await writeFile(join(opts.dir, rel), text);
    }
    // The schemas shipped with this gitfed, so the files' schema lines work offline and match it.
    await mkdir(join(opts.dir, 'schemas'), { recursive: true });
    for (const name of schemaFiles().keys()) await copyFile(join(packageRoot(), 'schemas', name), join(opts.dir, 'schemas', name));
    io.out([
      `fleet repo "${fleet}" written to ${opts.dir}:`,
      ...clusters.map((c) => `  clusters/${c.name}.yaml  context ${c.context}, provider ${c.provider}${c.gce ? ` (${[c.gce.project, c.gce.zone].filter(Boolean).join(', ')})` : ''}`),
      `  policies/, manifests/nginx.yaml, schemas/, .gitignore, README.md`,
      `next: npx gitfed validate ${positionalFor(io, opts.dir)} (then see its README.md)`,
    ].join('\n'));
    return 0;
  });
}

const positionalFor = (io: CliIO, dir: string) => (dir.startsWith(io.cwd + '/') ? dir.slice(io.cwd.length + 1) : dir);
