// Which revision `gitfed plan` plans: a fleet directory (its Git HEAD when it
// is a checkout), or the head of a pull-request branch fetched from --repo,
// with its base branch and the allocations the operator last committed.
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import git from 'isomorphic-git';
import { parse } from 'yaml';
import type { Allocations, Fleet, Finding } from '../core/model.js';
import { parseAllocations } from '../core/state-files.js';
import type { GitAuth } from '../git/credentials.js';
import { redact } from '../git/credentials.js';
import { RepoSource } from '../git/repo-source.js';
import { StatusWriter } from '../git/status-writer.js';
import { DEFAULT_LIMITS, loadFleet, loadFleetDir } from '../load/index.js';
import { readFleetDir } from '../load/read-dir.js';
import { filesRevision } from '../load/revision.js';
import { UsageError } from './args.js';
import { ageKeySource, allocationsFrom, selectContexts } from './fleet-context.js';
import { cloneDir, gitAuth, gitAuthor } from './git-flags.js';
import type { CliIO } from './main.js';

export interface PlannedRevision {
  fleet: Fleet;
  loadFindings: Finding[];
  allocations: Allocations;
  head: string;
  base?: string;
  branch?: string;
  baseBranch?: string;
  /** Set in --repo mode: where plan files are committed. */
  repo?: { url: string; dir: string; auth?: GitAuth; author: { name: string; email: string } };
}

/** The commit a directory is checked out at, else a hash of its fleet files. */
async function dirRevision(dir: string): Promise<string> {
  try {
    const root = await git.findRoot({ fs, filepath: dir });
    return await git.resolveRef({ fs, dir: root, ref: 'HEAD' });
  } catch {
    // Not a Git checkout: name the revision by its content.
    return filesRevision((await readFleetDir(dir, DEFAULT_LIMITS).catch(() => ({ files: [] }))).files);
  }
}

export async function revisionFromDir(dirArg: string, values: Record<string, unknown>, io: CliIO): Promise<PlannedRevision> {
  const dir = resolve(io.cwd, dirArg);
  const loaded = await loadFleetDir(dir, { age: ageKeySource(values, io) });
  selectContexts('plan', loaded.fleet, loaded.findings, values.context as string[] | undefined);
  const { allocations } = await allocationsFrom(values, io, loaded.findings);
  return { fleet: loaded.fleet, loadFindings: loaded.findings, allocations, head: await dirRevision(dir) };
}

/** Allocations as the operator last committed them on its status branch (node ports, GLBC uid). */
async function statusAllocations(o: { url: string; dir: string; auth?: GitAuth; author: { name: string; email: string } }, branch: string, findings: Finding[]): Promise<Allocations | undefined> {
  const text = await new StatusWriter({ dir: o.dir, url: o.url, branch, author: o.author, ...(o.auth ? { auth: o.auth } : {}) }).readFile('allocations.yaml');
  if (text === undefined) return undefined;
  try {
    const parsed = parseAllocations(parse(text), `${branch}:allocations.yaml`);
    // A damaged allocations file only loses the preference for earlier choices: warn, plan on.
    findings.push(...parsed.findings.map((f) => ({ ...f, severity: 'warning' as const })));
    return parsed.allocations;
  } catch (e) {
    findings.push({ severity: 'warning', code: 'BadAllocations', message: `${branch}:allocations.yaml is not valid YAML (${(e as Error).message}); planning without it` });
    return undefined;
  }
}

export async function revisionFromRepo(values: Record<string, unknown>, io: CliIO): Promise<PlannedRevision> {
  const url = values.repo as string;
  const branch = values.branch as string | undefined;
  if (!branch) throw new UsageError('gitfed plan: --repo needs --branch (the pull request\'s branch)');
  const baseBranch = (values.base as string | undefined) ?? 'main';
  const auth = gitAuth(io, values);
  const repo = { url, dir: cloneDir(io, url, values['work-dir'] as string | undefined), ...(auth ? { auth } : {}), author: gitAuthor(values) };
  const source = (b: string) => new RepoSource({ url, branch: b, dir: repo.dir, ...(auth ? { auth } : {}), ...(values.path ? { path: values.path as string } : {}) });
  const fail = (what: string, e: unknown): never => { throw new UsageError(`gitfed plan: ${what}: ${redact((e as Error).message, auth)}`); };
  const headSource = source(branch);
  const head = await headSource.fetch().catch((e) => fail(`cannot fetch branch ${branch} of ${redact(url, auth)}`, e));
  const base = await source(baseBranch).fetch().catch(() => undefined);
  const loaded = await loadFleet(await headSource.files(head), { age: ageKeySource(values, io) });
  selectContexts('plan', loaded.fleet, loaded.findings, values.context as string[] | undefined);
  let { allocations } = await allocationsFrom(values, io, loaded.findings);
  if (!values.allocations) allocations = (await statusAllocations(repo, (values['status-branch'] as string) ?? 'gitfed/status', loaded.findings)) ?? allocations;
  return { fleet: loaded.fleet, loadFindings: loaded.findings, allocations, head, ...(base ? { base } : {}), branch, baseBranch, repo };
}
