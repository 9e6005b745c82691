// One real sandbox per test file (started on first use, stopped after the
// file's tests, and killed on any exit), plus unique namespaces so tests in a
// file never see each other's objects.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../operator/sandbox/index.js';
import { logTail } from '../../operator/sandbox/supervisor.js';

let shared: Promise<Sandbox> | undefined;

// Registered when the test file imports this helper, so it runs once after
// all of the file's tests (a hook registered inside a test would run after
// that test alone).
after(async () => {
  const sb = await shared?.catch(() => undefined);
  await sb?.stop();
});

export function sandbox(opts: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  shared ??= startSandbox({ clusters: 3, ...opts });
  return shared;
}

let counter = 0;
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}-${process.pid.toString(36)}-${(counter++).toString(36)}`;
}

export async function waitUntil<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>, intervalMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** For a failure message: each cluster's nodes and the namespace's Deployments, Pods and EndpointSlices, as kubectl shows them. */
export function clusterState(sb: Sandbox, clusters: readonly string[], ns: string): string {
  return clusters.map((c) => {
    const k = (...args: string[]) => { try { return execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', c, ...args], { encoding: 'utf8', timeout: 20_000 }); } catch (e) { return String((e as Error).message).slice(0, 300); } };
    // Why a Pod stays Pending: the nodes' taints, the namespace's events
    // (FailedScheduling says which filter refused) and the scheduler's own log.
    const taints = k('get', 'nodes', '-o', 'custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key,UNSCHEDULABLE:.spec.unschedulable');
    const scheduler = logTail(join(sb.dir, 'logs', `${c}-scheduler.log`), 25) || '(no scheduler log)';
    return `${c}:\n${k('get', 'nodes')}${taints}${k('-n', ns, 'get', 'deployments,pods,endpointslices', '-o', 'wide')}${k('-n', ns, 'get', 'events', '--sort-by=.lastTimestamp')}` +
      `scheduler log (last lines):\n${scheduler}\n`;
  }).join('\n');
}
