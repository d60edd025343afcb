import * as path from 'node:path';
import { ConfigError, errnoCode } from '@comfy-secrets/core';
import type { CliContext } from '../context';
import type { CommandSpec } from '../args';
import { print } from '../output';
import { scaffoldFiles } from './new-sink-templates';

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.1.0';

interface NewSinkFlags {
  dir?: string;
  json?: boolean;
}

/** `comfy-secrets new-sink NAME [--dir DIR]`: a sink package that builds and passes its own test as generated. */
export const newSinkCommand: CommandSpec<NewSinkFlags> = {
  name: 'new-sink',
  description: 'scaffold a sink package: package.json marked as a sink, src/index.ts, a passing test, README',
  argument: { name: 'name', description: 'sink name, also the custom_nodes/ directory it serves (letters, digits, _ . -)' },
  options: [
    { name: 'dir', value: '<dir>', description: 'where to create the package (default: ./comfy-secrets-sink-<name>)' },
    { name: 'json', description: 'print the created files as JSON' },
  ],
  run(flags, [name = ''], context) {
    const files = createSinkPackage(name, flags, context);
    print(context, flags.json, { command: 'new-sink', ...files }, () => describe(files));
    return 0;
  },
};

function createSinkPackage(name: string, flags: NewSinkFlags, context: CliContext): { dir: string; files: string[] } {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name) || name.includes('..')) {
    throw new ConfigError('BAD_OPTION', `new-sink NAME must be a custom node directory name: letters, digits, _ . - (got '${name}')`);
  }
  const slug = name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[.-]+|-+$/g, '');
  const dir = path.resolve(context.cwd, flags.dir ?? `comfy-secrets-sink-${slug}`);
  const { fs } = context;
  let existing: string[] = [];
  try {
    existing = fs.readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw new ConfigError('BAD_OPTION', `cannot use --dir ${dir} (${errnoCode(error) ?? 'error'})`, { file: dir });
  }
  if (existing.length > 0) throw new ConfigError('BAD_OPTION', `--dir ${dir} is not empty; new-sink only creates a new package: pass --dir with a new or empty directory`, { file: dir });

  const files = scaffoldFiles({
    name,
    packageName: `comfy-secrets-sink-${slug}`,
    prefix: name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^(\d)/, '_$1'),
    comfySecretsRange: `^${VERSION}`,
  });
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'wx', 0o644);
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  }
  return { dir, files: Object.keys(files) };
}

function describe({ dir, files }: { dir: string; files: string[] }): string {
  return [`created ${dir}`, ...files.map((file) => `  ${file}`), '', 'next:', `  cd ${dir} && npm install && npm test && npm run typecheck && npm run build`, `  comfy-secrets plan --plugin ${dir}`, ''].join('\n');
}
