// gitfed bootstrap: installs the operator into a host cluster, with its own
// least-privilege ServiceAccount in every member cluster (never the admin's
// credentials), idempotently; --dry-run asks the apiservers and writes
// nothing; --uninstall removes what bootstrap created.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { endpointFor, KubeconfigError, kubeconfigContexts } from '../cluster/connect.js';
import { Discovery } from '../cluster/discovery.js';
import { ensureObject, InstallError, memberToken, removeObject, type InstallStep, type Target } from '../cluster/install-apply.js';
import {
  hostObjects, INSTALL_NAMESPACE, INSTALL_SA, memberKubeconfig, memberObjects, WEBHOOK_SECRET, type MemberAccess,
} from '../cluster/install-objects.js';
import { KubeHttp } from '../cluster/kube-http.js';
import { KubeUnreachableError, type KubeEndpoint } from '../cluster/kube-types.js';
import type { KubeObject } from '../core/model.js';
import { loadGitAuth } from '../git/credentials.js';
import { readAgeIdentities } from '../load/age-keys.js';
import { outputFormat, parseCommandArgs, printStructured, runCommand, UsageError, type OutputFormat } from './args.js';
import { COMMANDS } from './command-table.js';
import type { CliIO } from './main.js';
import { packageRoot } from './package-root.js';

const HELP = `usage: gitfed bootstrap --repo URL --kubeconfig F --host-context NAME [--member-contexts a,b]
                        [--branch main] [--git-credentials-file F] [--age-key-file F] [--image IMAGE] [--dry-run] [--uninstall]

Installs gitfed into the host cluster: Namespace ${INSTALL_NAMESPACE}, ServiceAccount, the
Lease RBAC, Secret gitfed-git (from --git-credentials-file: "user:password"
or a token), Secret gitfed-member-kubeconfig, Secret gitfed-webhook, Secret
gitfed-age-key (from --age-key-file: the age key for SOPS-encrypted Secrets;
a run without it keeps the one there), and the Service and Deployment of deploy/gitfed.yaml. In every member cluster (default:
every context of the kubeconfig) it creates ServiceAccount ${INSTALL_NAMESPACE}/${INSTALL_SA}
with a ClusterRole of only what gitfed does there, and a token for it; the
member kubeconfig holds those tokens, never the admin's credentials.
A second run changes nothing. --dry-run: every change is checked by the
apiservers (server-side dry run) and nothing is written.
--uninstall: deletes what bootstrap created (objects with its label) in the
host and the members; --repo is not needed then.
Exit codes: 0 done (or nothing to do), 1 error, 2 bad usage.`;

export interface BootstrapOptions {
  repo?: string;
  branch: string;
  kubeconfig: string;
  hostContext: string;
  memberContexts: string[];
  gitCredentialsFile?: string;
  ageKeyFile?: string;
  image?: string;
  dryRun: boolean;
  uninstall: boolean;
  format: OutputFormat;
}

type Values = { repo?: string; branch?: string; kubeconfig?: string; 'host-context'?: string; 'member-contexts'?: string; 'git-credentials-file'?: string; 'age-key-file'?: string; image?: string; 'dry-run'?: boolean; uninstall?: boolean; output?: string };

