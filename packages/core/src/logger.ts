import type * as Winston from 'winston';
import type { Redactor } from './values/redact';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** What the core logs through. Metadata holds names, paths and states, never values. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** JSON lines (for pm2 and log shippers) or readable text (for a terminal). Read when the first line is logged. */
  json: boolean;
  /** Every finished line passes through it, whatever a caller put in the message or metadata. */
  redactor: Redactor;
  /**
   * Where finished lines go (each ends with a newline).
   * @default writing to process.stderr — stdout is kept for the report.
   */
  write?: (text: string) => void;
}

/**
 * A winston logger whose every line, in either shape, is redacted after it is rendered.
 *
 * Winston is loaded on the first line at or above the level, not before: a run that logs nothing
 * (`list`, `--help`, `--log-level warn` with no warning) does not pay the tens of milliseconds its
 * modules take to load — on the critical path of every container start (docs/performance.md).
 */
export function createLogger(options: LoggerOptions): Logger {
  let winston: Winston.Logger | undefined;
  const at = (level: LogLevel) => (message: string, meta?: Record<string, unknown>) => {
    if (RANK[level] > RANK[options.level]) return; // winston would drop it too
    winston ??= createWinstonLogger(options);
    winston.log(level, message, meta);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** The line, as winston's formats see it; MESSAGE is what transports write (triple-beam's symbol). */
type Info = Winston.Logform.TransformableInfo;
const MESSAGE = Symbol.for('message');

function createWinstonLogger(options: LoggerOptions): Winston.Logger {
  const { redactor } = options;
  const render = options.json
    ? ({ level, message, ...meta }: Record<string, unknown>) => JSON.stringify({ time: new Date().toISOString(), level, message, ...meta })
    : ({ level, message, ...meta }: Record<string, unknown>) => {
        const fields = Object.entries(meta)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
        return [`comfy-secrets ${String(level).padEnd(5)}`, String(message), ...fields].join(' ');
      };
  // Winston's own modules, not its index: the index also builds a default console logger and loads
  // every transport and format. A format is any object with `transform` (logform's contract).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const createWinston = require('winston/lib/winston/create-logger') as typeof Winston.createLogger;
  const StreamTransport = require('winston/lib/winston/transports/stream') as typeof Winston.transports.Stream;
  const { Writable } = require('node:stream') as typeof import('node:stream');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(chunk.toString());
      done();
    },
  });
  const format = {
    transform(info: Info) {
      (info as Record<symbol, unknown>)[MESSAGE] = redactor.redact(render({ ...info }));
      return info;
    },
  };
  return createWinston({
    level: options.level,
    levels: RANK,
    format,
    transports: [new StreamTransport({ stream })],
  });
}
