import fc from 'fast-check';
import type { Tier } from '../../src/contract';
import { ConfigError } from '../../src/errors';
import { orderLoaded, orderSinks } from '../../src/sinks/order';
import { thrown } from '../helpers';

interface Node {
  name: string;
  order?: Tier;
  dependencies?: string[];
}

const names = (sinks: readonly Node[]) => orderSinks(sinks).map((sink) => sink.name);

describe('orderSinks', () => {
  it('runs pre, then normal, then post', () => {
    expect(names([{ name: 'a', order: 'post' }, { name: 'b' }, { name: 'c', order: 'pre' }, { name: 'd', order: 'normal' }])).toEqual(['c', 'b', 'd', 'a']);
  });

  it('runs a dependency first even when its name sorts later', () => {
    expect(names([{ name: 'a', dependencies: ['z'] }, { name: 'z' }, { name: 'm' }])).toEqual(['m', 'z', 'a']);
  });

  it('lets a later tier depend on an earlier one', () => {
    expect(names([{ name: 'a', order: 'post', dependencies: ['b'] }, { name: 'b', order: 'pre' }])).toEqual(['b', 'a']);
  });

  it('counts a dependency listed twice once', () => {
    expect(names([{ name: 'a', dependencies: ['b', 'b'] }, { name: 'b' }])).toEqual(['b', 'a']);
  });

  it('breaks ties by name whatever order the sinks come in', () => {
    const sinks: Node[] = [
      { name: 'civitai' },
      { name: 'eden', order: 'pre' },
      { name: 'emprops', dependencies: ['civitai'] },
      { name: 'aaa', order: 'post', dependencies: ['eden'] },
      { name: 'openai' },
      { name: 'zeta', order: 'pre' },
    ];
    const expected = ['eden', 'zeta', 'civitai', 'emprops', 'openai', 'aaa'];
    fc.assert(
      fc.property(fc.shuffledSubarray(sinks, { minLength: sinks.length }), (shuffled) => {
        expect(names(shuffled)).toEqual(expected);
      }),
    );
  });

  it('orders any acyclic set consistently: tiers ascending, dependencies first, independent of input order', () => {
    const tiers: Tier[] = ['pre', 'normal', 'post'];
    const graph = fc.array(fc.record({ tier: fc.nat(2), deps: fc.array(fc.nat(), { maxLength: 3 }) }), { minLength: 1, maxLength: 30 }).map((specs) =>
      specs.map((spec, index): Node => ({
        name: `sink-${String((index * 7919) % 1000).padStart(3, '0')}-${index}`,
        order: tiers[spec.tier],
        // Only earlier sinks of the same or an earlier tier: acyclic and without tier conflicts.
        dependencies: index === 0 ? [] : spec.deps.map((d) => d % index).filter((d) => specs[d]!.tier <= spec.tier).map((d) => `sink-${String((d * 7919) % 1000).padStart(3, '0')}-${d}`),
      })),
    );
    fc.assert(
      fc.property(
        graph.chain((sinks) => fc.tuple(fc.constant(sinks), fc.shuffledSubarray(sinks, { minLength: sinks.length }))),
        ([sinks, shuffled]) => {
          const ordered = orderSinks(sinks);
          const position = new Map(ordered.map((sink, index) => [sink.name, index]));
          expect(ordered).toHaveLength(sinks.length);
          for (const sink of sinks) for (const dependency of sink.dependencies ?? []) expect(position.get(dependency)!).toBeLessThan(position.get(sink.name)!);
          const ranks = ordered.map((sink) => tiers.indexOf(sink.order ?? 'normal'));
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          expect(names(shuffled)).toEqual(ordered.map((sink) => sink.name));
        },
      ),
    );
  });

  it('fails MISSING_DEPENDENCY naming the dependency and the sink', () => {
    const error = thrown(() => orderSinks([{ name: 'emprops', dependencies: ['civitai'] }]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'MISSING_DEPENDENCY', message: "The dependency 'civitai' of sink 'emprops' is not installed" });
  });

  it('fails DEPENDENCY_CYCLE listing the cycle', () => {
    const error = thrown(() => orderSinks([{ name: 'c', dependencies: ['a'] }, { name: 'a', dependencies: ['b'] }, { name: 'free' }, { name: 'b', dependencies: ['c'] }]));
    expect(error).toMatchObject({ code: 'DEPENDENCY_CYCLE', message: 'Sinks depend on each other in a cycle: a -> b -> c -> a' });
  });

  it('lists only the cycle when a stuck sink merely waits on it', () => {
    const error = thrown(() => orderSinks([{ name: 'a', dependencies: ['b'] }, { name: 'b', dependencies: ['c'] }, { name: 'c', dependencies: ['b'] }]));
    expect(error.message).toBe('Sinks depend on each other in a cycle: b -> c -> b');
  });

  it('reports a sink that depends on itself as a cycle', () => {
    expect(thrown(() => orderSinks([{ name: 'a', dependencies: ['a'] }])).message).toBe('Sinks depend on each other in a cycle: a -> a');
  });

  it('fails TIER_CONFLICT when a sink depends on one in a later tier', () => {
    const error = thrown(() => orderSinks([{ name: 'early', order: 'pre', dependencies: ['late'] }, { name: 'late', order: 'post' }]));
    expect(error).toMatchObject({
      code: 'TIER_CONFLICT',
      message: "Sink 'early' (order 'pre') depends on 'late' (order 'post'), which runs in a later tier",
    });
  });

  it('orders a 1000-sink chain', () => {
    // Names sort against the chain, so every step goes through the dependency bookkeeping.
    const chain: Node[] = Array.from({ length: 1000 }, (_, i) => ({ name: `s${String(999 - i).padStart(4, '0')}`, dependencies: i === 0 ? [] : [`s${String(1000 - i).padStart(4, '0')}`] }));
    const shuffled = fc.sample(fc.shuffledSubarray(chain, { minLength: chain.length }), { numRuns: 1, seed: 42 })[0]!;
    // How fast is the bench's business (`pnpm bench`: growth t(1000)/t(100)), not a timed test's.
    expect(names(shuffled)).toEqual(chain.map((sink) => sink.name));
  });

  it('names a 1000-sink cycle', () => {
    const cycle: Node[] = Array.from({ length: 1000 }, (_, i) => ({ name: `s${String(i).padStart(4, '0')}`, dependencies: [`s${String((i + 1) % 1000).padStart(4, '0')}`] }));
    expect(thrown(() => orderSinks(cycle)).message).toMatch(/^Sinks depend on each other in a cycle: s0000 -> s0001 -> .* -> s0999 -> s0000$/);
  });

  it('keeps each loaded sink with its plugin', () => {
    const loaded = [
      { sink: { name: 'b', nodes: ['b'], variables: {} }, plugin: 'pkg-b' },
      { sink: { name: 'a', nodes: ['a'], variables: {}, dependencies: ['b'] }, plugin: 'pkg-a' },
    ];
    expect(orderLoaded(loaded).map((entry) => entry.plugin)).toEqual(['pkg-b', 'pkg-a']);
  });
});
