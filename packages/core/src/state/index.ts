// Recording and undoing: the state file and its journal record what a run wrote (and what was there
// before), the lifecycle writes one target and records it, clean puts the tree back.
export { cleanRecorded, type CleanAction, type CleanEntry, type CleanOptions, type CleanReport } from './clean';
export { writeTarget, type Lifecycle } from './lifecycle';
export { ensurePrivateDirectory, RunState, sha256, STATE_FILE, type PreviousFile, type StateRecord } from './state';
