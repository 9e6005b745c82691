// `gitfed <command>`: one file per command under operator/cli/, loaded on
// demand so that `gitfed validate` never pays for the Kubernetes client. The
// commands and their flags are listed in command-table.ts.
import { COMMANDS, type CommandName } from './command-table.js';
import { versionInfo, versionText } from './version-info.js';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export type { CommandModule } from './command-table.js';

export function usage(): string {
  const lines = ['usage: gitfed <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(11)} ${c.summary}`);
  lines.push('', 'Run `gitfed <command> --help` for the options of one command, `gitfed --version` for the versions.');
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
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(versionText(versionInfo()));
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // No arguments is how a newcomer asks "what is this": the versions, then the commands.
    io.out(`${versionText(versionInfo())}\n\n${usage()}`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (!command) {
    io.err(`gitfed: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest, io);
}
