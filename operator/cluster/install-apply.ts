// Applying and removing what `gitfed bootstrap` installs, one object at a
// time: a GET, then a server-side apply only when a field differs (so a
// second run sends no write), server-side dry runs for --dry-run, and a
// DELETE only for objects that carry bootstrap's label.
import { diffObject, formatPath, ownedMapPaths, type ManagedFieldsEntry } from '../core/diff.js';
import type { KubeObject } from '../core/model.js';
import { refOf, describeRef } from '../core/object-keys.js';
import { withListKeyDefaults } from '../core/ssa-defaults.js';
import type { Discovery } from './discovery.js';
import { type KubeHttp } from './kube-http.js';
import { statusMessage } from './kube-types.js';
import { INSTALL_FIELD_MANAGER, INSTALL_NAMESPACE, INSTALLED_BY, MEMBER_TOKEN_SECRET } from './install-objects.js';

export type InstallAction = 'create' | 'update' | 'unchanged' | 'delete' | 'absent' | 'kept';

export interface InstallStep {
  cluster: string;
  role: 'host' | 'member';
  object: string;
  action: InstallAction;
  /** For update: the fields that differ; for kept: why. */
  detail?: string;
}

export interface Target {
  cluster: string;
  http: KubeHttp;
  discovery: Discovery;
}

export class InstallError extends Error {
  readonly code = 'EINSTALL';
}

async function live(t: Target, obj: KubeObject): Promise<{ path: string; body?: KubeObject }> {
  const { object } = await t.discovery.paths(obj);
  const r = await t.http.request<KubeObject>({ path: object });
  if (r.status === 404) return { path: object };
  if (r.status !== 200) throw new InstallError(`${t.cluster} ${describeRef(refOf(obj))}: GET: HTTP ${r.status}: ${statusMessage(r)}`);
  return { path: object, body: r.body };
}

/** Create or update `obj` unless it already matches; with dryRun the apiserver validates and stores nothing. */
export async function ensureObject(t: Target, role: InstallStep['role'], desired: KubeObject, dryRun: boolean): Promise<InstallStep> {
  const obj = withListKeyDefaults(desired);
  const name = describeRef(refOf(obj));
  const current = await live(t, obj);
  let detail: string | undefined;
  if (current.body) {
    const owned = ownedMapPaths((current.body.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields, INSTALL_FIELD_MANAGER);
    const diff = diffObject(obj as Record<string, unknown>, current.body as Record<string, unknown>, owned);
    if (diff.length === 0) return { cluster: t.cluster, role, object: name, action: 'unchanged' };
    // Secret values are never printed.
    detail = diff.map((d) => formatPath(d.path)).join(', ');
  }
  const q = `?fieldManager=${INSTALL_FIELD_MANAGER}&force=true${dryRun ? '&dryRun=All' : ''}`;
  const r = await t.http.request({ method: 'PATCH', path: current.path + q, contentType: 'application/apply-patch+yaml', body: JSON.stringify(obj) });
  const action: InstallAction = current.body ? 'update' : 'create';
  // A dry run cannot place an object in the namespace the same run creates first.
  const pendingNamespace = dryRun && r.status === 404 && /namespaces? "[^"]+" not found/.test(statusMessage(r));
  if (r.status !== 200 && r.status !== 201 && !pendingNamespace) throw new InstallError(`${t.cluster} ${name}: apply: HTTP ${r.status}: ${statusMessage(r)}`);
  return { cluster: t.cluster, role, object: name, action, ...(detail ? { detail } : {}) };
}

/** Delete `obj` if it exists and bootstrap created it (its label says so). */
export async function removeObject(t: Target, role: InstallStep['role'], obj: KubeObject, dryRun: boolean): Promise<InstallStep> {
  const name = describeRef(refOf(obj));
  const current = await live(t, obj);
  if (!current.body) return { cluster: t.cluster, role, object: name, action: 'absent' };
  const labels = current.body.metadata.labels ?? {};
  if (Object.entries(INSTALLED_BY).some(([k, v]) => labels[k] !== v)) {
    return { cluster: t.cluster, role, object: name, action: 'kept', detail: 'not created by gitfed bootstrap' };
  }
  const r = await t.http.request({ method: 'DELETE', path: `${current.path}?propagationPolicy=Background${dryRun ? '&dryRun=All' : ''}` });
  if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new InstallError(`${t.cluster} ${name}: delete: HTTP ${r.status}: ${statusMessage(r)}`);
  return { cluster: t.cluster, role, object: name, action: 'delete' };
}

/** The member ServiceAccount's token, once the token controller has filled the Secret in. */
export async function memberToken(t: Target, timeoutMs = 30_000): Promise<string | undefined> {
  const path = `/api/v1/namespaces/${INSTALL_NAMESPACE}/secrets/${MEMBER_TOKEN_SECRET}`;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.http.request<{ data?: { token?: string } }>({ path });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new InstallError(`${t.cluster} Secret ${INSTALL_NAMESPACE}/${MEMBER_TOKEN_SECRET}: GET: HTTP ${r.status}: ${statusMessage(r)}`);
    const token = r.body.data?.token;
    if (token) return Buffer.from(token, 'base64').toString('utf8');
    if (Date.now() > until) {
      throw new InstallError(`${t.cluster}: Secret ${INSTALL_NAMESPACE}/${MEMBER_TOKEN_SECRET} got no token within ${timeoutMs / 1000}s; is kube-controller-manager (its token controller) running there?`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}
