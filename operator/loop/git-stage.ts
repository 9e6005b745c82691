// Stage 1 of a tick: git. Fetch the head, read and load a revision that is
// new, and keep it pending until a tick has rendered (and applied) it, so an
// aborted or failed tick does not lose it. The fetch is split from the state
// it changes: the IO half mutates nothing, so a fetch that outlives its tick
// (a stalled git server) finishes in the background and is taken up by the
// first tick after it settles, while the ticks in between heal the clusters
// from the last good revision instead of waiting.
import { hasErrors, type Finding, type Fleet, type LoadResult } from '../core/model.js';
import type { FleetFile, LoadLimits } from '../load/index.js';
import { formatFinding, loadFleet, type AgeKeySource } from '../load/index.js';
import { filesRevision } from '../load/revision.js';
import { short } from '../report/status-tree.js';
import { readAllocations } from './allocations-state.js';
import type { Logger } from './logger.js';
import type { PushHint, RevisionSource, StatusSink } from './operator-types.js';

/** How long a tick with something to heal waits for git before it goes on to the clusters. */
export const DEFAULT_GIT_WAIT_MS = 5000;

/** A revision that loaded: what render and apply take. */
export interface Revision {
  revision: string;
  fleet: Fleet;
  findings: Finding[];
}

type AllocationsRead = Awaited<ReturnType<typeof readAllocations>>;

export interface GitStageOptions {
  source: RevisionSource;
  sink: StatusSink;
  log: Logger;
  limits?: LoadLimits;
  age?: AgeKeySource;
  /** How long a tick that could heal waits for git (default DEFAULT_GIT_WAIT_MS). */
  waitMs?: number;
  /** allocations.yaml of the status branch, read once at start-up. */
  onAllocations(read: AllocationsRead): void;
}

/** What one fetch brought: nothing in it has touched the stage's state yet. */
interface Fetched {
  head: string;
  allocations?: AllocationsRead;
  read?: { files: FleetFile[]; findings: Finding[] };
  /** filesHash of `read`. */
  hash?: string;
  /** The files loaded (SOPS files opened, which is async), when they differ from the last ones. */
  loaded?: LoadResult;
}

function filesHash(files: readonly FleetFile[], findings: readonly Finding[]): string {
  return filesRevision([...files].sort((a, b) => (a.path < b.path ? -1 : 1)), findings.map(formatFinding));
}

export class GitStage {
  /** The head revision last examined (what the status reports). */
  lastSeen?: string;
  /** Findings of that head (errors mean it was not applied). */
  headFindings: Finding[] = [];
  /** Loaded, not yet rendered and applied. */
  pending?: Revision;
  /** The raw head last fetched, and the hash of its fleet files: a commit that changes no fleet file (e.g. gitfed's own status commit) is not a new revision. */
  private lastHead?: string;
  private lastFilesHash?: string;
  private allocationsLoaded = false;
  /** The fetch in flight; it may outlive the tick that started it. */
  private inFlight?: Promise<{ got: Fetched } | { error: string }>;
  /** A fetch is chained after the one in flight (for a webhook) and has not started yet. */
  private followUpQueued = false;

  constructor(private readonly opts: GitStageOptions) {}

  /**
   * The git stage of one tick. With a last good revision to heal
   * (`canHeal`), wait for the fetch at most `waitMs`, then let the tick go on
   * to the clusters; `onLateRevision` is called if the fetch then brings
   * something (so the caller ticks again at once). Without one there is
   * nothing to heal, so wait for git (bounded by --git-timeout and the idle
   * limit of gitfed's git agents). `push` (a webhook announced a push):
   * a fetch still in flight from before may have asked the server before
   * the push, so another one follows it, and that one fetches at once.
   */
  async run(canHeal: boolean, onLateRevision: () => void, push?: PushHint): Promise<{ error?: string; settled: boolean }> {
    const start = () => this.fetch(push).then((got) => ({ got }), (e: unknown) => ({ error: (e as Error).message }));
    // One follow-up at most: a second webhook before it starts is covered by it.
    if (push && this.inFlight && !this.followUpQueued) {
      this.followUpQueued = true;
      this.inFlight = this.inFlight.then(() => { this.followUpQueued = false; return start(); });
    }
    this.inFlight ??= start();
    const inFlight = this.inFlight;
    const waitMs = this.opts.waitMs ?? DEFAULT_GIT_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const waited = canHeal ? await Promise.race([inFlight, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), waitMs); })]) : await inFlight;
    clearTimeout(timer);
    if (!waited) {
      void inFlight.then((r) => { if ('got' in r) onLateRevision(); });
      return { settled: false, error: `git has not answered within ${Math.round(waitMs / 1000)}s (still waiting in the background)` };
    }
    this.inFlight = undefined;
    if ('error' in waited) return { settled: true, error: waited.error };
    this.take(waited.got);
    return { settled: true };
  }

  /** The pending revision was rendered (applied or refused): it is no longer pending, unless a newer one replaced it meanwhile. */
  taken(rev: Revision): void {
    if (this.pending === rev) this.pending = undefined;
  }

  /** The IO half: allocations (once), the head, and the files of a head not seen before. */
  private async fetch(push: PushHint | undefined): Promise<Fetched> {
    const { source, sink } = this.opts;
    const allocations = this.allocationsLoaded ? undefined : await readAllocations(sink);
    const head = await source.head(push);
    const read = head === this.lastHead ? undefined : await source.files(head);
    const hash = read ? filesHash(read.files, read.findings) : undefined;
    const loaded = read && hash !== this.lastFilesHash
      ? await loadFleet(read.files, { ...(this.opts.limits ? { limits: this.opts.limits } : {}), ...(this.opts.age ? { age: this.opts.age } : {}) })
      : undefined;
    return { head, ...(allocations ? { allocations } : {}), ...(read ? { read, hash } : {}), ...(loaded ? { loaded } : {}) };
  }

  /** The state half: a new revision that loaded becomes pending. */
  private take(got: Fetched): void {
    const { log } = this.opts;
    if (got.allocations && !this.allocationsLoaded) {
      if (got.allocations.finding) log.error('allocations.yaml on the status branch is invalid: rebuilding allocations from what the clusters hold', { error: got.allocations.finding.message });
      this.opts.onAllocations(got.allocations);
      this.allocationsLoaded = true;
    }
    const { head, read, hash } = got;
    if (head === this.lastHead || !read) return;
    // Loaded in fetch only if the files differed then; if they differ only now, a later fetch loads them.
    if (hash !== this.lastFilesHash && !got.loaded) return;
    this.lastHead = head;
    if (hash === this.lastFilesHash) return;
    this.lastFilesHash = hash;
    this.lastSeen = head;
    const loaded = got.loaded!;
    const findings = [...read.findings, ...loaded.findings];
    this.headFindings = findings;
    this.pending = undefined;
    if (hasErrors(findings)) {
      // A missing or wrong age key is fixed outside Git (the key's Secret): load this revision again next tick.
      if (findings.some((f) => f.code === 'SopsNoKey' || f.code === 'SopsWrongKey')) { this.lastHead = undefined; this.lastFilesHash = undefined; }
      log.error('revision has errors: not applied', { revision: short(head), first: findings.find((f) => f.severity === 'error')?.message });
      return;
    }
    this.pending = { revision: head, fleet: loaded.fleet, findings };
  }
}
