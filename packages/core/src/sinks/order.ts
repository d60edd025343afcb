import type { SecretSink, Tier } from '../contract';
import { ConfigError } from '../errors';

const tierRank: Record<Tier, number> = { pre: 0, normal: 1, post: 2 };
export const TIERS = Object.keys(tierRank) as Tier[];

/**
 * The run order: by tier, then dependencies first, then by name, so the same set of sinks always runs
 * the same way whatever order discovery found them in. Dependencies are never silently re-sorted
 * across tiers: a missing one, one in a later tier, or a cycle is a configuration error.
 */
export function orderSinks<T extends Pick<SecretSink, 'name' | 'order' | 'dependencies'>>(sinks: readonly T[]): T[] {
  const rank = (sink: T) => tierRank[sink.order ?? 'normal'];
  const byName = new Map(sinks.map((sink) => [sink.name, sink]));
  if (byName.size < sinks.length) {
    const duplicate = sinks.find((sink, index) => sinks.findIndex((other) => other.name === sink.name) !== index)!;
    throw new ConfigError('DUPLICATE_SINK', `Two sinks are named '${duplicate.name}'`, { sink: duplicate.name });
  }
  const dependents = new Map<string, string[]>();
  const waitingOn = new Map<string, number>();

  for (const sink of sinks) {
    const dependencies = new Set(sink.dependencies ?? []);
    for (const dependency of dependencies) {
      const target = byName.get(dependency);
      if (!target) {
        throw new ConfigError('MISSING_DEPENDENCY', `The dependency '${dependency}' of sink '${sink.name}' is not installed`, { sink: sink.name });
      }
      if (rank(target) > rank(sink)) {
        throw new ConfigError(
          'TIER_CONFLICT',
          `Sink '${sink.name}' (order '${sink.order ?? 'normal'}') depends on '${dependency}' (order '${target.order ?? 'normal'}'), which runs in a later tier`,
          { sink: sink.name },
        );
      }
      const list = dependents.get(dependency) ?? [];
      list.push(sink.name);
      dependents.set(dependency, list);
    }
    waitingOn.set(sink.name, dependencies.size);
  }

  const before = (a: T, b: T) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const ready = new MinHeap<T>(before);
  for (const sink of sinks) if (waitingOn.get(sink.name) === 0) ready.push(sink);

  const ordered: T[] = [];
  for (let sink = ready.pop(); sink; sink = ready.pop()) {
    ordered.push(sink);
    for (const name of dependents.get(sink.name) ?? []) {
      const left = (waitingOn.get(name) ?? 0) - 1;
      waitingOn.set(name, left);
      if (left === 0) ready.push(byName.get(name)!);
    }
  }

  if (ordered.length < sinks.length) {
    const cycle = findCycle(sinks.filter((sink) => (waitingOn.get(sink.name) ?? 0) > 0), byName);
    throw new ConfigError('DEPENDENCY_CYCLE', `Sinks depend on each other in a cycle: ${cycle.join(' -> ')}`, { sink: cycle[0] });
  }
  return ordered;
}

function findCycle<T extends Pick<SecretSink, 'name' | 'dependencies'>>(stuck: readonly T[], byName: ReadonlyMap<string, T>): string[] {
  // Every stuck sink waits on another stuck one, so walking dependencies must come back to a seen name.
  const stuckNames = new Set(stuck.map((sink) => sink.name));
  const path: string[] = [];
  let name = [...stuckNames].sort()[0]!;
  while (!path.includes(name)) {
    path.push(name);
    name = (byName.get(name)?.dependencies ?? []).filter((d) => stuckNames.has(d)).sort()[0]!;
  }
  return [...path.slice(path.indexOf(name)), name];
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1, parent = (i - 1) >> 1; i > 0 && this.compare(items[i]!, items[parent]!) < 0; i = parent, parent = (i - 1) >> 1) {
      [items[i], items[parent]] = [items[parent]!, items[i]!];
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.compare(items[left]!, items[smallest]!) < 0) smallest = left;
      if (right < items.length && this.compare(items[right]!, items[smallest]!) < 0) smallest = right;
      if (smallest === i) return top;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
  }
}

/**
 * {@link orderSinks} for sinks as discovery returns them (its `LoadedSink`: a sink and where it came
 * from). Typed by shape so that order does not import discovery, which imports validation, which
 * imports the tiers from here.
 */
export function orderLoaded<T extends { sink: SecretSink }>(loaded: readonly T[]): T[] {
  const byName = new Map(loaded.map((entry) => [entry.sink.name, entry]));
  return orderSinks(loaded.map((entry) => entry.sink)).map((sink) => byName.get(sink.name)!);
}
