// gitfed validate DIR: load + validate + a dry render with no observations,
// so every error a revision can have offline is found here, with file:line:col.
import { render } from '../core/render.js';
import { emptyAllocations, hasErrors } from '../core/model.js';
import { readAgeIdentities } from '../load/age-keys.js';
import { compareFindings } from '../load/format-finding.js';
import { loadFleetDir } from '../load/index.js';
import { plainSecretWarnings } from '../load/plain-secrets.js';
import { outputFormat, parseCommandArgs, printStructured, runCommand, UsageError } from './args.js';
import { printFindings, summarize } from './print-findings.js';
import { COMMANDS } from './command-table.js';
import { ageKeySource } from './fleet-context.js';
import type { CliIO } from './main.js';
import { resolve } from 'node:path';

const HELP = `usage: gitfed validate DIR [--age-key-file FILE] [--allow-health-check-divergence] [--output text|json|yaml]

Checks a fleet repo (clusters/, manifests/, policies/ under DIR).
SOPS-encrypted files are opened with the age key of --age-key-file, else
SOPS_AGE_KEY_FILE or SOPS_AGE_KEY.
Prints each problem on its own line as  path/file.yaml:LINE:COL: error: message
--allow-health-check-divergence: an Override that changes the readiness probe
of Pods behind a federated Ingress is a warning, not an error (their clusters'
GLBCs then overwrite each other's shared health check).
Exit codes: 0 valid (warnings allowed), 1 errors, 2 bad usage.`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const { values, positionals } = parseCommandArgs<{ output?: string; 'age-key-file'?: string; 'allow-health-check-divergence'?: boolean }>('validate', argv, COMMANDS.validate.flags);
    const format = outputFormat('validate', values.output);
    if (positionals.length !== 1) throw new UsageError('gitfed validate: expected exactly one DIR');
    const age = ageKeySource(values, io);
    const loaded = await loadFleetDir(resolve(io.cwd, positionals[0]!), { age });
    let plain = plainSecretWarnings(loaded.fleet);
    if (plain.length > 0) {
      // The fix names the recipient of the key gitfed was given, when there is one.
      const ids = await readAgeIdentities(age);
      if ('recipients' in ids) plain = plainSecretWarnings(loaded.fleet, ids.recipients[0]);
      loaded.findings.push(...plain);
      loaded.findings.sort(compareFindings);
    }
    const result = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings, ...(values['allow-health-check-divergence'] ? { allowHealthCheckDivergence: true } : {}) });
    const findings = result.findings.filter((f) => f.severity !== 'info');
    const ok = !hasErrors(findings);
    if (!printStructured(io, format, { valid: ok, findings })) {
      printFindings(io, findings);
      io.err(summarize(findings, ok ? `fleet is valid: ${loaded.fleet.clusters.length} cluster(s), ${loaded.fleet.manifests.length} manifest(s)` : 'fleet is invalid'));
    }
    return ok ? 0 : 1;
  });
}
