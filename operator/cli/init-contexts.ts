// From a kubeconfig context to a Cluster of the fleet repo (pure): the name,
// and the provider with GCE project and zone where the kubeconfig says them:
// GKE context names (gke_<project>_<zone>_<cluster>, as `gcloud container
// clusters get-credentials` writes them) and the args of an exec plugin
// (--project, --zone/--location/--region, --cluster). Nothing of the
// credentials is read.
import { basename } from 'node:path';

export interface ContextInfo {
  name: string;
  /** The context's user's exec plugin, if any. */
  exec?: { command?: string; args?: string[] };
}

export interface InitCluster {
  name: string;
  context: string;
  provider: 'gce' | 'other';
  gce?: { project?: string; zone?: string };
  /** How the provider was found, for a comment in the file. */
  source: string;
}

const GKE_CONTEXT = /^gke_([a-z][-a-z0-9.:]*)_([a-z]+-[a-z]+\d+(?:-[a-z])?)_(.+)$/;
const GCLOUD_PLUGINS = new Set(['gke-gcloud-auth-plugin', 'gcloud']);

/** A DNS-1123 label from any context name ("arn:aws:...:cluster/Prod_1" -> "prod-1"). */
export function clusterNameFrom(text: string): string {
  const label = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 63).replace(/-$/, '');
  return label || 'cluster';
}

function flag(args: string[], names: string[]): string | undefined {
  for (const [i, a] of args.entries()) {
    for (const n of names) {
      if (a === n) return args[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}

export function clusterFromContext(ctx: ContextInfo): Omit<InitCluster, 'name'> & { suggestedName: string } {
  const gke = GKE_CONTEXT.exec(ctx.name);
  if (gke) {
    return { suggestedName: clusterNameFrom(gke[3]!), context: ctx.name, provider: 'gce', gce: { project: gke[1]!, zone: gke[2]! }, source: 'GKE context name' };
  }
  const command = ctx.exec?.command ? basename(ctx.exec.command) : undefined;
  const args = ctx.exec?.args ?? [];
  if (command && GCLOUD_PLUGINS.has(command)) {
    const project = flag(args, ['--project']);
    const zone = flag(args, ['--zone', '--location', '--region']);
    const cluster = flag(args, ['--cluster']);
    return {
      suggestedName: clusterNameFrom(cluster ?? ctx.name), context: ctx.name, provider: 'gce',
      ...(project || zone ? { gce: { ...(project ? { project } : {}), ...(zone ? { zone } : {}) } } : {}),
      source: `exec plugin ${command}`,
    };
  }
  return { suggestedName: clusterNameFrom(ctx.name), context: ctx.name, provider: 'other', source: 'not a GKE context' };
}

/** One Cluster per context, names made unique (-2, -3...) in context order. */
export function clustersFromContexts(contexts: ContextInfo[]): InitCluster[] {
  const used = new Set<string>();
  return contexts.map((ctx) => {
    const { suggestedName, ...rest } = clusterFromContext(ctx);
    let name = suggestedName;
    for (let i = 2; used.has(name); i++) name = `${suggestedName.slice(0, 60)}-${i}`;
    used.add(name);
    return { name, ...rest };
  });
}
