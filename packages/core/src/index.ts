// The stages of a run, in the order a sink goes through them; each folder's index.ts says what it holds.
export * from './contract';
export * from './sinks';
export * from './values';
export { createFormat } from './formats';
export { UnwritableValueError, type Format, type RenderRequest } from './formats/format';
export * from './files';
export * from './state';
export * from './run';
export * from './audit';

// Shared ground: errors, the file system seam, the logger, the container and its tokens.
export { createContainer, type ContainerOptions } from './container';
export { ConfigError, ExitCode, ComfySecretsError, SinkError, errnoCode, type ErrorContext } from './errors';
export { lstatQuietly, realFileSystem, type FileSystem } from './fs';
export { createLogger, LOG_LEVELS, type LogLevel, type Logger, type LoggerOptions } from './logger';
export { CLOCK, FS, LOGGER, REDACTOR, SINKS, SOURCES, type Clock } from './tokens';
