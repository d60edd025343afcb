// Resolving values: sources read the environment (and its files), variables pick and decode each
// sink's values, redaction keeps every resolved secret out of what is printed.
export { decodeBase64Strict, decodeSlash, encodeSlash, ENCODINGS, readEncoded, type Encoding } from './base64';
export { isUtf8, MAX_ENV_FILE_BYTES, MAX_SOURCE_FILE_BYTES, readSourceFile, SourceFileProblem } from './read-file';
export { pluginText, REDACTED, Redactor, stackFrames } from './redact';
export { Sources, type EncodedOptions, type Environment, type Found, type SourceOptions } from './sources';
export type { VariableReport } from './variables';
