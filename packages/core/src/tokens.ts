/** Injection tokens. Symbols, with explicit `@inject`, so no decorator metadata is needed at run time. */
export const LOGGER = Symbol('runtime-env:logger');
export const CLOCK = Symbol('runtime-env:clock');
export const FS = Symbol('runtime-env:fs');
/** The loaded sinks (`LoadedSink[]`), in discovery order; the runner orders them. */
export const SINKS = Symbol('runtime-env:sinks');
export const REDACTOR = Symbol('runtime-env:redactor');
export const SOURCES = Symbol('runtime-env:sources');

/** The time source, injected so tests can pin the `Generated at` line. */
export type Clock = () => Date;
