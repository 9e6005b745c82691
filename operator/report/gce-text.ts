// How Compute Engine facts read in the CLI and in the status commit, in one place.

/** A static IP: its address, or why it is not reserved. */
export function staticIpText(s: { address?: string; created?: boolean; error?: string }): string {
  return s.error ? `error: ${s.error}` : s.address ? `${s.address}${s.created ? ' (reserved now)' : ' (reserved)'}` : 'not reserved';
}

/** A shard's Compute Engine backend health: "HEALTHY 2/2", or the state and why. */
export function gceText(g: { state: string; healthy: number; total: number; reason?: string }): string {
  return `${g.state}${g.total ? ` ${g.healthy}/${g.total}` : ''}${g.reason ? ` (${g.reason})` : ''}`;
}
