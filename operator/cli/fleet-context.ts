// What the cluster-facing commands (plan, apply, status, doctor) share:
// flags, loading the fleet, the kubeconfig, the allocations file.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { emptyAllocations, hasErrors, type Allocations, type Fleet, type Finding } from '../core/model.js';
import { parseAllocations } from '../core/state-files.js';
import { loadFleetDir } from '../load/index.js';
import { outputFormat, parseCommandArgs, UsageError, type OutputFormat } from './args.js';
import { COMMANDS, FLEET_FLAGS, type CommandName } from './command-table.js';
import type { CliIO } from './main.js';

export interface FleetCommand {
  fleet: Fleet;
  loadFindings: Finding[];
  kubeconfig: string;
  allocations: Allocations;
  allocationsFile?: string;
  format: OutputFormat;
  values: Record<string, unknown>;
}

/** `command`'s flags come from the command table (FLEET_FLAGS plus its own). */
export async function fleetCommand(command: CommandName, argv: string[], io: CliIO): Promise<FleetCommand> {
  const { values, positionals } = parseCommandArgs<Record<string, unknown>>(command, argv, { ...FLEET_FLAGS, ...COMMANDS[command].flags });
  if (positionals.length !== 1) throw new UsageError(`gitfed ${command}: expected exactly one fleet DIR`);
  const format = outputFormat(command, values.output);
  const kubeconfig = resolve(io.cwd, (values.kubeconfig as string | undefined) ?? io.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
  if (!existsSync(kubeconfig)) throw new UsageError(`gitfed ${command}: kubeconfig ${kubeconfig} does not exist; pass --kubeconfig`);
  const loaded = await loadFleetDir(resolve(io.cwd, positionals[0]!));
  const fleet = loaded.fleet;
  const contexts = values.context as string[] | undefined;
  if (contexts?.length) {
    const unknown = contexts.filter((c) => !fleet.clusters.some((x) => x.context === c || x.name === c));
    if (unknown.length && !hasErrors(loaded.findings)) throw new UsageError(`gitfed ${command}: --context ${unknown.join(', ')} matches no cluster of the fleet`);
    fleet.clusters = fleet.clusters.filter((c) => contexts.includes(c.context) || contexts.includes(c.name));
  }
  let allocations = emptyAllocations();
  const allocationsFile = values.allocations ? resolve(io.cwd, values.allocations as string) : undefined;
  if (allocationsFile && existsSync(allocationsFile)) {
    const parsed = parseAllocations(parse(await readFile(allocationsFile, 'utf8')), values.allocations as string);
    loaded.findings.push(...parsed.findings);
    allocations = parsed.allocations;
  }
  return { fleet, loadFindings: loaded.findings, kubeconfig, allocations, ...(allocationsFile ? { allocationsFile } : {}), format, values };
}

export async function saveAllocations(cmd: FleetCommand, allocations: Allocations): Promise<void> {
  if (cmd.allocationsFile) await writeFile(cmd.allocationsFile, stringify(allocations));
}

/** Fixed-width table like kubectl's. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('')).join('\n');
}
