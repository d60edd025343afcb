import type { Command } from 'commander';
import { orderLoaded, type LoadedSink } from '@runtime-env/core';
import type { CliContext } from '../context';
import { addDiscoveryOptions, loadSinks, type RunFlags } from '../options';
import { formatSinkList } from '../report';

export function registerListCommand(program: Command, context: CliContext, done: (code: number) => void): void {
  addDiscoveryOptions(program.command('list').description('the discovered sinks in run order: package, nodes, file, format, variables')).action(
    (flags: RunFlags) => {
      const ordered = orderLoaded(loadSinks(flags, context));
      context.stdout.write(flags.json ? `${JSON.stringify({ command: 'list', sinks: ordered.map(describeSink) }, null, 2)}\n` : formatSinkList(ordered));
      done(0);
    },
  );
}

function describeSink({ sink, plugin, version }: LoadedSink) {
  return {
    name: sink.name,
    plugin,
    version,
    order: sink.order ?? 'normal',
    dependencies: sink.dependencies ?? [],
    nodes: sink.nodes,
    file: typeof sink.file === 'function' ? null : sink.file ?? '.env',
    relativeTo: sink.relativeTo ?? 'node',
    format: sink.format ?? 'dotenv',
    variables: Object.entries(sink.variables).map(([key, spec]) => ({
      key,
      from: spec.from ?? [key],
      required: spec.required ?? false,
      secret: spec.secret ?? true,
      decode: spec.decode,
      hasDefault: spec.default !== undefined,
      allowed: spec.allowed,
    })),
  };
}
