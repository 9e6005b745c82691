// Structured logs: JSON lines with levels (for log collectors), or a short
// human format on a terminal. Secrets never reach here (callers redact).
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(opts: { format: 'json' | 'text'; level?: Level; write?: (line: string) => void; now?: () => Date }): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const now = opts.now ?? (() => new Date());
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    if (opts.format === 'json') write(JSON.stringify({ time: now().toISOString(), level, msg, ...fields }));
    else {
      const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      write(`${now().toISOString().slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}`);
    }
  };
  return {
    log, info: (m, f) => log('info', m, f), warn: (m, f) => log('warn', m, f), error: (m, f) => log('error', m, f), debug: (m, f) => log('debug', m, f),
  };
}
