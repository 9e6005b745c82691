// Server-side apply merges lists by key; some keys have server defaults
// (a Service port's protocol, a container port's protocol). Sending them
// explicitly keeps applies from failing on older servers and keeps the diff
// from seeing a change that is not one.
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

/** A copy with list-key defaults filled in (the input is not changed). */
export function withListKeyDefaults(obj: KubeObject): KubeObject {
  const needs = obj.kind === 'Service' || podSpecOf(obj) !== undefined;
  if (!needs) return obj;
  const copy = structuredClone(obj);
  if (copy.kind === 'Service') defaultPorts((copy.spec as Obj | undefined)?.ports);
  const pod = podSpecOf(copy);
  for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) defaultPorts(c?.ports);
  return copy;
}
