import { defineSink } from '../../src/contract';
import { checkSinks } from '../../src/sinks/discovery';
import { isSink, sinkProblems } from '../../src/sinks/validate';
import { thrown } from '../helpers';

const valid = { name: 'emprops_custom_nodes', nodes: ['emprops_custom_nodes'], variables: { HF_TOKEN: {} } };

/** The problems of the valid sink with `patch` applied. */
const problemsWith = (patch: Record<string, unknown>) => sinkProblems({ ...valid, ...patch });
const variableProblems = (spec: unknown) => sinkProblems({ ...valid, variables: { KEY: spec } });

describe('sinkProblems', () => {
  it('finds nothing wrong with a minimal sink', () => {
    expect(sinkProblems(valid)).toEqual([]);
    expect(isSink(valid)).toBe(true);
  });

  it('finds nothing wrong with a sink that uses every field', () => {
    const full = defineSink({
      name: '@scope/pkg.sink-1',
      nodes: ['a', 'b'],
      file: () => ({ path: 'config.json' }),
      relativeTo: 'comfyui',
      format: { type: 'dotenv', readers: ['python-dotenv', 'node-dotenv', 'bash', 'docker'] },
      header: ['written by comfy-secrets'],
      order: 'post',
      dependencies: ['other'],
      variables: {
        KEY: { from: ['A', 'B'], decode: 'base64', required: { when: { MODE: ['x', 'y'] } }, default: 'd', secret: false, allowed: ['d'], transform: (v) => v },
        MODE: { required: true },
      },
    });
    expect(sinkProblems(full)).toEqual([]);
  });

  it.each([null, undefined, 'emprops', 42, [valid], () => valid])('refuses %p as a sink', (candidate) => {
    expect(sinkProblems(candidate)).toEqual([expect.stringMatching(/^expected a sink object, got /)]);
    expect(isSink(candidate)).toBe(false);
  });

  it.each(['', 'has space', '-leading-dash', '../up', 'semi;colon'])('refuses the name %p', (name) => {
    expect(problemsWith({ name })).toEqual([expect.stringMatching(/^'name' must be a non-empty name/)]);
  });

  it('says what it got for a name that is not a string', () => {
    expect(problemsWith({ name: 7 })).toEqual([expect.stringMatching(/^'name' must be a non-empty name of .* \(got number\)$/)]);
  });

  it.each([[['ok', '']], [['a/b']], [['..']], [['a\\b']], ['emprops'], [[1]]])('refuses nodes %p', (nodes) => {
    expect(problemsWith({ nodes })).toEqual(["'nodes' must list custom node directory names (no path separators)"]);
  });

  it('takes no nodes only with a file outside the node directory', () => {
    expect(problemsWith({ nodes: [] })).toEqual([expect.stringContaining("'nodes' is empty")]);
    expect(problemsWith({ nodes: [], relativeTo: 'home', present: { path: '.config/x', relativeTo: 'home' } })).toEqual([]);
    expect(problemsWith({ nodes: [], relativeTo: 'home', present: { path: 'x', relativeTo: 'node' } })).toEqual(["'present' must be { path, relativeTo } with a root other than node"]);
  });

  it.each([
    ['file', 42, "'file' must be a path or a function"],
    ['relativeTo', 'root', "'relativeTo' must be one of node, comfyui, user, home, xdg-config, hf-home, hf-token"],
    ['header', 'one line', "'header' must be an array of strings"],
    ['header', [1], "'header' must be an array of strings"],
    ['order', 'first', "'order' must be one of pre, normal, post"],
    ['dependencies', 'other', "'dependencies' must be an array of sink names"],
    ['format', 'toml', "'format' must be 'dotenv', 'ini', 'json', 'yaml', 'text' or an object with a 'type'"],
    ['format', { type: 'toml' }, "'format.type' must be 'dotenv', 'ini', 'json', 'yaml', 'text' or 'lines'"],
    ['format', { type: 'dotenv', readers: [] }, "'format.readers' must list readers among python-dotenv, node-dotenv, bash, docker"],
    ['format', { type: 'dotenv', readers: ['ruby-dotenv'] }, "'format.readers' must list readers among python-dotenv, node-dotenv, bash, docker"],
    ['format', { type: 'ini', section: 1 }, "'format.section' must be a string"],
    ['format', { type: 'ini', section: '' }, "'format.section' must be a section name of one line (not empty, no line break)"],
    ['format', { type: 'ini', section: 'a\nb' }, "'format.section' must be a section name of one line (not empty, no line break)"],
    ['format', { type: 'ini', section: 'a\rb' }, "'format.section' must be a section name of one line (not empty, no line break)"],
    ['format', { type: 'ini', section: '\ud800' }, "'format.section' must be a section name of one line (not empty, no line break)"],
    ['header', ['fine', 'a\nB=1'], "'header' line 2 holds a line break or NUL; each header line must be a single line"],
    ['header', ['a\rb'], "'header' line 1 holds a line break or NUL; each header line must be a single line"],
    ['header', ['a\u2028b'], "'header' line 1 holds a line break or NUL; each header line must be a single line"],
    ['header', ['a\u2029b'], "'header' line 1 holds a line break or NUL; each header line must be a single line"],
    ['header', ['a\0b'], "'header' line 1 holds a line break or NUL; each header line must be a single line"],
    ['format', { type: 'json', merge: 'yes' }, "'format.merge' must be a boolean"],
    ['variables', undefined, "'variables' must be an object of output keys"],
    ['variables', ['HF_TOKEN'], "'variables' must be an object of output keys"],
  ])('refuses %s: %p', (field, value, problem) => {
    expect(problemsWith({ [field]: value })).toEqual([problem]);
  });

  it.each([
    [null, 'variable KEY must be an object (use {} for the defaults)'],
    ['required', 'variable KEY must be an object (use {} for the defaults)'],
    [{ from: [] }, "variable KEY: 'from' must be a non-empty array of variable names"],
    [{ from: 'HF_TOKEN' }, "variable KEY: 'from' must be a non-empty array of variable names"],
    [{ decode: 'hex' }, "variable KEY: 'decode' can only be 'base64'"],
    [{ default: 11434 }, "variable KEY: 'default' must be a string"],
    [{ secret: 'no' }, "variable KEY: 'secret' must be a boolean"],
    [{ allowed: 'aws' }, "variable KEY: 'allowed' must be an array of strings"],
    [{ transform: 'trim' }, "variable KEY: 'transform' must be a function"],
    [{ required: 'yes' }, "variable KEY: 'required' must be a boolean or { when: { KEY: value } }"],
    [{ required: { if: {} } }, "variable KEY: 'required' must be a boolean or { when: { KEY: value } }"],
  ])('refuses the variable spec %p', (spec, problem) => {
    expect(variableProblems(spec)).toEqual([problem]);
  });

  it('refuses required: { when: null }', () => {
    expect(variableProblems({ required: { when: null } })).toEqual(["variable KEY: 'required' must be a boolean or { when: { KEY: value } }"]);
  });

  it('refuses a when value that is neither a string nor a list of strings', () => {
    expect(variableProblems({ required: { when: { MODE: 1 } } })).toEqual(["variable KEY: 'required' must be a boolean or { when: { KEY: value } }"]);
  });

  it('lets discovery refuse a sink whose format or header only its rendering would have refused', () => {
    const broken = { ...valid, format: { type: 'ini', section: '' }, header: ['a\nB=1'] };
    expect(thrown(() => checkSinks([broken], 'test-plugin'))).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'test-plugin' });
  });

  it('reports every problem at once', () => {
    expect(sinkProblems({ name: '', nodes: [], order: 'first', variables: { A: { decode: 'hex' }, B: null } })).toEqual([
      expect.stringMatching(/^'name' must be a non-empty name of .* \(got a string\)$/),
      "'nodes' is empty, so the sink serves no custom node: give 'relativeTo' another root (comfyui, home, xdg-config, hf-home or hf-token)",
      "'order' must be one of pre, normal, post",
      "variable A: 'decode' can only be 'base64'",
      'variable B must be an object (use {} for the defaults)',
    ]);
  });
});

