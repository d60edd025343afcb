import type { LoadedSink, SecretSink } from '@comfy-secrets/core';
import { matchers, runSink } from '@comfy-secrets/testing';
import { sinksFromConfigNodes, withDeclarations } from '../src';

expect.extend(matchers);

const FILE = '/workspace/config_nodes.json';
const origin = {
  custom_nodes: [
    {
      name: 'emprops_comfy_nodes',
      url: 'https://example.invalid/emprops_comfy_nodes.git',
      commit: 'abc123',
      requirements: true,
      env: { AWS_ACCESS_KEY_ID: '${AWS_ACCESS_KEY_ID}', AWS_SECRET_ACCESS_KEY: '${AWS_SECRET_ACCESS_KEY}', AWS_DEFAULT_REGION: 'us-east-1' },
    },
    { name: 'ComfyUI-Impact-Pack', url: 'https://example.invalid/impact.git' },
    { name: 'eden_comfy_pipelines', url: 'https://example.invalid/eden.git', env: { OPENAI_API_KEY: '${OPENAI_API_KEY}', BASE: 'https://${API_HOST}:${API_PORT}/v1' } },
  ],
};
const parse = (document: unknown) => sinksFromConfigNodes(JSON.stringify(document), FILE);
const sinkFor = (name: string) => parse(origin).find((sink) => sink.nodes[0] === name)!;

describe('sinksFromConfigNodes', () => {
  test('one dotenv sink per node with an env map, named config-nodes:<name>', () => {
    expect(parse(origin).map((sink) => [sink.name, sink.nodes, sink.file])).toEqual([
      ['config-nodes:emprops_comfy_nodes', ['emprops_comfy_nodes'], '.env'],
      ['config-nodes:eden_comfy_pipelines', ['eden_comfy_pipelines'], '.env'],
    ]);
  });

  test.each([
    ['{"custom_nodes": [', /config_nodes\.json is not valid JSON/],
    ['[]', /must be an object with a "custom_nodes" array/],
    ['{"custom_nodes": [42]}', /custom_nodes\[0\] must be an object/],
    ['{"custom_nodes": [{"name": "../evil", "env": {}}]}', /custom_nodes\[0\] "name" must be the node's directory name/],
    ['{"custom_nodes": [{"name": "a/b"}]}', /custom_nodes\[0\] "name"/],
    ['{"custom_nodes": [{"name": "x", "env": []}]}', /custom_nodes\[0\] \(x\) "env" must be an object/],
    ['{"custom_nodes": [{"name": "x", "env": {"PORT": 8080}}]}', /custom_nodes\[0\] \(x\) env\.PORT must be a string/],
    ['{"custom_nodes": [{"name": "x"}, {"name": "x"}]}', /custom_nodes\[1\] \(x\) declares the same node as custom_nodes\[0\]/],
  ])('%s is a configuration error naming file and entry', (text, message) => {
    let caught: unknown;
    try {
      sinksFromConfigNodes(text, FILE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'CONFIG_NODES_INVALID', exitCode: 2, file: FILE });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message.startsWith(FILE)).toBe(true);
  });

  test('a variable named __proto__ is a variable like any other, not the object\'s prototype', () => {
    const [sink] = parse({ custom_nodes: [{ name: 'odd_node', env: JSON.parse('{"__proto__": "x", "B": "y"}') as Record<string, string> }] });
    expect(Object.keys(sink!.variables)).toEqual(['__proto__', 'B']);
  });

  test('bad JSON is reported by place, never by quoting the text (which may hold a literal secret)', () => {
    expect(() => sinksFromConfigNodes('{"custom_nodes": [{"name": "x", "env": {"K": sk_FAKE_literal}}]}', FILE)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sk_FAKE_literal') }),
    );
  });
});

