import * as path from 'node:path';
import { orderLoaded, sourceNames, type FileSystem, type LoadedSink, type SecretSink } from '@comfy-secrets/core';
import { print } from '../output';
import type { CommandSpec } from '../args';
import { comfyuiDir, loadSinksAndDeclarations, runOptions, type RunFlags } from '../options';
import { formatSinkList, variableMap, type SinkApplies } from '../report';

export const listCommand: CommandSpec<RunFlags> = {
  name: 'list',
  description: 'the discovered sinks in run order: package, nodes, whether each applies to the ComfyUI tree, file, format, the variables to set',
  // The run options, so `list` looks at the tree and the sinks that `run` with the same options would.
  options: runOptions,
  run(flags, _args, context) {
    const { sinks, shadowed } = loadSinksAndDeclarations(flags, context);
    const ordered = orderLoaded(sinks);
    const root = comfyuiDir(flags, context);
    const applies = new Map(ordered.map(({ sink }) => [sink.name, appliesTo(context.fs, root, sink)] as const));
    // A declaration a code sink shadows is said, so nobody wonders why their config_nodes.json entry did nothing.
    const shadowedText = shadowed.map((entry) => `shadowed: ${entry.name} (config_nodes.json) — custom_nodes/${entry.node} is served by the code sink ${entry.by}${entry.unwritten ? `, which does not write ${entry.unwritten.join(', ')}` : ''}\n`).join('');
    print(context, flags.json, { command: 'list', comfyuiDir: root, sinks: ordered.map((loaded) => describeSink(loaded, applies.get(loaded.sink.name))), variables: variableMap(ordered), shadowed }, () => formatSinkList(ordered, root, applies) + shadowedText);
    return 0;
  },
};

/** Which of the sink's node directories exist under `root`; `undefined` when `root` has no custom_nodes/. */
function appliesTo(fs: FileSystem, root: string, sink: SecretSink): SinkApplies {
  const isDirectory = (dir: string) => {
    try {
      return fs.lstatSync(dir).isDirectory();
    } catch {
      return false;
    }
  };
  if (!isDirectory(path.join(root, 'custom_nodes'))) return undefined;
  return sink.nodes.filter((node) => isDirectory(path.join(root, 'custom_nodes', node)));
}

/** The names a user sets for a sink: each source name once, in the order its variables read them. */
function namesToSet(sink: SecretSink): string[] {
  return [...new Set(Object.entries(sink.variables).flatMap(([key, spec]) => sourceNames(key, spec)))];
}

function describeSink({ sink, plugin, version }: LoadedSink, applies: SinkApplies) {
  return {
    name: sink.name,
    plugin,
    version,
    order: sink.order ?? 'normal',
    dependencies: sink.dependencies ?? [],
    nodes: sink.nodes,
    /** `null` when the ComfyUI directory has no custom_nodes/ to look in. */
    applies: applies === undefined ? null : applies.length > 0,
    installed: applies ?? [],
    file: typeof sink.file === 'function' ? null : sink.file ?? '.env',
    relativeTo: sink.relativeTo ?? 'node',
    format: sink.format ?? 'dotenv',
    reads: namesToSet(sink),
    variables: Object.entries(sink.variables).map(([key, spec]) => ({
      key,
      from: sourceNames(key, spec),
      template: spec.template,
      required: spec.required ?? false,
      secret: spec.secret ?? true,
      decode: spec.decode,
      encodings: spec.template !== undefined ? [] : spec.encodings ?? ['base64'],
      hasDefault: spec.default !== undefined,
      allowed: spec.allowed,
    })),
  };
}
