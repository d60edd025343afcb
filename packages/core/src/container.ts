import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { LoadedSink } from './sinks/discovery';
import { realFileSystem, type FileSystem } from './fs';
import { createLogger, type Logger } from './logger';
import { Redactor } from './values/redact';
import { Sources, type SourceOptions } from './values/sources';
import { CLOCK, FS, LOGGER, REDACTOR, SINKS, SOURCES, type Clock } from './tokens';

export interface ContainerOptions extends Omit<SourceOptions, 'fs'> {
  sinks: readonly LoadedSink[];
  fs?: FileSystem;
  clock?: Clock;
  redactor?: Redactor;
  /** @default a winston logger at `info`, text, on stderr */
  logger?: Logger;
}

/**
 * The composition root: a fresh child container per run (and per test) with everything the runner
 * needs registered. Nothing is registered in tsyringe's global container, at import time or later.
 */
export function createContainer(options: ContainerOptions): DependencyContainer {
  const fs = options.fs ?? realFileSystem;
  const redactor = options.redactor ?? new Redactor();
  const container = rootContainer.createChildContainer();
  container.register(FS, { useValue: fs });
  container.register(CLOCK, { useValue: options.clock ?? (() => new Date()) });
  container.register(REDACTOR, { useValue: redactor });
  container.register(LOGGER, { useValue: options.logger ?? createLogger({ level: 'info', json: false, redactor }) });
  container.register(SOURCES, { useValue: new Sources({ ...options, fs }) });
  container.register(SINKS, { useValue: options.sinks });
  return container;
}
