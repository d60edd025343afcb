// Finding sinks: discovery loads the plugins a project names, validation checks each export's shape
// before anything trusts it, order puts them in their tiers and dependency order.
export { checkSinks, discoverSinks, findProjectDir, MARKER_FIELD, sinkSummary, type DiscoveryOptions, type LoadedSink, type SinkSummary } from './discovery';
export { orderLoaded, orderSinks } from './order';
export { sinkProblems } from './validate';
