// Deterministic hashes used for stable choices. Pure functions of their input.
import { createHash } from 'node:crypto';

/** FNV-1 32-bit (Go's hash/fnv New32), the tie-break Federation v1's planner used. */
export function fnv1_32(text: string): number {
  let h = 0x811c9dc5;
  // Names are ASCII almost always: hash char codes directly, UTF-8 otherwise.
  if (/^[\x00-\x7f]*$/.test(text)) {
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h, 0x01000193) >>> 0;
      h = (h ^ text.charCodeAt(i)) >>> 0;
    }
    return h;
  }
  for (const byte of new TextEncoder().encode(text)) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h >>> 0;
}

/** Federation v1's provider-uid: first 8 bytes of md5(cluster name), hex. */
export function federationProviderUid(clusterName: string): string {
  return createHash('md5').update(clusterName).digest('hex').slice(0, 16);
}

/** A GLBC uid (16 hex chars) derived from the fleet name, for fleets where no cluster has one yet. */
export function deterministicGlbcUid(fleetName: string): string {
  return createHash('sha256').update(`gitfed/glbc-uid/${fleetName}`).digest('hex').slice(0, 16);
}

/**
 * The GLBC uid a cluster gets while it leaves a shared load balancer: its own
 * (so its GLBC's garbage collection no longer matches the shared names) and
 * derived, so every pass, plan and restart computes the same one.
 */
export function leavingGlbcUid(sharedUid: string, clusterName: string): string {
  return createHash('sha256').update(`gitfed/glbc-leaving/${sharedUid}/${clusterName}`).digest('hex').slice(0, 16);
}
