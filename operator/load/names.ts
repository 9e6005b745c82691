// Kubernetes name rules (DNS-1123), with messages that say what is allowed.
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
