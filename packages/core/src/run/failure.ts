import { ComfySecretsError } from '../errors';
import type { FileSystem } from '../fs';
import type { Logger } from '../logger';
import type { Clock } from '../tokens';
import { pluginText, stackFrames, type Redactor } from '../values/redact';
import type { Sources } from '../values/sources';
import type { ErrorReport, SinkReport } from './types';

/** What both halves of a sink's trip work with: the runner's own dependencies. */
export interface RunDeps {
  readonly sources: Sources;
  readonly fs: FileSystem;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly redactor: Redactor;
}

/** Fails the sink with `error`: in its report and, redacted, in the log. */
export function failSink({ logger, redactor }: RunDeps, report: SinkReport, error: unknown): void {
  const described = describe(logger, redactor, error);
  report.status = 'failed';
  report.errors.push(described);
  logger.error(`${report.name} failed: ${described.message}`, { sink: report.name, code: described.code, variable: described.variable, file: described.file });
}

function describe(logger: Logger, redactor: Redactor, error: unknown): ErrorReport {
  if (error instanceof ComfySecretsError) {
    return { code: error.code, message: redactor.redact(error.message), variable: error.variable, file: error.file };
  }
  // Not ours: a plugin's code (a throwing getter, a transform) may have made the message.
  const message = error instanceof Error ? error.message : String(error);
  logger.debug('internal error', { stack: error instanceof Error ? stackFrames(error.stack) : undefined });
  return { code: 'INTERNAL_ERROR', message: pluginText(`internal error: ${message}`, redactor, `internal error: ${error instanceof Error ? error.name : 'a thrown value'} (its message quotes part of a secret, so it is not shown)`) };
}

/** Reports the sink skipped, saying why (debug only: the report says it too). */
export function skipSink({ logger }: RunDeps, report: SinkReport, reason: string): SinkReport {
  logger.debug(`skipped ${report.name}: ${reason}`, { sink: report.name });
  return Object.assign(report, { status: 'skipped' as const, reason });
}
