// Server-side apply merges lists by key; some keys have server defaults
// (a Service port's protocol, a container port's protocol). Sending them
// explicitly keeps applies from failing on older servers and keeps the diff
// from seeing a change that is not one. A Secret's stringData is the same
// case: the server folds it into data and never returns it, so gitfed sends
// it as data (else every diff would see stringData missing live).
import type { KubeObject } from './model.js';

type Obj = Record<string, any>;

function defaultPorts(ports: unknown): void {
  if (!Array.isArray(ports)) return;
  for (const p of ports) if (p && typeof p === 'object' && p.protocol === undefined) p.protocol = 'TCP';
}

function podSpecOf(obj: KubeObject): Obj | undefined {
  const spec = obj.spec as Obj | undefined;
  if (obj.kind === 'Pod') return spec;
  if (obj.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  return spec?.template?.spec;
}

/** stringData's string values moved into data, base64-encoded, as the server does (stringData wins). */
function foldStringData(secret: Obj): void {
  const sd = secret.stringData;
  if (!sd || typeof sd !== 'object' || Array.isArray(sd)) return;
  // Built with spread and fromEntries, never `data[k] = v`: a Secret key may be
  // "__proto__", and assigning that would silently drop it instead of adding it.
  const entries = Object.entries(sd);
  const folded = entries.filter(([, v]) => typeof v === 'string').map(([k, v]) => [k, Buffer.from(v as string, 'utf8').toString('base64')]);
  const rest: Obj = Object.fromEntries(entries.filter(([, v]) => typeof v !== 'string')); // left for the server to refuse
  secret.data = { ...(secret.data && typeof secret.data === 'object' ? secret.data : {}), ...Object.fromEntries(folded) };
  if (Object.keys(rest).length) secret.stringData = rest;
  else delete secret.stringData;
}

/** A copy with list-key defaults filled in (the input is not changed). */
export function withListKeyDefaults(obj: KubeObject): KubeObject {
  if (obj.kind === 'Secret' && (obj as Obj).stringData !== undefined) {
    const copy = structuredClone(obj) as Obj;
    foldStringData(copy);
    return copy as KubeObject;
  }
  const needs = obj.kind === 'Service' || podSpecOf(obj) !== undefined;
  if (!needs) return obj;
  const copy = structuredClone(obj);
  if (copy.kind === 'Service') defaultPorts((copy.spec as Obj | undefined)?.ports);
  const pod = podSpecOf(copy);
  for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) defaultPorts(c?.ports);
  return copy;
}
