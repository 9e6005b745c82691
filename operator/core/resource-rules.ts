// Fleet spec.resources.allow / deny: which federated objects a fleet may
// hold at all, like an Argo CD AppProject's white- and blacklists. Checked
// on the manifests (file:line), before anything is rendered.
import { describeRef, effectiveNamespace, groupOf, isClusterScoped, refOf } from './object-keys.js';
import type { Finding, Fleet, KubeObject, ResourceRule } from './model.js';

const isLineBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';

/**
 * Does `text` match `pattern`, where `*` is any run of characters and every
 * other character is itself? A RegExp of `.*`s backtracks exponentially
 * ("*a*a*a*a*a*a*b" on 63 a's took seconds per object), and the patterns come
 * from the fleet repo. This is the classic greedy matcher: on a mismatch, only
 * the latest `*` takes one more character, so it runs in O(pattern x text).
 * Like the `.*` it replaces, `*` does not take a line break.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // index of the latest `*` in pattern
  let mark = 0; // where in text that `*` started taking characters
  while (t < text.length) {
    if (pattern[p] === '*') { star = p++; mark = t; }
    else if (p < pattern.length && pattern[p] === text[t]) { p++; t++; }
    else if (star >= 0 && !isLineBreak(text[mark])) { p = star + 1; t = ++mark; }
    else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** A Namespace is matched by its own name; other cluster-scoped objects by no namespace at all. */
function namespaceFor(obj: KubeObject): string | undefined {
  if (obj.kind === 'Namespace') return obj.metadata.name;
  if (isClusterScoped(obj.kind)) return undefined;
  return obj.metadata.namespace ?? effectiveNamespace(obj);
}

export function ruleMatches(rule: ResourceRule, obj: KubeObject): boolean {
  if (rule.group !== undefined && !globMatch(rule.group, groupOf(obj.apiVersion))) return false;
  if (rule.kind !== undefined && !globMatch(rule.kind, obj.kind)) return false;
  if (rule.namespace !== undefined) {
    const ns = namespaceFor(obj);
    if (ns === undefined || !globMatch(rule.namespace, ns)) return false;
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
