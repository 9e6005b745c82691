// Kubernetes name rules (DNS-1123 and friends), with messages that say what
// is allowed. Every output path gitfed builds (render OUT, the status tree)
// is made only of names that passed these checks.
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A kind is a Go-style identifier (Deployment, CronTab); never a path. */
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
/** group/version (apps/v1) or a core version (v1). */
const API_VERSION = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names Kubernetes validates as path segments, not DNS-1123 (e.g. "system:controller:x"). */
const PATH_SEGMENT_NAMED_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** undefined when valid, else why not. */
export function dns1123Subdomain(name: string): string | undefined {
  if (name.length > 253) return `"${name.slice(0, 20)}..." is longer than 253 characters`;
  if (!SUBDOMAIN.test(name)) return `"${name}" is not a valid name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (DNS-1123)`;
  return undefined;
}

export function dns1123Label(name: string): string | undefined {
  if (name.length > 63) return `"${name.slice(0, 20)}..." is longer than 63 characters`;
  if (!LABEL.test(name)) return `"${name}" is not a valid namespace or cluster name: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)`;
  return undefined;
}

/** One path segment as Kubernetes allows it in a URL: no "/", no "%", not "." or "..". */
export function pathSegmentName(name: string): string | undefined {
  if (name === '.' || name === '..' || /[/%]/.test(name) || name.length === 0 || name.length > 253) {
    return `"${name.slice(0, 40)}" is not a valid name: it may not be "." or "..", contain "/" or "%", or exceed 253 characters`;
  }
  return undefined;
}

/** The rule Kubernetes applies to metadata.name of this kind. */
export function objectName(kind: string, name: string): string | undefined {
  return PATH_SEGMENT_NAMED_KINDS.has(kind) ? pathSegmentName(name) : dns1123Subdomain(name);
}

export function kindName(kind: string): string | undefined {
  if (kind.length > 63 || !KIND.test(kind)) return `kind "${kind.slice(0, 40)}" is not a kind: use letters and digits, starting with a letter (e.g. Deployment)`;
  return undefined;
}

export function apiVersionName(apiVersion: string): string | undefined {
  if (apiVersion.length > 316 || !API_VERSION.test(apiVersion)) return `apiVersion "${apiVersion.slice(0, 60)}" is not group/version (e.g. apps/v1) or a version (v1)`;
  return undefined;
}

/**
 * Last line of defence when building a file path from a name that was
 * validated earlier: a name that still is not one plain segment is a bug,
 * and writing it could escape the output directory.
 */
export function assertPathSegment(segment: string): string {
  if (pathSegmentName(segment) !== undefined || segment.includes('\\') || segment.includes('\0')) {
    throw new Error(`refusing to build an output path from ${JSON.stringify(segment)}: not a single path segment`);
  }
  return segment;
}
