// The numbers bench:peers prints: p50/max of push -> applied, the table with
// one row per peer, and the "gitfed vs Flux" ratio line. Pure: no IO.

export interface Latency {
  p50: number;
  max: number;
  n: number;
}

/** Nearest-rank median (the lower middle of an even count) and the maximum. */
export function latency(samples: readonly number[]): Latency {
  if (samples.length === 0) throw new Error('latency: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.ceil(sorted.length / 2) - 1]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

export interface PeerRow {
  name: string;
  push?: Latency;
  /** CPU seconds used per minute of wall time while there was nothing to do. */
  idleCpu?: number;
  rssBytes?: number;
  note?: string;
}

const num = (v: number | undefined, digits: number) => (v === undefined ? '-' : v.toFixed(digits));

export function formatTable(rows: readonly PeerRow[]): string {
  const head = ['', 'push->applied p50 ms', 'max ms', 'idle CPU s/min', 'RSS MB', ''];
  const cells = rows.map((r) => [r.name, num(r.push?.p50, 0), num(r.push?.max, 0), num(r.idleCpu, 2), num(r.rssBytes === undefined ? undefined : r.rssBytes / 1048576, 0), r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 || i === c.length - 1 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/** "12.3x lower" when ours is smaller, "1.5x higher" when it is not; "-" without both numbers. */
export function ratio(ours: number | undefined, theirs: number | undefined): string {
  if (ours === undefined || theirs === undefined || ours <= 0 || theirs <= 0) return '-';
  return ours <= theirs ? `${(theirs / ours).toFixed(1)}x lower` : `${(ours / theirs).toFixed(1)}x higher`;
}

export function ratioLine(ours: PeerRow, theirs: PeerRow): string {
  return `${ours.name} vs ${theirs.name}: push->applied p50 ${ratio(ours.push?.p50, theirs.push?.p50)} (max ${ratio(ours.push?.max, theirs.push?.max)}), ` +
    `idle CPU ${ratio(ours.idleCpu, theirs.idleCpu)}, RSS ${ratio(ours.rssBytes, theirs.rssBytes)}`;
}
