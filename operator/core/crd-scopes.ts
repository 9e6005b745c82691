// Which namespace a rendered object carries. Built-in kinds are known; a
// custom resource is known when the fleet holds its CRD (spec.scope);
// otherwise its namespace is left as written, so an unknown cluster-scoped
// custom resource never gets `metadata.namespace: default`, and apply lets
// the cluster's discovery place it (a namespaced one lands in "default").
import { groupOf, isClusterScoped, isKnownNamespaced } from './object-keys.js';
import type { Finding, KubeObject, SourcedObject } from './model.js';

export type Scope = 'Namespaced' | 'Cluster';

/** "group/Kind" -> scope, from the CustomResourceDefinitions in the fleet. */
export function crdScopes(manifests: readonly SourcedObject[]): Map<string, Scope> {
  const out = new Map<string, Scope>();
  for (const m of manifests) {
    const o = m.object;
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown } } | undefined;
    if (typeof spec?.group === 'string' && typeof spec.names?.kind === 'string' && (spec.scope === 'Namespaced' || spec.scope === 'Cluster')) {
      out.set(`${spec.group}/${spec.names.kind}`, spec.scope);
    }
  }
  return out;
}

export function scopeOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>, scopes: ReadonlyMap<string, Scope>): Scope | undefined {
  if (isClusterScoped(obj.kind)) return 'Cluster';
  return scopes.get(`${groupOf(obj.apiVersion)}/${obj.kind}`) ?? (isKnownNamespaced(obj.kind) ? 'Namespaced' : undefined);
}

/** The namespace to write into a rendered object: as written, "default" when surely namespaced, else none. */
export function renderNamespace(obj: KubeObject, scopes: ReadonlyMap<string, Scope>): string | undefined {
  const scope = scopeOf(obj, scopes);
  if (scope === 'Cluster') return undefined;
  if (obj.metadata.namespace) return obj.metadata.namespace;
  return scope === 'Namespaced' ? 'default' : undefined;
}

/** A namespace written on a custom resource whose CRD in the fleet says scope: Cluster. */
export function checkCrdScopes(manifests: readonly SourcedObject[], out: Finding[]): void {
  const scopes = crdScopes(manifests);
  if (scopes.size === 0) return;
  for (const m of manifests) {
    if (m.object.metadata.namespace === undefined || scopes.get(`${groupOf(m.object.apiVersion)}/${m.object.kind}`) !== 'Cluster') continue;
    out.push({ severity: 'error', code: 'NamespaceOnClusterScoped', place: m.locate?.(['metadata', 'namespace']) ?? m.place, message: `${m.object.kind} is cluster-scoped (its CustomResourceDefinition in the fleet says scope: Cluster): remove metadata.namespace` });
  }
}
