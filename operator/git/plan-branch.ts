// A pull request's plan, in Git: PLAN.md, plan.json and clusters/<name>.diff
// committed to branch gitfed/plans/<PR branch> (a new commit only when the
// plan changed), with trailers that say which head and base it is for, and
// a one-line git note on the head commit. Works with any Git host.
import type { GitAuth } from './credentials.js';
import { writeNote } from './notes.js';
import { StatusWriter } from './status-writer.js';

export const PLAN_NOTES_REF = 'refs/notes/gitfed-plan';

export function planBranch(prBranch: string): string {
  return `gitfed/plans/${prBranch}`;
}

export interface PlanBranchOptions {
  dir: string;
  url: string;
  prBranch: string;
  auth?: GitAuth;
  author: { name: string; email: string };
}

function writer(o: PlanBranchOptions): StatusWriter {
  return new StatusWriter({ dir: o.dir, url: o.url, branch: planBranch(o.prBranch), author: o.author, ...(o.auth ? { auth: o.auth } : {}) });
}

/** The plan.json committed for a pull-request branch, or undefined when none was committed yet. */
export async function readCommittedPlan(o: PlanBranchOptions): Promise<string | undefined> {
  return writer(o).readFile('plan.json');
}

export interface CommitPlanInput {
  files: ReadonlyMap<string, string>;
  /** First line of the commit message and of the note. */
  summary: string;
  head: string;
  base?: string;
}

export async function commitPlan(o: PlanBranchOptions, p: CommitPlanInput): Promise<{ committed: boolean; oid?: string }> {
  // Trailers: machine-readable facts at the end of the message (git interpret-trailers).
  const trailers = [`Gitfed-Plan-For: ${p.head}`, ...(p.base ? [`Gitfed-Plan-Base: ${p.base}`] : [])];
  const message = `${p.summary.replace(/[\r\n]+/g, ' ')}\n\n${trailers.join('\n')}\n`;
  const r = await writer(o).write(p.files, message);
  await writeNote({ dir: o.dir, url: o.url, author: o.author, commit: p.head, text: p.summary, ref: PLAN_NOTES_REF, ...(o.auth ? { auth: o.auth } : {}) });
  return r;
}
