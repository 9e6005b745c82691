// gitfed rollout status | approve REV --wave NAME | pause | resume | abort [REV]
// Status reads rollouts/index.yaml from the operator's status branch; the
// others are commits on branch gitfed/control, which the operator reads on
// every tick (Git's history says who decided what, and when).
import { CONTROL_BRANCH, updateControl } from '../git/control-branch.js';
import { redact } from '../git/credentials.js';
import { StatusWriter } from '../git/status-writer.js';
import { ROLLOUT_INDEX_FILE, parseIndex } from '../loop/rollout-driver.js';
import { rolloutExitCode, rolloutLine } from '../report/rollout-view.js';
import { outputFormat, parseCommandArgs, printStructured, runCommand, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';
import { cloneDir, gitAuth, gitAuthor } from './git-flags.js';
import type { CliIO } from './main.js';

const HELP = `usage: gitfed rollout status --repo URL [--status-branch gitfed/status] [--output text|json|yaml]
       gitfed rollout approve REV --wave NAME --repo URL
       gitfed rollout pause --repo URL
       gitfed rollout resume --repo URL
       gitfed rollout abort [REV] --repo URL

status: the current rollout, wave by wave. Exit 0 done (or none), 10 running,
11 paused or waiting for approval, 12 reverted or aborted, 13 failed.
approve, pause, resume, abort: one commit each on branch gitfed/control
(--control-branch), read by the operator on its next tick. A pause stops at
the next wave boundary; abort reverts the rollout's clusters to the stable
revision and quarantines the revision. Author: --author-name/--author-email,
else $GIT_AUTHOR_NAME/$GIT_AUTHOR_EMAIL.`;

const FLAGS = COMMANDS.rollout.flags;

type Entry = { revision: string; wave?: string; by?: string };

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs<Record<string, unknown>>('rollout', rest, FLAGS as never);
    if (!values.repo) throw new UsageError('gitfed rollout: --repo URL is required');
    const url = values.repo as string;
    const auth = gitAuth(io, values);
    const author = values['author-name'] ? gitAuthor(values) : { name: io.env.GIT_AUTHOR_NAME ?? 'gitfed-cli', email: io.env.GIT_AUTHOR_EMAIL ?? 'gitfed-cli@localhost' };
    const ends = { dir: cloneDir(io, url, values['work-dir'] as string | undefined), url, author, ...(auth ? { auth } : {}) };
    const fail = (e: unknown): never => { throw new Error(redact((e as Error).message, auth)); };
    const readIndex = async () => parseIndex(await new StatusWriter({ ...ends, branch: (values['status-branch'] as string) ?? 'gitfed/status' }).readFile(ROLLOUT_INDEX_FILE).catch(fail));
    const control = (message: string, change: (c: Record<string, unknown>) => Record<string, unknown>) =>
      updateControl({ ...ends, branch: (values['control-branch'] as string) ?? CONTROL_BRANCH }, message, change).catch(fail);
    const list = (c: Record<string, unknown>, key: string) => (Array.isArray(c[key]) ? (c[key] as Entry[]) : []);
    const by = `${author.name} <${author.email}>`;

    switch (sub) {
      case 'status': {
        const index = await readIndex();
        const code = rolloutExitCode(index.current);
        if (printStructured(io, outputFormat('rollout status', values.output), { exitCode: code, ...index })) return code;
        if (!index.current) { io.out('no rollout recorded (no RolloutPolicy, or the operator has not run one yet)'); return 0; }
        io.out(`rollout ${rolloutLine(index.current)}`);
        io.out(`stable revision: ${index.stable?.slice(0, 7) ?? '-'}`);
        for (const w of index.current.waves) io.out(`  wave ${w.name.padEnd(14)} ${w.state.padEnd(17)} ${w.clusters.join(',') || '-'}${w.reason ? `  (${w.reason})` : ''}`);
        for (const q of index.quarantined.slice(0, 5)) io.out(`quarantined ${q.revision.slice(0, 7)}: ${q.reason}`);
        return code;
      }
      case 'approve': {
        const rev = positionals[0];
        const wave = values.wave as string | undefined;
        if (!rev || !wave) throw new UsageError('gitfed rollout approve: needs REV and --wave NAME');
        const r = await control(`rollout approve ${rev.slice(0, 7)} --wave ${wave}`, (c) => ({ ...c, approvals: [...list(c, 'approvals').filter((a) => !(a.revision === rev && a.wave === wave)), { revision: rev, wave, by }] }));
        io.out(r.committed ? `approved wave ${wave} of ${rev.slice(0, 7)} (commit ${r.oid?.slice(0, 7)} on ${CONTROL_BRANCH})` : `wave ${wave} of ${rev.slice(0, 7)} was already approved`);
        return 0;
      }
      case 'pause':
      case 'resume': {
        const paused = sub === 'pause';
        const r = await control(`rollout ${sub}`, (c) => ({ ...c, paused }));
        io.out(r.committed ? `rollouts ${paused ? 'paused at the next wave boundary' : 'resumed'}` : `rollouts were already ${paused ? 'paused' : 'running'}`);
        return 0;
      }
      case 'abort': {
        const rev = positionals[0] ?? (await readIndex()).current?.revision;
        if (!rev) throw new UsageError('gitfed rollout abort: no rollout is recorded; give REV');
        const r = await control(`rollout abort ${rev.slice(0, 7)}`, (c) => ({ ...c, aborts: [...list(c, 'aborts').filter((a) => a.revision !== rev), { revision: rev, by }] }));
        io.out(r.committed ? `abort of ${rev.slice(0, 7)} committed: the operator reverts it on its next tick` : `${rev.slice(0, 7)} was already aborted`);
        return 0;
      }
      default:
        throw new UsageError(`gitfed rollout: unknown subcommand "${sub ?? ''}"; expected status, approve, pause, resume or abort`);
    }
  });
}
