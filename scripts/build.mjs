// Builds every workspace package with esbuild (one pass, about a second). Type checking is `pnpm typecheck`.
// Libraries keep their dependencies external; the CLI is one bundled file so a container start loads
// one module instead of resolving hundreds (see README "Performance").
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const common = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, logLevel: 'warning', tsconfig: join(root, 'tsconfig.json') };

const libraries = [
  ...['core', 'testing'].map((name) => join('packages', name)),
  ...['plugins', 'examples'].flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(group, name)) : [],
  ),
].filter((dir) => existsSync(join(root, dir, 'src', 'index.ts')));

const cli = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8'));

await Promise.all([
  ...libraries.map((dir) => {
    const entryPoints = { index: join(root, dir, 'src/index.ts') };
    if (existsSync(join(root, dir, 'src/contract.ts'))) entryPoints.contract = join(root, dir, 'src/contract.ts');
    // `@runtime-env/*` too: tsconfig paths would otherwise bundle core's source into every plugin (and
    // into the testing kit, which must share the one runner and error classes the CLI loads).
    return build({ ...common, entryPoints, outdir: join(root, dir, 'dist'), packages: 'external', external: ['@runtime-env/*'] });
  }),
  build({
    ...common,
    entryPoints: [join(root, 'packages/cli/src/entry.ts')],
    outfile: join(root, 'packages/cli/dist/runtime-env.js'),
    define: { __VERSION__: JSON.stringify(cli.version) },
  }),
]);
