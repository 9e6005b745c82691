// What the cluster-facing commands (plan, apply, status, doctor) share:
// flags, loading the fleet, the kubeconfig, the allocations file.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { emptyAllocations, hasErrors, type Allocations, type Fleet, type Finding } from '../core/model.js';
import { parseAllocations } from '../core/state-files.js';
import { loadFleetDir, type AgeKeySource } from '../load/index.js';
import { outputFormat, parseCommandArgs, UsageError, type OutputFormat } from './args.js';
import { COMMANDS, FLEET_FLAGS, type CommandName } from './command-table.js';
import type { CliIO } from './main.js';

export interface FleetCommand {
  /** The clusters --context selected (all of them without it). */
  fleet: Fleet;
  /** Every cluster of the fleet, whatever --context selected (gc must know every owner). */
  allClusters: Fleet['clusters'];
  loadFindings: Finding[];
  kubeconfig: string;
  allocations: Allocations;
  allocationsFile?: string;
  format: OutputFormat;
  values: Record<string, unknown>;
}

/** --kubeconfig, else $KUBECONFIG, else ~/.kube/config (which may not exist). */
export function kubeconfigCandidate(values: Record<string, unknown>, io: CliIO): string {
  return resolve(io.cwd, (values.kubeconfig as string | undefined) ?? io.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
}

/** kubeconfigCandidate, which must exist. */
export function kubeconfigPath(command: string, values: Record<string, unknown>, io: CliIO): string {
  const kubeconfig = kubeconfigCandidate(values, io);
  if (!existsSync(kubeconfig)) throw new UsageError(`gitfed ${command}: kubeconfig ${kubeconfig} does not exist; pass --kubeconfig`);
  return kubeconfig;
}

/** Where the age keys for SOPS-encrypted files come from: --age-key-file, then the environment (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY). */
export function ageKeySource(values: Record<string, unknown>, io: CliIO): AgeKeySource {
  const file = values['age-key-file'] as string | undefined;
  return { ...(file ? { keyFile: resolve(io.cwd, file) } : {}), env: io.env };
}

/** --context (repeatable) limits a run to those clusters (by context or cluster name). */
export function selectContexts(command: string, fleet: Fleet, findings: Finding[], contexts: string[] | undefined): void {
  if (!contexts?.length) return;
  const unknown = contexts.filter((c) => !fleet.clusters.some((x) => x.context === c || x.name === c));
  if (unknown.length && !hasErrors(findings)) throw new UsageError(`gitfed ${command}: --context ${unknown.join(', ')} matches no cluster of the fleet`);
  fleet.clusters = fleet.clusters.filter((c) => contexts.includes(c.context) || contexts.includes(c.name));
}

/** The --allocations file (what render wrote last time), if given and present. */
export async function allocationsFrom(values: Record<string, unknown>, io: CliIO, findings: Finding[]): Promise<{ allocations: Allocations; allocationsFile?: string }> {
  const allocationsFile = values.allocations ? resolve(io.cwd, values.allocations as string) : undefined;
  if (!allocationsFile || !existsSync(allocationsFile)) return { allocations: emptyAllocations(), ...(allocationsFile ? { allocationsFile } : {}) };
  const parsed = parseAllocations(parse(await readFile(allocationsFile, 'utf8')), values.allocations as string);
  findings.push(...parsed.findings);
  return { allocations: parsed.allocations, allocationsFile };
}

/** `command`'s flags come from the command table (FLEET_FLAGS plus its own). */
export async function fleetCommand(command: CommandName, argv: string[], io: CliIO): Promise<FleetCommand> {
  const { values, positionals } = parseCommandArgs<Record<string, unknown>>(command, argv, { ...FLEET_FLAGS, ...COMMANDS[command].flags });
  if (positionals.length !== 1) throw new UsageError(`gitfed ${command}: expected exactly one fleet DIR`);
  const format = outputFormat(command, values.output);
  const kubeconfig = kubeconfigPath(command, values, io);
  const loaded = await loadFleetDir(resolve(io.cwd, positionals[0]!), { age: ageKeySource(values, io) });
  const fleet = loaded.fleet;
  const allClusters = fleet.clusters;
  selectContexts(command, fleet, loaded.findings, values.context as string[] | undefined);
  const { allocations, allocationsFile } = await allocationsFrom(values, io, loaded.findings);
  return { fleet, allClusters, loadFindings: loaded.findings, kubeconfig, allocations, ...(allocationsFile ? { allocationsFile } : {}), format, values };
}

export async function saveAllocations(cmd: FleetCommand, allocations: Allocations): Promise<void> {
  if (cmd.allocationsFile) await writeFile(cmd.allocationsFile, stringify(allocations));
}

/** Fixed-width table like kubectl's. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('')).join('\n');
}
