import * as path from 'node:path';
import type { OutsideRoot } from '../contract';
import type { FileSystem } from '../fs';
import type { Environment } from '../values/sources';

/** One root outside the ComfyUI tree (contract `OutsideRoot`). */
export interface DeclaredRoot {
  /**
   * An existing directory the path checks start from, as the ComfyUI root is for the tree: the home
   * directory, or a directory named outright by a variable (`$XDG_CONFIG_HOME`, `$HF_HOME`). It must be
   * a real directory, not a link; below it no link is followed and nothing is written outside `dir`.
   */
  base: string;
  /** The root itself: `base` or a directory below it (`~/.config` below the home); created when missing. */
  dir: string;
  /** Where it came from, for messages: `$XDG_CONFIG_HOME`, `~/.config`. */
  source: string;
}

export interface DeclaredRoots {
  roots: Partial<Record<OutsideRoot, DeclaredRoot>>;
  /** huggingface_hub's token file name in the `hf-token` root. @default 'token' */
  hfTokenName?: string;
  /** Why a root is missing (no home known), for the error of a sink that needs one. */
  missing?: string;
}

/** Empty counts as unset, as for every setting the CLI reads. */
const setting = (env: Environment, name: string): string | undefined => env[name] || undefined;

/**
 * The home directory of the user ComfyUI runs as: with `--owner`, that uid's entry in /etc/passwd
 * (the runner is often root, whose own $HOME is not ComfyUI's); else `$HOME`.
 */
function homeOf(env: Environment, fs: FileSystem, owner: { uid: number } | undefined): { home?: string; source: string; missing?: string } {
  if (owner !== undefined) {
    let passwd = '';
    try {
      passwd = fs.readFileSync('/etc/passwd', 'utf8');
    } catch {
      // no passwd file: said below
    }
    for (const line of passwd.split('\n')) {
      const fields = line.split(':');
      if (fields.length >= 7 && fields[2] === String(owner.uid) && path.isAbsolute(fields[5] ?? '')) return { home: fields[5], source: `the home of uid ${owner.uid}` };
    }
    return { source: `the home of uid ${owner.uid}`, missing: `uid ${owner.uid} (--owner) has no home directory in /etc/passwd` };
  }
  const home = setting(env, 'HOME');
  if (home !== undefined && path.isAbsolute(home)) return { home: path.resolve(home), source: '$HOME' };
  return { source: '$HOME', missing: '$HOME is not set to an absolute path' };
}

/**
 * A directory named outright by a variable is its own base unless it is below the home; the Python readers expand a leading `~`
 * (`os.path.expanduser`), and so does this. A value still holding `$` is refused: huggingface_hub
 * expands variables in it (`os.path.expandvars`) from an environment comfy-secrets does not see.
 */
function named(value: string, home: string | undefined, source: string): DeclaredRoot | string {
  const expanded = value === '~' || value.startsWith('~/') ? (home === undefined ? undefined : path.join(home, value.slice(1))) : value;
  if (expanded === undefined) return `${source} starts with ~ and no home directory is known`;
  if (expanded.includes('$')) return `${source} holds a $, which the node would expand from its own environment`;
  if (!path.isAbsolute(expanded)) return `${source} is not an absolute path`;
  const dir = path.resolve(expanded);
  // Below the home, the checks start at the home, and the directory is created when missing (as the
  // Python side would); anywhere else it is its own base and must exist.
  if (home !== undefined && dir.startsWith(`${home}${path.sep}`)) return { base: home, dir, source };
  return { base: dir, dir, source };
}

const below = (home: string, relative: string, source: string): DeclaredRoot => ({ base: home, dir: path.join(home, relative), source });

/**
 * The roots outside the ComfyUI tree (contract `OutsideRoot`), from the environment the CLI was given
 * (passed in: nothing here reads `process.env`)
 * and, with `--owner`, the owner's home. Reads /etc/passwd only with `--owner`; nothing else is looked
 * at until a sink whose node is installed writes below a root.
 */
export function declaredRoots(env: Environment, fs: FileSystem, owner: { uid: number } | undefined): DeclaredRoots {
  const { home, missing } = homeOf(env, fs, owner);
  const roots: DeclaredRoots['roots'] = {};
  const problems: string[] = missing ? [missing] : [];
  const take = (name: keyof DeclaredRoots['roots'], root: DeclaredRoot | string | undefined): void => {
    if (typeof root === 'string') problems.push(root);
    else if (root) roots[name] = root;
  };

  if (home !== undefined) take('home', { base: home, dir: home, source: '~' });
  const xdgConfig = setting(env, 'XDG_CONFIG_HOME');
  // platformdirs takes an XDG_CONFIG_HOME of only whitespace as unset.
  take('xdg-config', xdgConfig?.trim() ? named(xdgConfig, home, '$XDG_CONFIG_HOME') : home === undefined ? undefined : below(home, '.config', '~/.config'));

  const hfHome = setting(env, 'HF_HOME');
  const xdgCache = setting(env, 'XDG_CACHE_HOME');
  const hf = hfHome
    ? named(hfHome, home, '$HF_HOME')
    : xdgCache
      ? ((cache) => (typeof cache === 'string' ? cache : { ...cache, dir: path.join(cache.dir, 'huggingface'), source: '$XDG_CACHE_HOME/huggingface' }))(named(xdgCache, home, '$XDG_CACHE_HOME'))
      : home === undefined
        ? undefined
        : below(home, path.join('.cache', 'huggingface'), '~/.cache/huggingface');
  take('hf-home', hf);

  let hfTokenName: string | undefined;
  const tokenPath = setting(env, 'HF_TOKEN_PATH');
  if (tokenPath) {
    const file = named(tokenPath, home, '$HF_TOKEN_PATH');
    if (typeof file === 'string') problems.push(file);
    else {
      hfTokenName = path.basename(file.dir);
      const dir = path.dirname(file.dir);
      roots['hf-token'] = { base: home !== undefined && dir.startsWith(`${home}${path.sep}`) ? home : dir, dir, source: '$HF_TOKEN_PATH' };
    }
  } else if (typeof hf === 'object') {
    roots['hf-token'] = hf;
  }
  return { roots, hfTokenName, missing: problems.length > 0 ? problems.join('; ') : undefined };
}
