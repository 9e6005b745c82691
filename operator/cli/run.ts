// gitfed run: the operator. Polls (or is pushed) the fleet repo, applies each
// new revision to every cluster, heals/reports drift, writes status back.
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { httpFor } from '../cluster/connect.js';
import { loadGitAuth } from '../git/credentials.js';
import { startHttpServer } from '../loop/http-server.js';
import { DEFAULT_GIT_TIMEOUT_MS } from '../git/http-timeout.js';
import { LeaderElector, LeaseConfigError } from '../loop/leader-election.js';
import { ShardLeases } from '../loop/shard-leases.js';
import { ShardStore } from '../loop/shard-store.js';
import { Sharding } from '../loop/sharding.js';
import { createLogger } from '../loop/logger.js';
import { Metrics } from '../loop/metrics.js';
import { Operator } from '../loop/operator.js';
import type { PushHint, TickResult } from '../loop/operator-types.js';
import { readiness } from '../loop/readiness.js';
import { dirEnds, gitEnds } from '../loop/sources.js';
import { checkStatusDir, checkStatusSubdir, StatusDirRefused } from '../loop/status-dir.js';
import { every, RetryBackoff, schedule, tickFailed, watchDir, type Trigger } from '../loop/triggers.js';
import { parseCommandArgs, parseDuration, runCommand, UsageError } from './args.js';
import { listenAddress, webhookSecretFrom } from './run-flags.js';
import { COMMANDS } from './command-table.js';
import { ageKeySource } from './fleet-context.js';
import { cloneDir } from './git-flags.js';
import type { CliIO } from './main.js';
import { gceFromFlags, gceInventoryFromFlags, hazardOptions } from './gce-flags.js';
import { gceProjectReports } from '../gce/gce-report.js';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { Fleet } from '../core/model.js';

const HELP = `usage:
  gitfed run --repo URL [--branch main] [--path SUBDIR] --kubeconfig F [--interval 30s | --schedule "*/1 * * * *"]
  gitfed run --dir DIR --kubeconfig F

options:
  --status-branch B        branch for status commits (default gitfed/status)
  --status-dir D           with --repo: commit status into directory D of the watched branch instead
                           (the loader ignores it; gitfed's own commits never trigger an apply);
                           with --dir: where status files go (default DIR/.gitfed-status).
                           gitfed replaces everything in it: a directory that holds other files
                           (the checkout, the fleet, .git) is refused
  --git-timeout D          every git request must be done within D (default 60s)
  --retry-interval D       after a tick in which a cluster failed (or git did), tick again after D, then
                           2D, 4D... up to 16D and never longer than --interval (default 5s); a tick
                           without failures resets it
  --listen HOST:PORT       /webhook, /healthz, /readyz, /metrics (default 127.0.0.1:8080; port 0 = any)
  --webhook-secret-file F  secret for GitHub/Gitea signatures and GitLab tokens
  --git-credentials-file F "user:password" or a token (else GITFED_GIT_TOKEN or GITFED_GIT_USERNAME/PASSWORD)
  --leader-elect           only the holder of a Lease applies (--lease-context, --lease-namespace, --lease-name,
                           --lease-duration 15s, --lease-renew-deadline: default 2/3 of the duration)
  --shards N               N replicas split the member clusters (rendezvous hashing over the live replicas,
                           each announced by a Lease; a cluster is worked on only by the holder of its
                           Lease). Implies --leader-elect: the leader alone renders allocations and writes Git
  --replica-id ID          this replica's identity with --shards (default --identity, else hostname-pid;
                           a StatefulSet Pod name works)
  --prune / --prune-all    delete what left Git (refuses to delete everything unless --prune-all)
  --allow-shared-ingress-removal  let prune delete a federated GCE Ingress in one cluster while others
                           keep it at once (that cluster's GLBC then deletes the shared front end: an
                           outage); without it, with --prune, the cluster leaves by drain, re-key, delete
  --allow-v2-naming        apply an Ingress a cluster's GLBC names with v2 (k8s2-) names there (never shares)
  --allow-health-check-divergence  a readiness-probe Override behind a federated Ingress is a warning
  --allow-in-cluster       let a Cluster's context be gitfed's own in-cluster identity (refused by default)
  --author-name, --author-email   author of status commits
  --work-dir D             where the clone lives (default ~/.cache/gitfed/repos/<hash>)
  --log-format json|text   (default: text on a terminal, json otherwise)
  --age-key-file F         the age key for SOPS-encrypted Secrets (else SOPS_AGE_KEY_FILE or SOPS_AGE_KEY); read on every load
  --gce | --gce-endpoint URL  Compute Engine (Application Default Credentials, or another endpoint):
                           reserve each Ingress's static IP before applying it (a failure blocks
                           only that Ingress); backend health per cluster, the firewall check and the
                           orphans in the status commit (gce.yaml)
  --gce-timeout 20s        the bound of every Compute Engine call
  --watch-idle-timeout 5m  a member-cluster watch with no event and no bookmark for this long reconnects
  --health-interval 10s    probe each member cluster's /readyz this often in the background; a tick reads
                           the last verdict (and probes at once after a lost connection); a changed verdict
                           starts a tick
  --once                   one tick, then exit (0: the head loaded, rendered and was applied to every
                           cluster; 1 otherwise, e.g. a revision that fails validation)`;

