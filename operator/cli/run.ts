// gitfed run: the operator. Polls (or is pushed) the fleet repo, applies each
// new revision to every cluster, heals/reports drift, writes status back.
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { httpFor } from '../cluster/connect.js';
import { loadGitAuth } from '../git/credentials.js';
import { startHttpServer } from '../loop/http-server.js';
import { LeaderElector } from '../loop/leader-election.js';
import { createLogger } from '../loop/logger.js';
import { Metrics } from '../loop/metrics.js';
import { Operator } from '../loop/operator.js';
import { dirEnds, gitEnds } from '../loop/sources.js';
import { every, schedule, watchDir, type Trigger } from '../loop/triggers.js';
import { parseCommandArgs, parseDuration, runCommand, UsageError } from './args.js';
import { COMMANDS } from './command-table.js';
import { cloneDir } from './git-flags.js';
import type { CliIO } from './main.js';

const HELP = `usage:
  gitfed run --repo URL [--branch main] [--path SUBDIR] --kubeconfig F [--interval 30s | --schedule "*/1 * * * *"]
  gitfed run --dir DIR --kubeconfig F

options:
  --status-branch B        branch for status commits (default gitfed/status)
  --status-dir D           with --repo: commit status into directory D of the watched branch instead
                           (the loader ignores it; gitfed's own commits never trigger an apply);
                           with --dir: where status files go (default DIR/.gitfed-status)
  --listen HOST:PORT       /webhook, /healthz, /readyz, /metrics (default 127.0.0.1:8080; port 0 = any)
  --webhook-secret-file F  secret for GitHub/Gitea signatures and GitLab tokens
  --git-credentials-file F "user:password" or a token (else GITFED_GIT_TOKEN or GITFED_GIT_USERNAME/PASSWORD)
  --leader-elect           only the holder of a Lease applies (--lease-context, --lease-namespace, --lease-name, --lease-duration)
  --prune / --prune-all    delete what left Git (refuses to delete everything unless --prune-all)
  --allow-in-cluster       let a Cluster's context be gitfed's own in-cluster identity (refused by default)
  --author-name, --author-email   author of status commits
  --work-dir D             where the clone lives (default ~/.cache/gitfed/repos/<hash>)
  --log-format json|text   (default: text on a terminal, json otherwise)
  --watch-idle-timeout 5m  a member-cluster watch with no event and no bookmark for this long reconnects
  --once                   one tick, then exit (0 applied and in sync, 1 otherwise)`;

