// Every command with its summary and flags, in one light module: `gitfed`
// (the usage), `gitfed completion` and the commands' own flag parsing all
// read it, so a flag added here is parsed and completed, and nothing in here
// loads a command's dependencies.
import type { ParseArgsConfig } from 'node:util';
import type { CliIO } from './main.js';

/** Every command module exports `run(argv, io)` returning the exit code. */
export type CommandModule = { run: (argv: string[], io: CliIO) => Promise<number> };

export type Flags = NonNullable<ParseArgsConfig['options']>;

/** What the shell should complete for a flag's value or a positional. */
export type ValueHint = 'file' | 'dir' | 'none' | readonly string[];

export interface CommandSpec {
  summary: string;
  flags: Flags;
  /** Completion of a flag's value (default: files for string flags). */
  values?: Record<string, ValueHint>;
  /** First positional: fixed words (sandbox up|down|install) or a path. */
  positional?: ValueHint;
  load: () => Promise<CommandModule>;
}

const output = { output: { type: 'string', short: 'o' } } as const;
const OUTPUT_VALUES = ['text', 'json', 'yaml'] as const;

/** The age key that opens SOPS-encrypted files (else SOPS_AGE_KEY_FILE / SOPS_AGE_KEY): every command that loads a fleet. */
export const AGE_FLAGS = { 'age-key-file': { type: 'string' } } as const satisfies Flags;

/** The flags of the commands that read a fleet DIR and talk to its clusters. */
export const FLEET_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string', multiple: true },
  allocations: { type: 'string' },
  ...AGE_FLAGS,
  ...output,
} as const satisfies Flags;

const fleetValues = { output: OUTPUT_VALUES, context: 'none' } as const;

/** The flags of commands that talk to the fleet's Git remote (clone dir, commit author, credentials). */
export const GIT_FLAGS = {
  'git-credentials-file': { type: 'string' }, 'work-dir': { type: 'string' },
  'author-name': { type: 'string' }, 'author-email': { type: 'string' },
} as const satisfies Flags;

/** Compute Engine: --gce (Application Default Credentials) or --gce-endpoint URL (another endpoint). */
export const GCE_FLAGS = { gce: { type: 'boolean' }, 'gce-endpoint': { type: 'string' }, 'gce-timeout': { type: 'string' } } as const satisfies Flags;

/** Forcing past a GLBC hazard (each refused by default; README "gitfed on GCE"). */
export const HAZARD_FLAGS = {
  'allow-shared-ingress-removal': { type: 'boolean' }, 'allow-v2-naming': { type: 'boolean' }, 'allow-health-check-divergence': { type: 'boolean' },
} as const satisfies Flags;

const gitValues = { 'work-dir': 'dir', 'author-name': 'none', 'author-email': 'none' } as const;