describe('declared sinks through the runner', () => {
  const env = { AWS_ACCESS_KEY_ID: 'FAKEACCESSKEY0001', AWS_SECRET_ACCESS_KEY: 'fake/secret+0002', OPENAI_API_KEY: 'sk-FAKE-0003', API_HOST: 'api.example.invalid', API_PORT: '8443' };

  test('substitutes ${VAR} and writes literals as they are', () => {
    expect(runSink(sinkFor('emprops_comfy_nodes'), { env })).toHaveWritten('custom_nodes/emprops_comfy_nodes/.env', {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      AWS_DEFAULT_REGION: 'us-east-1',
    });
  });

  test('substitutes several references inside one value', () => {
    expect(runSink(sinkFor('eden_comfy_pipelines'), { env })).toHaveWritten('custom_nodes/eden_comfy_pipelines/.env', {
      OPENAI_API_KEY: env.OPENAI_API_KEY,
      BASE: 'https://api.example.invalid:8443/v1',
    });
  });

  test('an unset reference leaves the key out with a warning naming key and variable', () => {
    const { API_PORT, ...partial } = env;
    const run = runSink(sinkFor('eden_comfy_pipelines'), { env: partial });
    expect(run).toHaveWritten('custom_nodes/eden_comfy_pipelines/.env', { OPENAI_API_KEY: env.OPENAI_API_KEY });
    expect(run.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'config-nodes:eden_comfy_pipelines: BASE left out because API_PORT is not set' }));
  });

  test('under --strict an unset reference fails the sink', () => {
    const { API_PORT, ...partial } = env;
    expect(runSink(sinkFor('eden_comfy_pipelines'), { env: partial, strict: true })).toHaveFailedWith('BASE', 'MISSING_OPTIONAL');
  });

  test('a node that is not installed is skipped', () => {
    expect(runSink(sinkFor('eden_comfy_pipelines'), { env, nodes: [] })).toHaveBeenSkipped('not installed');
  });
});

describe('withDeclarations', () => {
  const code = (sink: SecretSink): LoadedSink => ({ sink, plugin: '@acme/sink' });

  test('a code sink for the same node directory wins; the declaration is reported as shadowed', () => {
    const emprops = code({ name: 'emprops_custom_nodes', nodes: ['emprops_custom_nodes', 'emprops_comfy_nodes'], variables: {} });
    const { sinks, shadowed } = withDeclarations([emprops], parse(origin), FILE);
    expect(sinks.map((loaded) => loaded.sink.name)).toEqual(['emprops_custom_nodes', 'config-nodes:eden_comfy_pipelines']);
    expect(shadowed).toEqual([{ name: 'config-nodes:emprops_comfy_nodes', node: 'emprops_comfy_nodes', by: 'emprops_custom_nodes', unwritten: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION'] }]);
  });

  test('a shadowed declaration names the keys the code sink does not write, and only those', () => {
    const emprops = code({ name: 'emprops_custom_nodes', nodes: ['emprops_comfy_nodes'], variables: { AWS_ACCESS_KEY_ID: {}, AWS_SECRET_ACCESS_KEY: {}, HF_TOKEN: {} } });
    expect(withDeclarations([emprops], parse(origin), FILE).shadowed).toEqual([{ name: 'config-nodes:emprops_comfy_nodes', node: 'emprops_comfy_nodes', by: 'emprops_custom_nodes', unwritten: ['AWS_DEFAULT_REGION'] }]);
    const whole = code({ ...emprops.sink, variables: { ...emprops.sink.variables, AWS_DEFAULT_REGION: {} } });
    expect(withDeclarations([whole], parse(origin), FILE).shadowed).toEqual([{ name: 'config-nodes:emprops_comfy_nodes', node: 'emprops_comfy_nodes', by: 'emprops_custom_nodes' }]);
  });

  test('1,000 declarations against 1,000 code sinks: each code sink shadows exactly its node', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({ name: `node_${i}`, url: 'https://example.invalid/x.git', env: { TOKEN: '${TOKEN}', REGION: 'eu' } }));
    const codeSinks = Array.from({ length: 1000 }, (_, i) => code({ name: `code_${i}`, nodes: [`node_${i * 2}`], variables: {} }));
    // How fast is the bench's business (`pnpm bench`, scale via config_nodes.json), not a timed test's.
    const declared = sinksFromConfigNodes(JSON.stringify({ custom_nodes: nodes }), FILE);
    const { sinks, shadowed } = withDeclarations(codeSinks, declared, FILE);
    expect(shadowed.map((entry) => entry.node)).toEqual(Array.from({ length: 500 }, (_, i) => `node_${i * 2}`));
    expect(sinks).toHaveLength(1500);
  });
});