type Values = Record<string, string | boolean | undefined>;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const { values: v } = parseCommandArgs<Values>('run', argv, COMMANDS.run.flags);
    if (!v.repo === !v.dir) throw new UsageError('gitfed run: give exactly one of --repo URL or --dir DIR');
    if (v.interval && v.schedule) throw new UsageError('gitfed run: --interval and --schedule exclude each other');
    const kubeconfig = resolve(io.cwd, (v.kubeconfig as string) ?? io.env.KUBECONFIG ?? join(homedir(), '.kube', 'config'));
    const intervalMs = parseDuration('--interval', (v.interval as string) ?? '30s');
    const log = createLogger({ format: v['log-format'] === 'json' || (v['log-format'] !== 'text' && !process.stderr.isTTY) ? 'json' : 'text', write: (l) => io.err(l) });
    const metrics = new Metrics();
    const author = { name: (v['author-name'] as string) ?? 'gitfed', email: (v['author-email'] as string) ?? 'gitfed@localhost' };
    let ends;
    let dirWatch: { dir: string; statusDir: string } | undefined;
    if (v.repo) {
      const auth = loadGitAuth(io.env, v['git-credentials-file'] as string | undefined);
      const url = v.repo as string;
      const workDir = cloneDir(io, url, v['work-dir'] as string | undefined);
      if (v['status-dir'] && /[/\\]|^\.\.?$/.test(v['status-dir'] as string)) throw new UsageError('gitfed run: with --repo, --status-dir is one top-level directory name of the watched branch, like .gitfed-status');
      ends = gitEnds({ url, branch: (v.branch as string) ?? 'main', ...(v.path ? { path: v.path as string } : {}), statusBranch: (v['status-branch'] as string) ?? 'gitfed/status', ...(v['status-dir'] ? { statusDir: v['status-dir'] as string } : {}), workDir, ...(auth ? { auth } : {}), author });
    } else {
      const dir = resolve(io.cwd, v.dir as string);
      const statusDir = resolve(io.cwd, (v['status-dir'] as string) ?? join(dir, '.gitfed-status'));
      ends = dirEnds(dir, statusDir);
      dirWatch = { dir, statusDir };
    }
    const operator = new Operator({
      ...ends, kubeconfig, prune: !!v.prune || !!v['prune-all'], pruneAll: !!v['prune-all'], log, metrics, allowInCluster: !!v['allow-in-cluster'],
      ...(v['watch-idle-timeout'] ? { watchIdleTimeoutMs: parseDuration('--watch-idle-timeout', v['watch-idle-timeout'] as string) } : {}),
    });
    if (v.once) {
      const r = await operator.tick('once');
      operator.close();
      const ok = !r.error && !!r.result && r.result.clusters.every((c) => c.errors.length === 0 && (c.health === 'Ready' || c.skipped === 'paused'));
      return ok ? 0 : 1;
    }

    let elector: LeaderElector | undefined;
    if (v['leader-elect']) {
      const http = await httpFor(kubeconfig, (v['lease-context'] as string) ?? currentContext(kubeconfig));
      elector = new LeaderElector({
        http, namespace: (v['lease-namespace'] as string) ?? 'default', name: (v['lease-name'] as string) ?? 'gitfed',
        identity: (v.identity as string) ?? `${hostname()}-${process.pid}`, durationSeconds: Math.max(1, Math.round(parseDuration('--lease-duration', (v['lease-duration'] as string) ?? '15s') / 1000)),
      });
    }
    const fire = (reason: string) => { if (!elector || elector.leader) void operator.trigger(reason); };
    const [host, port] = ((v.listen as string) ?? '127.0.0.1:8080').split(/:(?=\d+$)/);
    const server = await startHttpServer({
      host: host || '127.0.0.1', port: Number(port ?? 8080), metrics, ready: () => operator.firstTickDone || (!!elector && !elector.leader),
      onPush: (provider) => { log.info('webhook: push received', { provider }); fire('webhook'); },
      ...(v['webhook-secret-file'] ? { webhookSecret: readFileSync(resolve(io.cwd, v['webhook-secret-file'] as string), 'utf8').trim() } : {}),
    });
    log.info('gitfed operator started', { source: ends.source.describe, listen: server.url, leaderElect: !!elector });
    const triggers: Trigger[] = [v.schedule ? schedule(v.schedule as string, () => fire('schedule')) : every(intervalMs, () => fire('interval'))];
    if (dirWatch) triggers.push(watchDir(dirWatch.dir, dirWatch.statusDir, () => fire('watch')));
    if (elector) elector.start((leader) => { log.info(leader ? 'became leader' : 'lost leadership'); if (leader) fire('leader'); });
    else fire('start');

    return new Promise<number>((resolveExit) => {
      const shutdown = async (sig: string) => {
        log.info('shutting down: finishing the tick in flight', { signal: sig });
        for (const t of triggers) await t.stop();
        await operator.idle();
        await elector?.stop();
        operator.close();
        await server.close();
        resolveExit(0);
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
  });
}

function currentContext(kubeconfig: string): string {
  const m = /current-context:\s*"?([^"\n]+)"?/.exec(readFileSync(kubeconfig, 'utf8'));
  if (!m) throw new UsageError('gitfed run: --leader-elect needs --lease-context (the kubeconfig has no current-context)');
  return m[1]!.trim();
}
