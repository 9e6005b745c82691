// `gitfed <command>`: one file per command under operator/cli/, loaded on
// demand so that `gitfed validate` never pays for the Kubernetes client.

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Every command module exports `run(argv, io)` returning the exit code. */
export type CommandModule = { run: (argv: string[], io: CliIO) => Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  validate: { summary: 'check a fleet repo; errors as file:line:col', load: () => import('./validate.js') },
  render: { summary: 'write the per-cluster objects of a fleet repo to a directory', load: () => import('./render.js') },
  plan: { summary: 'show what apply would change in every cluster', load: () => import('./plan.js') },
  apply: { summary: 'apply a fleet repo to every cluster', load: () => import('./apply.js') },
  status: { summary: 'health, sync and ingress state of every cluster', load: () => import('./status.js') },
  doctor: { summary: 'check a fleet for the known ways federated ingress breaks', load: () => import('./doctor.js') },
  run: { summary: 'the GitOps operator: poll a fleet repo and reconcile', load: () => import('./run.js') },
  rollout: { summary: 'rollout waves: status | approve REV --wave W | pause | resume | abort', load: () => import('./rollout.js') },
  demo: { summary: 'the built-in demo on local clusters and a local git server', load: () => import('./demo.js') },
  sandbox: { summary: 'start/stop local clusters and a git server (up | down | install)', load: () => import('./sandbox.js') },
};

export function usage(): string {
  const lines = ['usage: gitfed <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `gitfed <command> --help` for the options of one command.');
  return lines.join('\n');
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    cwd: process.cwd(),
    env: process.env,
  };
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`gitfed: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest, io);
}
