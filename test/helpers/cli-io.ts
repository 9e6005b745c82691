// What the GCE integration tests share: a CliIO that captures output (to
// call a command's run() in-process), and a one-off GET as the admin of a
// sandbox cluster.
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import type { Sandbox } from '../../operator/sandbox/index.js';

export function cliIO() {
  const io = { stdout: '', stderr: '', cwd: process.cwd(), env: {} as NodeJS.ProcessEnv, out: (s: string) => { io.stdout += `${s}\n`; }, err: (s: string) => { io.stderr += `${s}\n`; } };
  return io;
}

export async function clusterGet(sb: Sandbox, cluster: string, path: string): Promise<{ status: number; body: any }> {
  const c = sb.clusters.find((x) => x.name === cluster)!;
  const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try { const r = await h.request<any>({ path }); return { status: r.status, body: r.body }; } finally { h.close(); }
}