export const COMMANDS = {
  init: {
    summary: 'write a new fleet repo for the contexts of a kubeconfig',
    flags: { kubeconfig: { type: 'string' }, context: { type: 'string', multiple: true }, force: { type: 'boolean' } },
    values: { context: 'none' }, positional: 'dir', load: () => import('./init.js'),
  },
  validate: {
    summary: 'check a fleet repo; errors as file:line:col',
    flags: { ...AGE_FLAGS, ...output, 'allow-health-check-divergence': { type: 'boolean' } }, values: { output: OUTPUT_VALUES }, positional: 'dir', load: () => import('./validate.js'),
  },
  render: {
    summary: 'write the per-cluster objects of a fleet repo to a directory',
    flags: { out: { type: 'string' }, observations: { type: 'string' }, allocations: { type: 'string' }, ...AGE_FLAGS, ...output },
    values: { out: 'dir', output: OUTPUT_VALUES }, positional: 'dir', load: () => import('./render.js'),
  },
  plan: {
    summary: 'show what apply would change in every cluster; plan a pull request into Git (--repo --branch --commit); plan verify',
    flags: {
      ...FLEET_FLAGS, ...GIT_FLAGS, prune: { type: 'boolean' }, repo: { type: 'string' }, branch: { type: 'string' }, base: { type: 'string' },
      path: { type: 'string' }, commit: { type: 'boolean' }, 'status-branch': { type: 'string' }, ...GCE_FLAGS, ...HAZARD_FLAGS,
    },
    values: { ...fleetValues, ...gitValues, output: [...OUTPUT_VALUES, 'markdown'], repo: 'none', branch: 'none', base: 'none', path: 'none', 'status-branch': 'none', 'gce-endpoint': 'none', 'gce-timeout': 'none' },
    positional: 'dir', load: () => import('./plan.js'),
  },
  apply: {
    summary: 'apply a fleet repo to every cluster',
    flags: { ...FLEET_FLAGS, ...GCE_FLAGS, prune: { type: 'boolean' }, 'prune-all': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'allow-in-cluster': { type: 'boolean' }, ...HAZARD_FLAGS },
    values: { ...fleetValues, 'gce-endpoint': 'none', 'gce-timeout': 'none' }, positional: 'dir', load: () => import('./apply.js'),
  },
  status: {
    summary: 'health, sync and ingress state of every cluster',
    flags: { ...FLEET_FLAGS, ...GCE_FLAGS },
    values: { ...fleetValues, 'gce-endpoint': 'none', 'gce-timeout': 'none' }, positional: 'dir', load: () => import('./status.js'),
  },
  doctor: {
    summary: 'check a fleet for the known ways federated ingress breaks',
    flags: { ...FLEET_FLAGS, ...GCE_FLAGS }, values: { ...fleetValues, 'gce-endpoint': 'none', 'gce-timeout': 'none' }, positional: 'dir', load: () => import('./doctor.js'),
  },
  gce: {
    summary: 'Compute Engine: gc (list, and with --yes delete, GLBC resources no member cluster owns)',
    flags: { ...FLEET_FLAGS, ...GCE_FLAGS, yes: { type: 'boolean' } },
    values: { ...fleetValues, 'gce-endpoint': 'none', 'gce-timeout': 'none' }, positional: ['gc'], load: () => import('./gce.js'),
  },
  run: {
    summary: 'the GitOps operator: poll a fleet repo and reconcile',
    flags: {
      repo: { type: 'string' }, branch: { type: 'string' }, path: { type: 'string' }, dir: { type: 'string' }, kubeconfig: { type: 'string' },
      interval: { type: 'string' }, schedule: { type: 'string' }, 'status-branch': { type: 'string' }, 'status-dir': { type: 'string' },
      listen: { type: 'string' }, 'webhook-secret-file': { type: 'string' }, 'git-credentials-file': { type: 'string' },
      'leader-elect': { type: 'boolean' }, 'lease-context': { type: 'string' }, 'lease-namespace': { type: 'string' }, 'lease-name': { type: 'string' }, 'lease-duration': { type: 'string' },
      prune: { type: 'boolean' }, 'prune-all': { type: 'boolean' }, 'author-name': { type: 'string' }, 'author-email': { type: 'string' },
      'work-dir': { type: 'string' }, 'log-format': { type: 'string' }, once: { type: 'boolean' }, identity: { type: 'string' }, shards: { type: 'string' }, 'replica-id': { type: 'string' },
      'allow-in-cluster': { type: 'boolean' }, 'watch-idle-timeout': { type: 'string' }, 'health-interval': { type: 'string' }, 'lease-renew-deadline': { type: 'string' }, 'git-timeout': { type: 'string' },
      'retry-interval': { type: 'string' },
      ...AGE_FLAGS, ...GCE_FLAGS, ...HAZARD_FLAGS,
    },
    values: {
      repo: 'none', branch: 'none', path: 'none', dir: 'dir', interval: 'none', schedule: 'none', 'status-branch': 'none', 'status-dir': 'none', listen: 'none',
      'lease-context': 'none', 'lease-namespace': 'none', 'lease-name': 'none', 'lease-duration': 'none', 'author-name': 'none', 'author-email': 'none',
      'work-dir': 'dir', 'log-format': ['json', 'text'], identity: 'none', shards: 'none', 'replica-id': 'none', 'watch-idle-timeout': 'none', 'health-interval': 'none', 'lease-renew-deadline': 'none', 'git-timeout': 'none', 'gce-endpoint': 'none', 'gce-timeout': 'none', 'retry-interval': 'none',
    },
    positional: 'none', load: () => import('./run.js'),
  },
  rollout: {
    summary: 'rollout waves: status | approve REV --wave W | pause | resume | abort',
    flags: { ...GIT_FLAGS, repo: { type: 'string' }, wave: { type: 'string' }, 'status-branch': { type: 'string' }, 'control-branch': { type: 'string' }, ...output },
    values: { ...gitValues, repo: 'none', wave: 'none', 'status-branch': 'none', 'control-branch': 'none', output: OUTPUT_VALUES },
    positional: ['status', 'approve', 'pause', 'resume', 'abort'], load: () => import('./rollout.js'),
  },
  bootstrap: {
    summary: 'install the operator into a host cluster, with least-privilege access to the members',
    flags: {
      repo: { type: 'string' }, branch: { type: 'string' }, kubeconfig: { type: 'string' }, 'host-context': { type: 'string' }, 'member-contexts': { type: 'string' },
      'git-credentials-file': { type: 'string' }, ...AGE_FLAGS, image: { type: 'string' }, 'dry-run': { type: 'boolean' }, uninstall: { type: 'boolean' }, ...output,
    },
    values: { repo: 'none', branch: 'none', 'host-context': 'none', 'member-contexts': 'none', image: 'none', output: OUTPUT_VALUES },
    positional: 'none', load: () => import('./bootstrap.js'),
  },
  demo: {
    summary: 'the built-in demo on local clusters and a local git server',
    flags: {}, positional: 'none', load: () => import('./demo.js'),
  },
  sandbox: {
    summary: 'start/stop local clusters and a git server (up | down | install)',
    flags: { clusters: { type: 'string' }, dir: { type: 'string' }, nodes: { type: 'string' }, 'no-controllers': { type: 'boolean' }, gce: { type: 'boolean' }, lean: { type: 'boolean' } },
    values: { clusters: 'none', dir: 'dir', nodes: 'none' }, positional: ['up', 'down', 'install'], load: () => import('./sandbox.js'),
  },
  completion: {
    summary: 'print a shell completion script (bash | zsh | fish)',
    flags: {}, positional: ['bash', 'zsh', 'fish'], load: () => import('./completion.js'),
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];
