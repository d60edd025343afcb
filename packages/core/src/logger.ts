import type { Writable } from 'node:stream';
import { createLogger as createWinston, format, transports } from 'winston';
import type { Redactor } from './redact';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** What the core logs through. Metadata holds names, paths and states, never values. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** JSON lines (for pm2 and log shippers) or readable text (for a terminal). */
  json: boolean;
  /** Every finished line passes through it, whatever a caller put in the message or metadata. */
  redactor: Redactor;
  /** @default process.stderr — stdout is kept for the report. */
  stream?: Writable;
}

/** A winston logger whose every line, in either shape, is redacted after it is rendered. */
export function createLogger(options: LoggerOptions): Logger {
  const { redactor } = options;
  const render = options.json
    ? ({ level, message, ...meta }: Record<string, unknown>) => JSON.stringify({ time: new Date().toISOString(), level, message, ...meta })
    : ({ level, message, ...meta }: Record<string, unknown>) => {
        const fields = Object.entries(meta)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
        return [`runtime-env ${String(level).padEnd(5)}`, String(message), ...fields].join(' ');
      };
  return createWinston({
    level: options.level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: format.printf((info) => redactor.redact(render({ ...info }))),
    transports: [new transports.Stream({ stream: options.stream ?? process.stderr })],
  });
}
