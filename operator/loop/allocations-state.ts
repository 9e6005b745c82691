// allocations.yaml on the status branch: the node ports and GLBC uids gitfed
// decided before, read back once at start-up so they survive restarts. It is
// gitfed's own file, but anyone with push access can break it: an invalid one
// must not stop every tick. It is then ignored (and reported), and the render
// core rebuilds the allocations from what the clusters hold: the node ports
// of the live Services and the uid of kube-system/ingress-uid.
import { parse } from 'yaml';
import { emptyAllocations, type Allocations, type Finding } from '../core/model.js';
import { parseAllocations } from '../core/state-files.js';
import type { StatusSink } from './operator-types.js';

const FILE = 'allocations.yaml';

function invalid(message: string): Finding {
  return { severity: 'error', code: 'AllocationsInvalid', place: { file: FILE, line: 1, col: 1 }, message: `${message}; ignored: allocations were rebuilt from the clusters` };
}

/** Throws only when the sink cannot be read (git): that fails the git stage, not the loop. */
export async function readAllocations(sink: StatusSink): Promise<{ allocations: Allocations; finding?: Finding }> {
  const text = await sink.read(FILE);
  if (text === undefined) return { allocations: emptyAllocations() };
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    return { allocations: emptyAllocations(), finding: invalid(`not valid YAML: ${(e as Error).message.split('\n')[0]}`) };
  }
  const parsed = parseAllocations(raw, FILE);
  const errors = parsed.findings.filter((f) => f.severity === 'error').map((f) => f.message);
  for (const [svc, ports] of Object.entries(parsed.allocations.nodePorts)) {
    for (const [port, nodePort] of Object.entries(ports)) {
      if (nodePort < 1 || nodePort > 65535) errors.push(`nodePorts.${svc}.${port}: ${nodePort} is not a port`);
    }
  }
  if (errors.length) return { allocations: emptyAllocations(), finding: invalid(errors.join('; ')) };
  return { allocations: parsed.allocations };
}