type Values = Record<string, string | boolean | undefined>;

export async function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand(io, HELP, argv, async () => {
    const { values: v } = parseCommandArgs<Values>('run', argv, COMMANDS.run.flags);
    if (!v.repo === !v.dir) throw new UsageError('gitfed run: give exactly one of --repo URL or --dir DIR');
    if (v.interval && v.schedule) throw new UsageError('gitfed run: --interval and --schedule exclude each other');
    const kubeconfig = resolve(io.cwd, (v.kubeconfig as string) ?? io.env.KUBECONFIG ?? join(homedir(), '.kube', 'config'));
    // Lower bounds: an interval of 0 would tick (and ask git and every cluster) without pause.
    const intervalMs = parseDuration('--interval', (v.interval as string) ?? '30s', 100);
    const retryMs = parseDuration('--retry-interval', (v['retry-interval'] as string) ?? '5s', 100);
    const healthIntervalMs = v['health-interval'] ? parseDuration('--health-interval', v['health-interval'] as string, 1000) : undefined;
    const gitTimeoutMs = v['git-timeout'] ? parseDuration('--git-timeout', v['git-timeout'] as string) : DEFAULT_GIT_TIMEOUT_MS;
    // Read before anything starts: a missing file or a bad address is a usage error, not a stack trace.
    const webhookSecret = v['webhook-secret-file'] ? webhookSecretFrom(resolve(io.cwd, v['webhook-secret-file'] as string), v['webhook-secret-file'] as string) : undefined;
    const { host, port } = listenAddress((v.listen as string) ?? '127.0.0.1:8080');
    const log = createLogger({ format: v['log-format'] === 'json' || (v['log-format'] !== 'text' && !process.stderr.isTTY) ? 'json' : 'text', write: (l) => io.err(l) });
    const metrics = new Metrics().collectProcessMetrics();
    const author = { name: (v['author-name'] as string) ?? 'gitfed', email: (v['author-email'] as string) ?? 'gitfed@localhost' };
    let ends;
    let dirWatch: { dir: string; statusDir: string } | undefined;
    if (v.repo) {
      const auth = loadGitAuth(io.env, v['git-credentials-file'] as string | undefined);
      const url = v.repo as string;
      const workDir = cloneDir(io, url, v['work-dir'] as string | undefined);
      const branch = (v.branch as string) ?? 'main';
      const statusBranch = (v['status-branch'] as string) ?? 'gitfed/status';
      if (v['status-dir'] !== undefined) refuseStatusDir(() => checkStatusSubdir(v['status-dir'] as string, v.path as string | undefined));
      else if (statusBranch === branch) throw new UsageError(`gitfed run: --status-branch ${statusBranch} is the watched branch; gitfed would replace its whole tree (use --status-dir to write status into a directory of it)`);
      ends = gitEnds({ url, branch, ...(v.path ? { path: v.path as string } : {}), statusBranch, ...(v['status-dir'] ? { statusDir: v['status-dir'] as string } : {}), workDir, ...(auth ? { auth } : {}), author, gitTimeoutMs });
    } else {
      const dir = resolve(io.cwd, v.dir as string);
      const statusDir = resolve(io.cwd, (v['status-dir'] as string) ?? join(dir, '.gitfed-status'));
      await refuseStatusDirAsync(() => checkStatusDir(dir, statusDir));
      ends = dirEnds(dir, statusDir);
      dirWatch = { dir, statusDir };
    }
    const shardCount = v.shards !== undefined ? Number(v.shards) : undefined;
    if (shardCount !== undefined && !(Number.isInteger(shardCount) && shardCount >= 1)) throw new UsageError(`gitfed run: --shards must be a whole number of at least 1, not ${v.shards}`);
    if (shardCount !== undefined && v.once) throw new UsageError('gitfed run: --shards and --once exclude each other (--once applies every cluster from one process)');
    const identity = (v['replica-id'] as string) ?? (v.identity as string) ?? `${hostname()}-${process.pid}`;
    let elector: LeaderElector | undefined;
    let sharding: Sharding | undefined;
    let shardLeases: ShardLeases | undefined;
    if ((v['leader-elect'] || shardCount !== undefined) && !v.once) {
      const http = await httpFor(kubeconfig, (v['lease-context'] as string) ?? currentContext(kubeconfig));
      const namespace = (v['lease-namespace'] as string) ?? 'default';
      const prefix = (v['lease-name'] as string) ?? 'gitfed';
      const durationSeconds = Math.max(1, Math.round(parseDuration('--lease-duration', (v['lease-duration'] as string) ?? '15s') / 1000));
      const renewDeadlineMs = v['lease-renew-deadline'] ? parseDuration('--lease-renew-deadline', v['lease-renew-deadline'] as string) : undefined;
      try {
        elector = new LeaderElector({ http, namespace, name: prefix, identity, durationSeconds, ...(renewDeadlineMs ? { renewDeadlineMs } : {}) });
        if (shardCount !== undefined) {
          shardLeases = new ShardLeases({ http, namespace, prefix, identity, durationSeconds, ...(renewDeadlineMs ? { renewDeadlineMs } : {}), log });
          const leader = elector;
          sharding = new Sharding({ identity, expected: shardCount, leases: shardLeases, store: new ShardStore(http, namespace, prefix), isLeader: () => leader.leader, log, statusWaitMs: 2 * durationSeconds * 1000 });
        }
      } catch (e) {
        if (e instanceof LeaseConfigError) throw new UsageError(`gitfed run: ${e.message}`);
        throw e;
      }
    }
    const gce = gceFromFlags(v);
    const inventory = gceInventoryFromFlags(v);
    const operator = new Operator({
      ...(inventory ? { gceReports: (fleet: Fleet, result: ReconcileResult) => gceProjectReports(inventory, fleet, result) } : {}),
      ...(sharding ? { shard: sharding } : {}),
      ...(gce ? { gce: gce.edge } : {}), ...hazardOptions(v),
      ...ends, kubeconfig, prune: !!v.prune || !!v['prune-all'], pruneAll: !!v['prune-all'], log, metrics, allowInCluster: !!v['allow-in-cluster'],
      age: ageKeySource(v, io),
      ...(v['watch-idle-timeout'] ? { watchIdleTimeoutMs: parseDuration('--watch-idle-timeout', v['watch-idle-timeout'] as string) } : {}),
      ...(healthIntervalMs ? { healthIntervalMs } : {}),
      onHealthChange: (cluster, next, previous) => {
        log.info('cluster health changed', { cluster, from: previous.health, to: next.health, reason: next.reason, message: next.message });
        fire('health');
      },
    });
    if (v.once) {
      const r = await operator.tick('once');
      operator.close();
      await gce?.close();
      await inventory?.close();
      // 0 only when this revision loaded, rendered and was applied everywhere.
      const ok = !r.error && r.applied && !!r.result && r.result.clusters.every((c) => c.errors.length === 0 && (c.health === 'Ready' || c.skipped === 'paused'));
      return ok ? 0 : 1;
    }

    // Only the leader ticks; its tick stops before the next write once leadership is lost.
    // Sharded, every replica ticks (for its clusters); the leader's signal marks the one that writes Git.
    let periodMs = intervalMs;
    // A tick with a failed cluster is retried soon (backoff), not an interval later.
    const retry = new RetryBackoff(retryMs, () => periodMs, () => fire('retry'));
    let lastOutcome: TickResult | undefined;
    const judge = (r: TickResult) => {
      if (r === lastOutcome) return; // ticks coalesce: one judgement per tick
      lastOutcome = r;
      const delay = retry.after(tickFailed(r));
      if (delay !== undefined) log.info('a cluster or git failed: retrying', { inMs: delay });
    };
    const fire = (reason: string, push?: PushHint) => {
      const t = !elector ? operator.trigger(reason, undefined, push) : (sharding || elector.leader) ? operator.trigger(reason, elector.signal, push) : undefined;
      void t?.then(judge, () => undefined);
    };
    let activeSince = performance.now();
    const ready = () => readiness({ now: performance.now(), activeSince, periodMs, ...(operator.lastTickCompletedAt !== undefined ? { lastTickCompletedAt: operator.lastTickCompletedAt } : {}), ...(elector && !sharding ? { leader: elector.leader } : {}) });
    metrics.setReadiness(ready);
    const server = await startHttpServer({
      host, port, metrics, ready,
      onPush: (provider, after) => { log.info('webhook: push received', { provider, ...(after ? { after } : {}) }); fire('webhook', after ? { after } : {}); },
      ...(webhookSecret ? { webhookSecret } : {}), ...(v.repo ? { branch: (v.branch as string) ?? 'main' } : {}),
    });
    let triggers: Trigger[];
    try {
      triggers = [v.schedule ? schedule(v.schedule as string, () => fire('schedule')) : every(intervalMs, () => fire('interval'))];
    } catch (e) {
      await server.close();
      throw new UsageError(`gitfed run: ${(e as Error).message}`);
    }
    periodMs = triggers[0]!.periodMs ?? intervalMs;
    log.info('gitfed operator started', { source: ends.source.describe, listen: server.url, leaderElect: !!elector, ...(sharding ? { shards: shardCount, replica: identity } : {}) });
    if (!webhookSecret) log.warn('no --webhook-secret-file: /webhook accepts unsigned requests, so anyone who reaches it can trigger a fetch (gitfed_webhook_secret_configured 0)', { listen: server.url });
    if (dirWatch) triggers.push(watchDir(dirWatch.dir, dirWatch.statusDir, () => fire('watch')));
    if (shardLeases) await shardLeases.start();
    // Sharded: Leases are claimed and released between ticks too; a cluster gained is worked on at once.
    let rebalancing: Promise<void> | undefined;
    const rebalance = sharding && elector ? setInterval(() => {
      if (rebalancing) return;
      rebalancing = sharding!.rebalance().then((gained) => { if (gained) fire('rebalance'); }, (e) => log.warn('shard rebalance failed', { error: (e as Error).message })).finally(() => { rebalancing = undefined; });
    }, elector.retryPeriodMs) : undefined;
    rebalance?.unref?.();
    if (elector) elector.start((leader) => { log.info(leader ? 'became leader' : 'lost leadership'); if (leader) { if (!sharding) activeSince = performance.now(); fire('leader'); } });
    if (!elector || sharding) fire('start');

    return new Promise<number>((resolveExit) => {
      const shutdown = async (sig: string) => {
        log.info('shutting down: finishing the tick in flight', { signal: sig });
        for (const t of triggers) await t.stop();
        retry.stop();
        clearInterval(rebalance);
        // One in flight could take a cluster Lease after we released them all.
        await rebalancing;
        await operator.idle();
        await elector?.stop();
        await shardLeases?.stop();
        operator.close();
        await gce?.close();
        await inventory?.close();
        await server.close();
        resolveExit(0);
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
  });
}

function refuseStatusDir(check: () => void): void {
  try { check(); } catch (e) { if (e instanceof StatusDirRefused) throw new UsageError(`gitfed run: ${e.message}`); throw e; }
}

async function refuseStatusDirAsync(check: () => Promise<void>): Promise<void> {
  try { await check(); } catch (e) { if (e instanceof StatusDirRefused) throw new UsageError(`gitfed run: ${e.message}`); throw e; }
}

function currentContext(kubeconfig: string): string {
  const m = /current-context:\s*"?([^"\n]+)"?/.exec(readFileSync(kubeconfig, 'utf8'));
  if (!m) throw new UsageError('gitfed run: --leader-elect needs --lease-context (the kubeconfig has no current-context)');
  return m[1]!.trim();
}
