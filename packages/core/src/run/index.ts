// A run: each sink in order, down the stages once: its plan reads (values, targets, formats), its
// apply writes and records (files, state); a run that writes nothing previews the apply.
export { Runner, type EnvMismatch, type ErrorReport, type FileReport, type FileStatus, type RunOptions, type RunReport, type SinkReport, type SinkStatus } from './runner';