describe('defineSink types', () => {
  it('rejects a sink without nodes at compile time, and at run time', () => {
    // @ts-expect-error nodes is required
    const sink = defineSink({ name: 'x', variables: {} });
    expect(sinkProblems(sink)).toEqual(["'nodes' must list custom node directory names (no path separators)"]);
  });

  it('rejects an unknown tier at compile time, and at run time', () => {
    // @ts-expect-error 'first' is not a Tier
    const sink = defineSink({ ...valid, order: 'first' });
    expect(sinkProblems(sink)).toEqual(["'order' must be one of pre, normal, post"]);
  });

  it('rejects an unknown decode at compile time, and at run time', () => {
    // @ts-expect-error only 'base64' can be decoded
    const sink = defineSink({ ...valid, variables: { KEY: { decode: 'hex' } } });
    expect(sinkProblems(sink)).toEqual(["variable KEY: 'decode' can only be 'base64'"]);
  });

  it('rejects a numeric default at compile time, and at run time', () => {
    // @ts-expect-error defaults are strings
    const sink = defineSink({ ...valid, variables: { PORT: { default: 11434 } } });
    expect(sinkProblems(sink)).toEqual(["variable PORT: 'default' must be a string"]);
  });

  it('rejects an unknown reader at compile time, and at run time', () => {
    // @ts-expect-error 'ruby-dotenv' is not a DotenvReader
    const sink = defineSink({ ...valid, format: { type: 'dotenv', readers: ['ruby-dotenv'] } });
    expect(sinkProblems(sink)).toHaveLength(1);
  });

  it('rejects a file function that returns a bare string at compile time', () => {
    // @ts-expect-error file() returns a TargetChoice, not a string
    const sink = defineSink({ ...valid, file: () => '.env' });
    expect(typeof sink.file).toBe('function');
  });

  it('keeps literal types for inference', () => {
    const sink = defineSink({ ...valid, order: 'pre' });
    const tier: 'pre' = sink.order;
    expect(tier).toBe('pre');
  });
});
