// gitfed render DIR --out OUT: the per-cluster objects as files, one per
// object, so a reviewer can diff exactly what each cluster will hold.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { emptyAllocations, hasErrors, type Allocations, type Finding, type Observations, type RenderResult } from '../core/model.js';
import { assertPathSegment } from '../core/names.js';
import { render } from '../core/render.js';
import { parseAllocations, parseObservations } from '../core/state-files.js';
import { loadFleetDir } from '../load/index.js';
import { maskObject } from '../report/secret-values.js';
import { outputFormat, parseCommandArgs, printStructured, runCommand, UsageError } from './args.js';
import { printFindings, summarize } from './print-findings.js';
import { COMMANDS } from './command-table.js';
import { ageKeySource } from './fleet-context.js';
import type { CliIO } from './main.js';

const HELP = `usage: gitfed render DIR --out OUT [--observations FILE] [--allocations FILE] [--age-key-file FILE] [--output text|json|yaml]

Writes OUT/<cluster>/<namespace or _cluster>/<kind>-<name>.yaml and OUT/allocations.yaml.
--observations  YAML keyed by cluster name: health, nodePorts, ingressUid, ingresses, workloads (see README)
--allocations   a previous OUT/allocations.yaml, so node ports and GLBC uids stay put
--age-key-file  the age key for SOPS-encrypted files (else SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)
A Secret's data and stringData are written as sha256 hashes: decrypted values never reach disk.
Exit codes: 0 rendered, 1 errors (nothing written), 2 bad usage.`;

async function readState<T>(io: CliIO, file: string | undefined, parseFn: (raw: unknown, f: string) => T & { findings: Finding[] }): Promise<(T & { findings: Finding[] }) | undefined> {
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`gitfed render: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseFn(parse(text), file);
  } catch (e) {
    return { ...parseFn(undefined, file), findings: [{ severity: 'error', code: 'StateFileInvalid', place: { file, line: 1, col: 1 }, message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` }] };
  }
}

/** Only ever delete a directory that render itself wrote. */
async function prepareOut(out: string): Promise<void> {
  const entries = await readdir(out).catch(() => [] as string[]);
  if (entries.length === 0) return;
  if (!entries.includes('allocations.yaml')) {
    throw new UsageError(`gitfed render: ${out} is not empty and was not written by gitfed render (no allocations.yaml); choose an empty or new --out`);
  }
  await rm(out, { recursive: true, force: true });
}

export function renderedFiles(result: RenderResult): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of result.clusters) {
    for (const o of c.objects) {
      // Only names the loader validated reach here; checked again because a
      // "/" or ".." in any of them would write outside OUT.
      const dir = o.metadata.namespace ?? '_cluster';
      const file = `${assertPathSegment(o.kind.toLowerCase())}-${assertPathSegment(o.metadata.name)}.yaml`;
      files.set(join(assertPathSegment(c.cluster), assertPathSegment(dir), file), stringify(maskObject(o)));
    }
  }
  files.set('allocations.yaml', stringify(result.allocations));
  return files;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const { values, positionals } = parseCommandArgs<{ out?: string; observations?: string; allocations?: string; output?: string; 'age-key-file'?: string }>('render', argv, COMMANDS.render.flags);
    const format = outputFormat('render', values.output);
    if (positionals.length !== 1) throw new UsageError('gitfed render: expected exactly one DIR');
    if (!values.out) throw new UsageError('gitfed render: --out OUT is required');
    const obs = await readState<{ observations: Observations }>(io, values.observations, parseObservations);
    const alloc = await readState<{ allocations: Allocations }>(io, values.allocations, parseAllocations);
    const loaded = await loadFleetDir(resolve(io.cwd, positionals[0]!), { age: ageKeySource(values, io) });
    const stateFindings = [...(obs?.findings ?? []), ...(alloc?.findings ?? [])];
    const result = render({
      fleet: loaded.fleet, observations: obs?.observations ?? {}, allocations: alloc?.allocations ?? emptyAllocations(),
      loadFindings: [...loaded.findings, ...stateFindings],
    });
    const failed = hasErrors(result.findings);
    const out = resolve(io.cwd, values.out);
    if (!failed) {
      await prepareOut(out);
      for (const [rel, text] of renderedFiles(result)) {
        await mkdir(join(out, rel, '..'), { recursive: true });
        await writeFile(join(out, rel), text);
      }
    }
    const summary = result.clusters.map((c) => ({
      cluster: c.cluster, objects: c.objects.length, blocked: c.blocked.length, ...(c.skipped ? { skipped: c.skipped } : {}),
    }));
    if (!printStructured(io, format, { rendered: !failed, out: values.out, clusters: summary, replicas: result.replicas, allocations: result.allocations, findings: result.findings })) {
      printFindings(io, result.findings);
      if (!failed) {
        for (const c of result.clusters) {
          const reps = result.replicas.map((r) => `${r.ref.name}=${r.plan[c.cluster] ?? 0}`).join(' ');
          io.out(`${c.cluster.padEnd(16)} ${String(c.objects.length).padStart(4)} objects  ${c.blocked.length} blocked${c.skipped ? `  (${c.skipped})` : ''}${reps ? `  replicas: ${reps}` : ''}`);
        }
      }
      io.err(summarize(result.findings, failed ? 'nothing rendered' : `rendered to ${values.out}`));
    }
    return failed ? 1 : 0;
  });
}
