// Revisions as people read them in commit subjects, tables and logs.

/** The first 7 characters of a commit (or content hash), or `missing` without one. */
export function shortRev(rev: string | undefined, missing = '-'): string {
  return rev ? rev.slice(0, 7) : missing;
}
