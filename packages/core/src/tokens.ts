/** Injection tokens. Symbols, with explicit `@inject`, so no decorator metadata is needed at run time. */
export const LOGGER = Symbol('comfy-secrets:logger');
export const CLOCK = Symbol('comfy-secrets:clock');
export const FS = Symbol('comfy-secrets:fs');
/** The loaded sinks (`LoadedSink[]`), in discovery order; the runner orders them. */
export const SINKS = Symbol('comfy-secrets:sinks');
export const REDACTOR = Symbol('comfy-secrets:redactor');
export const SOURCES = Symbol('comfy-secrets:sources');

/** The time source, injected so tests can pin the `Generated at` line. */
export type Clock = () => Date;
