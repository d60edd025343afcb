import * as path from 'node:path';
import { declaredRoots, lstatQuietly, type FileSystem, type SinkSummary } from '@comfy-secrets/core';
import type { CliContext } from './context';

/**
 * For discovery before a run on one tree (`DiscoveryOptions.applies`): whether a sink's node directory,
 * or its program's `present` path, may be there. One lstat per name. It only decides what is loaded:
 * the runner judges the stand-in of a package not loaded by the same fields, so `true` when unsure
 * (a `user` root, which `--user-directory` may move) costs a load and nothing else.
 */
export function mayApply(context: CliContext, comfyuiDir: string, owner: { uid: number } | undefined): (summary: SinkSummary) => boolean {
  const { fs } = context;
  let roots: ReturnType<typeof declaredRoots> | undefined;
  return ({ nodes, present }) => {
    if (nodes.length > 0) return nodes.some((node) => exists(fs, path.join(comfyuiDir, 'custom_nodes', node)));
    if (present === undefined || present.relativeTo === 'user') return true;
    let dir: string | undefined = comfyuiDir;
    if (present.relativeTo !== 'comfyui') {
      try {
        roots ??= declaredRoots(context.env, fs, owner);
      } catch {
        return true; // the run reports it, after discovery as before
      }
      dir = roots.roots[present.relativeTo]?.dir;
    }
    // An unknown root: the runner skips the sink for it without loading anything either.
    return dir !== undefined && exists(fs, path.resolve(dir, present.path));
  };
}

function exists(fs: FileSystem, file: string): boolean {
  // No exception for an absent name (the usual answer): its error object and stack would cost more than the lstat.
  return lstatQuietly(fs, file) !== undefined;
}
