// The few consistency rules of Compute Engine that GLBC's behaviour (and its
// hazards) depend on: a reference must name an existing resource, a resource
// still referenced cannot be deleted, and an instance may belong to only one
// load-balanced instance group (what a leftover k8s-ig--<old uid> trips over).
import { ComputeError, SELF_LINK_BASE, type Resource } from './compute-store.js';

/** "https://.../compute/v1/projects/p/global/x/n", "projects/p/global/x/n" or "global/x/n" (+ project) -> "projects/p/global/x/n". */
export function normalizeRef(ref: string, project?: string): string {
  const i = ref.indexOf('projects/');
  if (i >= 0) return ref.slice(i);
  if (project && /^(global|zones|regions)\//.test(ref)) return `projects/${project}/${ref}`;
  return ref.startsWith(SELF_LINK_BASE) ? ref.slice(SELF_LINK_BASE.length) : ref;
}

function projectOf(key: string): string | undefined {
  return /^projects\/([^/]+)\//.exec(key)?.[1];
}

/** Every resource a body points at (the fields GLBC's resources use). */
function refsOf(collection: string, body: Record<string, any>): string[] {
  switch (collection) {
    case 'backendServices':
      return [...(body.healthChecks ?? []), ...(body.backends ?? []).map((b: { group?: string }) => b.group)].filter(Boolean);
    case 'urlMaps':
      return [body.defaultService, ...(body.pathMatchers ?? []).flatMap((m: any) => [m.defaultService, ...(m.pathRules ?? []).map((r: any) => r.service)])].filter(Boolean);
    case 'targetHttpProxies':
      return [body.urlMap].filter(Boolean);
    case 'targetHttpsProxies':
      return [body.urlMap, ...(body.sslCertificates ?? [])].filter(Boolean);
    case 'forwardingRules':
      return [body.target].filter(Boolean);
    default:
      return [];
  }
}

export function checkRefs(resources: Map<string, Resource>, project: string, collection: string, body: Record<string, any>): void {
  for (const ref of refsOf(collection, body)) {
    const key = normalizeRef(ref, project);
    if (!resources.has(key)) throw new ComputeError(404, 'notFound', `The resource '${key}' was not found`);
  }
}

export function checkInUse(resources: Map<string, Resource>, key: string): void {
  for (const [otherKey, other] of resources) {
    const collection = otherKey.split('/').at(-2)!;
    const project = projectOf(otherKey);
    if (refsOf(collection, other).some((r) => normalizeRef(r, project) === key)) {
      throw new ComputeError(400, 'resourceInUseByAnotherResource', `The resource '${key}' is already being used by '${otherKey}'`);
    }
  }
}

/** Compute Engine refuses a backend whose instances already sit in another load-balanced instance group. */
export function checkLoadBalancedIgs(resources: Map<string, Resource>, members: Map<string, string[]>, bsKey: string, body: Record<string, any>): void {
  const project = projectOf(bsKey);
  const mine = (body.backends ?? []).map((b: { group?: string }) => b.group && normalizeRef(b.group, project)).filter(Boolean) as string[];
  const balanced = new Set<string>(mine);
  for (const [key, r] of resources) {
    if (key === bsKey || key.split('/').at(-2) !== 'backendServices') continue;
    for (const b of r.backends ?? []) if (b.group) balanced.add(normalizeRef(b.group, projectOf(key)));
  }
  for (const group of mine) {
    const instances = new Set(members.get(group) ?? []);
    for (const other of balanced) {
      if (other === group) continue;
      const shared = (members.get(other) ?? []).find((m) => instances.has(m));
      if (shared) {
        throw new ComputeError(400, 'instanceInMultipleLoadBalancedIgs',
          `Validation failed for instance '${shared}': instance may belong to at most one load-balanced instance group (it is in '${other}' and '${group}').`);
      }
    }
  }
}
