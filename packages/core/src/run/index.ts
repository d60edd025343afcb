// A run: each sink in order through the stages (sinks → values → formats → files → state).
export { Runner, type EnvMismatch, type ErrorReport, type FileReport, type FileStatus, type RunOptions, type RunReport, type SinkReport, type SinkStatus } from './runner';
