// What a user cares about after a fault or a piece of hostile input, and the
// one line the fault suite prints for it.

export interface FaultOutcome {
  /** The gitfed process died (or exited with a code it must not use) while it should have kept running. */
  crashed: boolean;
  /** Objects the fleet renders that are missing from a cluster that is up, or were deleted when they should not be. */
  lost: number;
  /** Writes that must never happen: the GLBC uid changed after a failed observation, files outside OUT, the checkout deleted, ... */
  unsafe: number;
  /** After the fault was removed the fleet converged again; undefined where that does not apply. */
  recovered?: boolean;
  /** Anything else that makes the run fail (a retry storm, /readyz lying), in words. */
  problems: string[];
  /** What was seen, for the reader of a failing line (not part of the verdict). */
  notes: string[];
}

export function newOutcome(): FaultOutcome {
  return { crashed: false, lost: 0, unsafe: 0, problems: [], notes: [] };
}

export function survived(o: FaultOutcome): boolean {
  return !o.crashed && o.lost === 0 && o.unsafe === 0 && o.recovered !== false && o.problems.length === 0;
}

export function formatLine(name: string, o: FaultOutcome, width = 44): string {
  const recovered = o.recovered === undefined ? '-' : o.recovered ? 'yes' : 'no';
  const verdict = survived(o) ? 'survived' : 'NOT SURVIVED';
  // One line, whatever the messages hold.
  const why = [...o.problems, ...(survived(o) ? [] : o.notes)].map((w) => w.replace(/\s+/g, ' ').trim());
  return `${name.padEnd(width)} crashed=${o.crashed ? 'yes' : 'no'} lost=${o.lost} unsafe=${o.unsafe} recovered=${recovered}  ${verdict}${why.length ? `  (${why.join('; ')})` : ''}`;
}

export function totalLine(results: Array<{ outcome: FaultOutcome }>): string {
  const ok = results.filter((r) => survived(r.outcome)).length;
  const lost = results.reduce((n, r) => n + r.outcome.lost, 0);
  return `faults: ${results.length} tried, ${ok} survived, ${lost} lost`;
}
