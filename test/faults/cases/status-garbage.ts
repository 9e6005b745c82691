// Garbage on gitfed's own status branch (it carries gitfed's marker file, as
// a branch gitfed wrote does) before the operator starts (it reads
// allocations.yaml back at start-up): a malformed allocations.yaml, broken
// YAML, binary files. The operator must still apply the fleet, write its
// status commit over the garbage, and apply the next push. (A branch without
// the marker is not gitfed's: writing over it is refused, see status-dir.)
import { STATUS_MARKER } from '../../../operator/report/status-tree.js';
import type { OperatorFault } from '../operator-scenario.js';
import { waitFor } from '../wait.js';

function garbage(id: string, files: Record<string, string | Buffer>): OperatorFault {
  return {
    id,
    faulted: () => [],
    beforeStart: ({ repo }) => repo.pushBranch('gitfed/status', { [STATUS_MARKER]: 'Written by gitfed\n', ...files }, 'garbage'),
    inject: async () => undefined,
    during: async (ctx) => {
      const subject = await waitFor(20_000, () => ctx.repo.log('gitfed/status')[0]?.startsWith('status:') || undefined, 500);
      if (!subject) ctx.outcome.problems.push('no status commit landed over the garbage');
    },
    remove: async () => undefined,
    bounds: { before: 45_000, after: 20_000 },
  };
}

const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));

export const STATUS_GARBAGE: Array<{ label: string; fault: OperatorFault }> = [
  {
    label: 'status branch: malformed allocations.yaml',
    fault: garbage('status-malformed', { 'allocations.yaml': 'nodePorts:\n  web/web: { http: "not-a-port", 80: -3 }\n  other: 12\nglbc:\n  uid: [1, 2]\n  providerUids: nope\n' }),
  },
  { label: 'status branch: broken YAML', fault: garbage('status-broken-yaml', { 'allocations.yaml': 'nodePorts: {web/web: [\n  glbc: : :\n', 'clusters.yaml': ': : [' }) },
  { label: 'status branch: binary files', fault: garbage('status-binary', { 'allocations.yaml': binary, 'README.md': binary, 'ingresses/x/y.yaml': binary }) },
];
