import { orderLoaded, type LoadedSink } from '@comfy-secrets/core';
import { print } from '../output';
import type { CommandSpec } from '../args';
import { discoveryOptions, loadSinksAndDeclarations, type RunFlags } from '../options';
import { formatSinkList, variableMap } from '../report';

export const listCommand: CommandSpec<RunFlags> = {
  name: 'list',
  description: 'the discovered sinks in run order: package, nodes, file, format, variables',
  options: discoveryOptions,
  run(flags, _args, context) {
    const { sinks, shadowed } = loadSinksAndDeclarations(flags, context);
    const ordered = orderLoaded(sinks);
    // A declaration a code sink shadows is said, so nobody wonders why their config_nodes.json entry did nothing.
    const shadowedText = shadowed.map((entry) => `shadowed: ${entry.name} (config_nodes.json) — custom_nodes/${entry.node} is served by the code sink ${entry.by}\n`).join('');
    print(context, flags.json, { command: 'list', sinks: ordered.map(describeSink), variables: variableMap(ordered), shadowed }, () => formatSinkList(ordered) + shadowedText);
    return 0;
  },
};

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
      from: spec.template !== undefined ? [] : spec.from ?? [key],
      template: spec.template,
      required: spec.required ?? false,
      secret: spec.secret ?? true,
      decode: spec.decode,
      hasDefault: spec.default !== undefined,
      allowed: spec.allowed,
    })),
  };
}
