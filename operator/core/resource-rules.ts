// Fleet spec.resources.allow / deny: which federated objects a fleet may
// hold at all, like an Argo CD AppProject's white- and blacklists. Checked
// on the manifests (file:line), before anything is rendered.
import { describeRef, effectiveNamespace, groupOf, isClusterScoped, refOf } from './object-keys.js';
import type { Finding, Fleet, KubeObject, ResourceRule } from './model.js';

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** A Namespace is matched by its own name; other cluster-scoped objects by no namespace at all. */
function namespaceFor(obj: KubeObject): string | undefined {
  if (obj.kind === 'Namespace') return obj.metadata.name;
  if (isClusterScoped(obj.kind)) return undefined;
  return obj.metadata.namespace ?? effectiveNamespace(obj);
}

export function ruleMatches(rule: ResourceRule, obj: KubeObject): boolean {
  if (rule.group !== undefined && !glob(rule.group).test(groupOf(obj.apiVersion))) return false;
  if (rule.kind !== undefined && !glob(rule.kind).test(obj.kind)) return false;
  if (rule.namespace !== undefined) {
    const ns = namespaceFor(obj);
    if (ns === undefined || !glob(rule.namespace).test(ns)) return false;
  }
  return true;
}

const describeRule = (r: ResourceRule) => `{${(['group', 'kind', 'namespace'] as const).filter((k) => r[k] !== undefined).map((k) => `${k}: ${JSON.stringify(r[k])}`).join(', ')}}`;
const at = (r: ResourceRule) => `${r.place.file}:${r.place.line}`;

export function checkResourceRules(fleet: Fleet, out: Finding[]): void {
  const rules = fleet.settings.resources;
  if (!rules) return;
  for (const src of fleet.manifests) {
    const obj = src.object;
    const what = describeRef(refOf(obj));
    const denied = rules.deny?.find((r) => ruleMatches(r, obj));
    if (denied) {
      out.push({ severity: 'error', code: 'ResourceDenied', place: src.place, message: `${what} is denied by Fleet ${fleet.settings.name} spec.resources.deny ${describeRule(denied)} (${at(denied)})` });
    } else if (rules.allow && !rules.allow.some((r) => ruleMatches(r, obj))) {
      out.push({ severity: 'error', code: 'ResourceNotAllowed', place: src.place, message: `${what} (group "${groupOf(obj.apiVersion)}") matches no rule of Fleet ${fleet.settings.name} spec.resources.allow; add a rule or remove the object` });
    }
  }
}
