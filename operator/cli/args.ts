// Flag parsing shared by every command: node:util parseArgs plus the
// conventions all commands follow (--help, --output text|json|yaml, a clear
// one-line error for a bad flag with exit code 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stringify } from 'yaml';
import { durationMs } from '../core/durations.js';
import type { CliIO } from './main.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

export class UsageError extends Error {
  readonly code = 'EUSAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<T> {
  values: T;
  positionals: string[];
}

/** Parse argv for a command; throws UsageError with a readable message. */
export function parseCommandArgs<T>(command: string, argv: string[], options: Options): Parsed<T> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as T, positionals };
  } catch (e) {
    throw new UsageError(`gitfed ${command}: ${(e as Error).message}`);
  }
}

export function outputFormat(command: string, value: unknown): OutputFormat {
  const v = (value as string | undefined) ?? 'text';
  if (v === 'text' || v === 'json' || v === 'yaml') return v;
  throw new UsageError(`gitfed ${command}: --output must be text, json or yaml, got "${v}"`);
}

/** Print machine output in the chosen format; returns false for text (caller prints). */
export function printStructured(io: CliIO, format: OutputFormat, data: unknown): boolean {
  if (format === 'json') {
    io.out(JSON.stringify(data, null, 2));
    return true;
  }
  if (format === 'yaml') {
    io.out(stringify(data));
    return true;
  }
  return false;
}

/** Wrap a command body: usage errors print and exit 2. */
export async function runCommand(io: CliIO, help: string, argv: string[], body: () => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(help);
    return 0;
  }
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${help}`);
      return 2;
    }
    throw e;
  }
}

/**
 * The longest timer Node keeps: a longer one fires after 1 ms (with a
 * warning), so `--interval 999999h` would tick without pause.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const show = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** "30s", "2m", "500ms", "1h" -> milliseconds, at least `min` (default 1 ms) and at most 24 days (Node's longest timer). */
export function parseDuration(flag: string, text: string, min = 1): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`${flag}: expected a duration like 30s, 2m or 500ms, got "${text}"`);
  if (ms < min) throw new UsageError(`${flag}: must be at least ${show(min)}, got "${text}"`);
  if (ms > MAX_TIMER_MS) throw new UsageError(`${flag}: must be at most 596h (24 days, the longest timer Node.js keeps), got "${text}"`);
  return ms;
}
