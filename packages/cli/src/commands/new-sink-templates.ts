/**
 * The files `comfy-secrets new-sink` writes. Each one is complete as generated: against the published
 * packages it installs, type-checks, builds, its test passes, and `comfy-secrets list --plugin <dir>`
 * loads it, before its author changes a line (test/install/registry.test.ts proves it from a registry).
 */
export interface SinkScaffold {
  /** Sink name, also the custom node directory it serves. */
  name: string;
  /** npm package name. */
  packageName: string;
  /** Prefix of the example variables, e.g. `MY_NODE`. */
  prefix: string;
  /** Version range of the comfy-secrets packages to depend on. */
  comfySecretsRange: string;
}

export function scaffoldFiles(s: SinkScaffold): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name: s.packageName,
        version: '0.1.0',
        description: `comfy-secrets sink: writes the .env of the ${s.name} ComfyUI custom node.`,
        license: 'MIT',
        // No `types`: the CLI loads the JavaScript; nothing imports a sink's declarations.
        main: './dist/index.js',
        files: ['dist'],
        engines: { node: '>=20.19' },
        comfySecrets: { sink: './dist/index.js' },
        scripts: {
          build: 'esbuild src/index.ts --bundle --platform=node --target=node20 --format=cjs --packages=external --outfile=dist/index.js',
          test: 'jest',
          typecheck: 'tsc --noEmit',
        },
        peerDependencies: { '@comfy-secrets/core': s.comfySecretsRange },
        devDependencies: {
          '@comfy-secrets/core': s.comfySecretsRange,
          '@comfy-secrets/testing': s.comfySecretsRange,
          '@swc/core': '^1.16.22',
          '@swc/jest': '^0.2.39',
          '@types/jest': '30',
          '@types/node': '20',
          esbuild: '^0.28.2',
          jest: '30',
          typescript: '5.9.3',
        },
      },
      null,
      2,
    )}\n`,

    'src/index.ts': `import { defineSink } from '@comfy-secrets/core/contract';

/**
 * ${s.name} reads its settings from custom_nodes/${s.name}/.env with python-dotenv.
 * Every key below is a line of that file; comfy-secrets fills it from the container's environment
 * (or ${s.prefix}_API_KEY_ENCODED, ${s.prefix}_API_KEY_FILE, --secrets-dir) at start.
 */
export default defineSink({
  name: '${s.name}',
  nodes: ['${s.name}'],
  file: '.env',
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  header: ['Written by comfy-secrets at container start; changes here are overwritten'],
  variables: {
    ${s.prefix}_API_KEY: { required: true },
    ${s.prefix}_REGION: { secret: false, default: 'eu-west-1' },
  },
});
`,

    'test/index.test.ts': `import { matchers, runSink } from '@comfy-secrets/testing';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/${s.name}/.env';

test('writes the API key and the default region', () => {
  const run = runSink(sink, { env: { ${s.prefix}_API_KEY: 'FAKE_key_for_tests' } });
  expect(run).toHaveWritten(FILE, { ${s.prefix}_API_KEY: 'FAKE_key_for_tests', ${s.prefix}_REGION: 'eu-west-1' });
});

test('fails without the API key, naming it', () => {
  expect(runSink(sink, { env: {} })).toHaveFailedWith('${s.prefix}_API_KEY');
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { ${s.prefix}_API_KEY: 'FAKE_key_for_tests' }, nodes: [] })).toHaveBeenSkipped();
});
`,

    'jest.config.js': `/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
};
`,

    'tsconfig.json': `${JSON.stringify(
      {
        // node16 for both: the only resolution that reads the `exports` of @comfy-secrets/core (its
        // `./contract` entry); TypeScript refuses node16 resolution with any other module setting (TS5110).
        compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node', 'jest'] },
        include: ['src', 'test'],
      },
      null,
      2,
    )}\n`,

    '.gitignore': 'node_modules/\ndist/\n',

    'README.md': `# ${s.packageName}

A [comfy-secrets](https://www.npmjs.com/package/@comfy-secrets/cli) sink: at container start it writes
\`custom_nodes/${s.name}/.env\` from the container's environment, so no secret is baked into the image.

| variable | required | written as |
|---|---|---|
| \`${s.prefix}_API_KEY\` | yes | \`${s.prefix}_API_KEY\` |
| \`${s.prefix}_REGION\` | no (default \`eu-west-1\`) | \`${s.prefix}_REGION\` |

## Develop

\`\`\`sh
npm install
npm test           # runs the sink through the real comfy-secrets runner on a temporary ComfyUI tree
npm run typecheck  # tsc against the published declarations of @comfy-secrets/core and /testing
npm run build      # dist/index.js, the module comfy-secrets loads
\`\`\`

Edit \`src/index.ts\`: the keys of \`variables\` are the lines of the file. The whole contract (fallback
names, base64, conditional requirements, allowed values, other formats) is documented in
\`@comfy-secrets/core/contract\`.

## Use

Add this package to the dependencies of the image's project that installs \`@comfy-secrets/cli\`, then
\`comfy-secrets list\` shows it and \`comfy-secrets run\` writes its file. To try it before publishing:
\`comfy-secrets plan --plugin ./path/to/this/package\`.
`,
  };
}