function options(argv: string[], io: CliIO): BootstrapOptions {
  const { values: v, positionals } = parseCommandArgs<Values>('bootstrap', argv, COMMANDS.bootstrap.flags);
  if (positionals.length) throw new UsageError(`gitfed bootstrap: unexpected ${positionals.join(' ')}`);
  const kubeconfig = resolve(io.cwd, v.kubeconfig ?? io.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
  if (!existsSync(kubeconfig)) throw new UsageError(`gitfed bootstrap: kubeconfig ${kubeconfig} does not exist; pass --kubeconfig`);
  if (!v['host-context']) throw new UsageError('gitfed bootstrap: --host-context NAME is required (the cluster the operator runs in)');
  if (!v.repo && !v.uninstall) throw new UsageError('gitfed bootstrap: --repo URL is required (the fleet repo the operator watches)');
  const gitFile = v['git-credentials-file'] ? resolve(io.cwd, v['git-credentials-file']) : undefined;
  if (gitFile && !existsSync(gitFile)) throw new UsageError(`gitfed bootstrap: --git-credentials-file ${gitFile} does not exist`);
  const ageFile = v['age-key-file'] ? resolve(io.cwd, v['age-key-file']) : undefined;
  return {
    ...(v.repo ? { repo: v.repo } : {}), branch: v.branch ?? 'main', kubeconfig, hostContext: v['host-context'],
    memberContexts: (v['member-contexts'] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    ...(gitFile ? { gitCredentialsFile: gitFile } : {}), ...(ageFile ? { ageKeyFile: ageFile } : {}), ...(v.image ? { image: v.image } : {}),
    dryRun: !!v['dry-run'], uninstall: !!v.uninstall, format: outputFormat('bootstrap', v.output),
  };
}

async function deployDocuments(): Promise<KubeObject[]> {
  const text = await readFile(join(packageRoot(), 'deploy', 'gitfed.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject).filter(Boolean);
}

/** The existing webhook secret (a re-run must not change it), else a new random one. */
async function webhookSecret(host: Target): Promise<string> {
  const r = await host.http.request<{ data?: { secret?: string } }>({ path: `/api/v1/namespaces/${INSTALL_NAMESPACE}/secrets/${WEBHOOK_SECRET}` });
  const existing = r.status === 200 ? r.body.data?.secret : undefined;
  return existing ? Buffer.from(existing, 'base64').toString('utf8') : randomBytes(24).toString('hex');
}

/** The age key file's text, checked to hold age identities (the error never quotes the file). */
async function ageKey(file: string): Promise<string> {
  const ids = await readAgeIdentities({ keyFile: file });
  if ('error' in ids) throw new UsageError(`gitfed bootstrap: ${ids.error}`);
  return readFile(file, 'utf8');
}

async function install(o: BootstrapOptions, host: Target, members: Array<Target & { endpoint: KubeEndpoint }>, io: CliIO): Promise<InstallStep[]> {
  const age = o.ageKeyFile ? await ageKey(o.ageKeyFile) : undefined;
  // Members in parallel, each in order; their steps are reported in the order the members were given.
  const perMember = members.map(() => [] as InstallStep[]);
  const access = await Promise.all(members.map(async (m, i): Promise<MemberAccess> => {
    for (const obj of memberObjects()) perMember[i]!.push(await ensureObject(m, 'member', obj, o.dryRun));
    const token = o.dryRun ? await memberToken(m, 0).catch(() => undefined) : await memberToken(m);
    if (!token && !o.dryRun) throw new InstallError(`${m.cluster}: the token Secret of ServiceAccount ${INSTALL_NAMESPACE}/${INSTALL_SA} is missing`);
    return {
      context: m.cluster, server: m.endpoint.server, token: token ?? `(token of ServiceAccount ${INSTALL_NAMESPACE}/${INSTALL_SA}, created by the install)`,
      ...(m.endpoint.ca ? { ca: m.endpoint.ca } : {}), ...(m.endpoint.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    };
  }));
  const git = o.gitCredentialsFile ? loadGitAuth(io.env, o.gitCredentialsFile) : undefined;
  const objects = hostObjects({
    deploy: await deployDocuments(), repo: o.repo!, branch: o.branch, ...(o.image ? { image: o.image } : {}), ...(git ? { git } : {}),
    memberKubeconfig: memberKubeconfig(access), webhookSecret: await webhookSecret(host), ...(age !== undefined ? { ageKey: age } : {}),
  });
  const steps = perMember.flat();
  for (const obj of objects) steps.push(await ensureObject(host, 'host', obj, o.dryRun));
  return steps;
}

async function uninstall(o: BootstrapOptions, host: Target, members: Target[]): Promise<InstallStep[]> {
  const steps: InstallStep[] = [];
  // The operator first (it stops using the members' tokens), then the members' access.
  const hostList = hostObjects({ deploy: await deployDocuments(), repo: '', branch: '', git: { username: '', password: '' }, memberKubeconfig: '', webhookSecret: '', ageKey: '' });
  for (const obj of [...hostList].reverse()) steps.push(await removeObject(host, 'host', obj, o.dryRun));
  for (const m of members) for (const obj of [...memberObjects()].reverse()) steps.push(await removeObject(m, 'member', obj, o.dryRun));
  if (!o.dryRun) await namespacesGone([host, ...members], steps);
  return steps;
}

/** Namespace deletion finishes in the background: wait for it, so "uninstalled" means gone. */
async function namespacesGone(targets: Target[], steps: InstallStep[]): Promise<void> {
  const deleted = new Set(steps.filter((s) => s.action === 'delete' && s.object === `Namespace ${INSTALL_NAMESPACE}`).map((s) => s.cluster));
  const until = Date.now() + 60_000;
  for (const t of targets.filter((x) => deleted.has(x.cluster))) {
    while ((await t.http.request({ path: `/api/v1/namespaces/${INSTALL_NAMESPACE}` })).status !== 404) {
      if (Date.now() > until) throw new InstallError(`${t.cluster}: Namespace ${INSTALL_NAMESPACE} is still terminating after 60s (is kube-controller-manager running there?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function printSteps(io: CliIO, o: BootstrapOptions, steps: InstallStep[]): void {
  const verb = (a: InstallStep['action']) => (o.dryRun && (a === 'create' || a === 'update' || a === 'delete') ? `would ${a}` : a);
  const mark: Record<InstallStep['action'], string> = { create: '+', update: '~', delete: '-', unchanged: '=', absent: ' ', kept: '!' };
  const groups = new Map<string, InstallStep[]>();
  for (const s of steps) groups.set(`${s.role} ${s.cluster}`, [...(groups.get(`${s.role} ${s.cluster}`) ?? []), s]);
  for (const [title, list] of groups) {
    io.out(`${title}:`);
    for (const s of list) io.out(`  ${mark[s.action]} ${verb(s.action).padEnd(14)} ${s.object}${s.detail ? `  (${s.detail})` : ''}`);
  }
  const changes = steps.filter((s) => s.action === 'create' || s.action === 'update' || s.action === 'delete').length;
  if (changes === 0) io.out(o.uninstall ? 'nothing to remove: no object of gitfed bootstrap is left' : 'nothing to change: gitfed is installed as requested');
  else io.out(`${changes} change(s)${o.dryRun ? ' would be made (dry run: nothing was written)' : ''}`);
  if (!o.uninstall && !o.dryRun) io.out(`The Deployment ${INSTALL_NAMESPACE}/gitfed pulls its image from a registry the host cluster must reach; \`kubectl -n ${INSTALL_NAMESPACE} get pods\` shows it starting.`);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const o = options(argv, io);
    const targets = new Map<string, Target & { endpoint: KubeEndpoint }>();
    try {
      const known = kubeconfigContexts(o.kubeconfig).map((c) => c.name);
      const memberNames = o.memberContexts.length ? o.memberContexts : known;
      const unknown = [o.hostContext, ...memberNames].filter((c) => !known.includes(c));
      if (unknown.length) throw new UsageError(`gitfed bootstrap: kubeconfig ${o.kubeconfig} has no context ${[...new Set(unknown)].map((c) => `"${c}"`).join(', ')} (contexts: ${known.join(', ')})`);
      for (const ctx of new Set([o.hostContext, ...memberNames])) {
        const endpoint = await endpointFor(o.kubeconfig, ctx);
        const http = new KubeHttp(endpoint);
        targets.set(ctx, { cluster: ctx, http, discovery: new Discovery(http), endpoint });
      }
      const host = targets.get(o.hostContext)!;
      const members = memberNames.map((c) => targets.get(c)!);
      const steps = o.uninstall ? await uninstall(o, host, members) : await install(o, host, members, io);
      const changes = steps.filter((s) => ['create', 'update', 'delete'].includes(s.action)).length;
      if (!printStructured(io, o.format, { dryRun: o.dryRun, uninstall: o.uninstall, changes, steps })) printSteps(io, o, steps);
      return 0;
    } catch (e) {
      if (e instanceof InstallError || e instanceof KubeconfigError || e instanceof KubeUnreachableError) {
        io.err(`gitfed bootstrap: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      for (const t of targets.values()) t.http.close();
    }
  });
}
