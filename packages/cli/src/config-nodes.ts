import * as path from 'node:path';
import { ConfigError, MAX_ENV_FILE_BYTES, readSourceFile, SourceFileProblem, type LoadedSink } from '@comfy-secrets/core';
import { sinksFromConfigNodes, withDeclarations, type ShadowedDeclaration } from '@comfy-secrets/sink-config-nodes';
import type { CliContext } from './context';

export interface WithDeclarations {
  sinks: LoadedSink[];
  /** Declarations a code sink serves instead, for `list`. */
  shadowed: ShadowedDeclaration[];
  /** The config_nodes.json read, if any. */
  file?: string;
}

/**
 * Adds the sinks a config_nodes.json declares. `--config-nodes FILE` must exist; without it,
 * `$WORKSPACE_PATH/config_nodes.json` is read when it exists; `--no-config-nodes` reads none.
 */
export function withConfigNodes(code: LoadedSink[], option: string | boolean | undefined, context: CliContext): WithDeclarations {
  const file = configNodesFile(option, context);
  if (file === undefined) return { sinks: code, shadowed: [] };
  let text: string;
  try {
    // A FIFO or a device would hang the start; bytes that are not UTF-8 would be read changed.
    text = readSourceFile(context.fs, file, MAX_ENV_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof SourceFileProblem)) throw error;
    const why = error.reason === 'unreadable' ? `cannot read --config-nodes ${file} (${error.message})` : `--config-nodes ${file} ${error.message}`;
    throw new ConfigError('CONFIG_NODES_UNREADABLE', why, { file, cause: error });
  }
  return { ...withDeclarations(code, sinksFromConfigNodes(text, file), file), file };
}

function configNodesFile(option: string | boolean | undefined, context: CliContext): string | undefined {
  if (option === false) return undefined;
  if (typeof option === 'string') return path.resolve(context.cwd, option);
  const workspace = context.env.WORKSPACE_PATH;
  if (!workspace) return undefined;
  const candidate = path.resolve(context.cwd, workspace, 'config_nodes.json');
  return context.fs.existsSync(candidate) ? candidate : undefined;
}
