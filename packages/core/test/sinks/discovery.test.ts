import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ConfigError } from '../../src/errors';
import { checkSinks, discoverSinks, findProjectDir, sinkSummary } from '../../src/sinks/discovery';
import { realFileSystem as fs } from '../../src/fs';
import { testdir, thrown } from '../helpers';

const fixtures = path.join(__dirname, '..', 'fixtures');
const projectDir = path.join(fixtures, 'project');

const discoverProject = () => discoverSinks({ fs, cwd: projectDir, projectDir });
const sinkNames = (loaded: ReturnType<typeof discoverSinks>) => loaded.map((entry) => entry.sink.name);

/** A project in a temp dir whose dependencies are the given packages, each `{ file: contents }`. */
function project(packages: Record<string, Record<string, string>>): string {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ dependencies: { '@comfy-secrets/cli': '0.1.0', ...Object.fromEntries(Object.keys(packages).map((name) => [name, '1.0.0'])) } }),
  };
  for (const [name, contents] of Object.entries(packages)) {
    for (const [file, text] of Object.entries(contents)) files[`node_modules/${name}/${file}`] = text;
  }
  return testdir(files);
}

/** Runs discovery on `dir` in a plain Node child process (real `require`) and returns the error message. */
function discoveryMessageInNode(dir: string): string {
  const [bundle] = buildSync({ entryPoints: [path.join(__dirname, '..', '..', 'src', 'sinks', 'discovery.ts')], bundle: true, platform: 'node', format: 'cjs', write: false }).outputFiles;
  const script = `const { discoverSinks } = require(process.argv[1]);
try { discoverSinks({ fs: require('node:fs'), cwd: process.argv[2], projectDir: process.argv[2] }); process.stdout.write('no error'); }
catch (error) { process.stdout.write(error.message); }`;
  const file = path.join(testdir({ 'discovery.js': bundle!.text }), 'discovery.js');
  return execFileSync(process.execPath, ['-e', script, file, dir], { encoding: 'utf8' });
}

const marked = (name: string, sink = './index.js') => JSON.stringify({ name, version: '1.0.0', comfySecrets: { sink } });
const sinkModule = (name: string) => `module.exports = { name: ${JSON.stringify(name)}, nodes: ['node'], variables: { HF_TOKEN: {} } };`;

describe('discoverSinks in the committed fixture project', () => {
  it('finds a marked dependency, with its package name and version', () => {
    expect(discoverProject()).toContainEqual({ sink: expect.objectContaining({ name: 'marked' }), plugin: '@fixture/sink-marked', version: '1.0.0' });
  });

  it('finds exactly the marked dependencies, in dependency-name order', () => {
    expect(discoverProject().map((entry) => `${entry.plugin}:${entry.sink.name}`)).toEqual([
      '@fixture/sink-marked:marked',
      'sink-array:array-one',
      'sink-array:array-two',
      'sink-custom-entry:custom-entry',
      'sink-default-export:default-export',
      'sink-dev-dependency:dev-dependency',
    ]);
  });

  it('ignores an unmarked dependency without loading it', () => {
    // plain-dependency's index.js throws when loaded, so finding no problem proves it was not loaded.
    expect(discoverProject().map((entry) => entry.plugin)).not.toContain('plain-dependency');
  });

  it('ignores a marked package in node_modules that the project does not depend on', () => {
    expect(sinkNames(discoverProject())).not.toContain('not-declared');
  });

  it('loads the module named by comfySecrets.sink rather than main', () => {
    expect(discoverProject().find((entry) => entry.plugin === 'sink-custom-entry')).toEqual({
      sink: { name: 'custom-entry', nodes: ['custom_entry_node'], variables: { OPENAI_API_KEY: {} } },
      plugin: 'sink-custom-entry',
      version: '2.3.4',
    });
  });

  it('unwraps a default export', () => {
    expect(discoverProject().find((entry) => entry.plugin === 'sink-default-export')?.sink).toEqual({
      name: 'default-export',
      nodes: ['default_export_node'],
      variables: { CIVITAI_TOKEN: {} },
    });
  });

  it('loads every sink of an array export', () => {
    expect(sinkNames(discoverProject().filter((entry) => entry.plugin === 'sink-array'))).toEqual(['array-one', 'array-two']);
  });

  it('finds nothing without a project or --plugin', () => {
    expect(discoverSinks({ fs, cwd: projectDir })).toEqual([]);
  });
});

describe('discoverSinks with --plugin', () => {
  it('loads a package directory, even without the marker', () => {
    expect(discoverSinks({ fs, cwd: fixtures, plugins: ['plugins/dir-plugin'] })).toEqual([
      { sink: expect.objectContaining({ name: 'dir-plugin' }), plugin: 'plugins/dir-plugin', version: '0.0.1' },
    ]);
  });

  it('loads a module file, unwrapping its default export', () => {
    const file = path.join(fixtures, 'plugins', 'file-plugin.js');
    expect(discoverSinks({ fs, cwd: '/', plugins: [file] })).toEqual([{ sink: expect.objectContaining({ name: 'file-plugin' }), plugin: file, version: undefined }]);
  });

  it('adds --plugin sinks to the project ones', () => {
    expect(sinkNames(discoverSinks({ fs, cwd: fixtures, projectDir, plugins: ['plugins/dir-plugin'] }))).toContain('dir-plugin');
  });

  it('fails PLUGIN_NOT_FOUND for a path that does not exist', () => {
    const cwd = testdir();
    const error = thrown(() => discoverSinks({ fs, cwd, plugins: ['missing-plugin'] }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`--plugin ${cwd}/missing-plugin does not exist`);
  });
});

describe('discoverSinks problems', () => {
  it('fails PLUGIN_INVALID naming the package of an invalid sink, with its problems', () => {
    const dir = project({ 'sink-broken': { 'package.json': marked('sink-broken'), 'index.js': "module.exports = { name: 'broken', nodes: [] };" } });
    const error = thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'PLUGIN_INVALID' });
    expect(error.message).toBe(
      "Plugin sink-broken is not a valid sink: 'nodes' is empty, so the sink serves no custom node: give 'relativeTo' another root (comfyui, home, xdg-config, hf-home or hf-token); 'variables' must be an object of output keys",
    );
  });

  it('fails naming the package whose module throws on load', () => {
    const dir = project({ 'sink-throws': { 'package.json': marked('sink-throws'), 'index.js': "throw new Error('no GPU found');" } });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe('Plugin sink-throws: its module failed to load: no GPU found');
  });

  it('says a marked package whose module is missing is probably not built', () => {
    const dir = project({ 'sink-unbuilt': { 'package.json': marked('sink-unbuilt', './dist/index.js') } });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe(`Plugin sink-unbuilt: its module ${dir}/node_modules/sink-unbuilt/dist/index.js is missing (is it built?)`);
  });

  it('names the missing module when a plugin requires a package that is not installed', () => {
    const dir = project({ 'sink-needs-dep': { 'package.json': marked('sink-needs-dep'), 'index.js': "require('a-package-that-is-not-installed');" } });
    // In plain Node: jest's own require crashes the worker on this case.
    const message = discoveryMessageInNode(dir);
    expect(message).toContain('Plugin sink-needs-dep');
    expect(message).toContain('a-package-that-is-not-installed');
    expect(message).not.toContain('is it built?');
  });

  it("resolves a plugin module's own relative requires from its own directory", () => {
    const dir = project({
      'sink-a': { 'package.json': marked('sink-a'), 'index.js': "module.exports = require('./sink.js');", 'sink.js': sinkModule('a') },
      'sink-b': { 'package.json': marked('sink-b'), 'index.js': "module.exports = require('./sink.js');", 'sink.js': sinkModule('b') },
    });
    expect(sinkNames(discoverSinks({ fs, cwd: dir, projectDir: dir }))).toEqual(['a', 'b']);
  });

  it('fails for a package that exports an empty array', () => {
    const dir = project({ 'sink-empty': { 'package.json': marked('sink-empty'), 'index.js': 'module.exports = [];' } });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe('Plugin sink-empty exports no sink');
  });

  it('fails for a dependency whose package.json is not JSON', () => {
    const dir = project({ 'sink-bad-json': { 'package.json': '{ "comfySecrets": ' } });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe(`${dir}/node_modules/sink-bad-json/package.json is not valid JSON`);
  });

  it('fails naming both packages when two sinks share a name', () => {
    const dir = project({
      'sink-one': { 'package.json': marked('sink-one'), 'index.js': sinkModule('shared') },
      'sink-two': { 'package.json': marked('sink-two'), 'index.js': sinkModule('shared') },
    });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe("Two sinks are named 'shared': one in sink-one, one in sink-two");
  });

  it('reports every problem together', () => {
    const dir = project({
      'sink-broken': { 'package.json': marked('sink-broken'), 'index.js': "module.exports = { name: 'broken', nodes: ['n'] };" },
      'sink-one': { 'package.json': marked('sink-one'), 'index.js': sinkModule('shared') },
      'sink-throws': { 'package.json': marked('sink-throws'), 'index.js': "throw new Error('no GPU found');" },
      'sink-two': { 'package.json': marked('sink-two'), 'index.js': sinkModule('shared') },
    });
    const error = thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir }));
    expect(error).toMatchObject({ code: 'PLUGIN_INVALID' });
    expect(error.message).toBe(
      [
        '3 plugin problems:',
        "- Plugin sink-broken is not a valid sink: 'variables' must be an object of output keys",
        '- Plugin sink-throws: its module failed to load: no GPU found',
        "- Two sinks are named 'shared': one in sink-one, one in sink-two",
      ].join('\n'),
    );
  });
});

describe('discoverSinks with bundled sinks (the single executable)', () => {
  const bundledSink = { name: 'built_in', nodes: ['node'], variables: { HF_TOKEN: {} } };
  const bundled = [{ sink: bundledSink, plugin: '@comfy-secrets/sink-built-in', version: '0.1.0' }];

  it('puts them first, with their package name and version, before the project\'s and --plugin ones', () => {
    const dir = project({ dep: { 'package.json': marked('dep'), 'index.js': sinkModule('from_dep') } });
    const loaded = discoverSinks({ fs, cwd: dir, projectDir: dir, bundled });
    expect(loaded.map(({ sink, plugin, version }) => [sink.name, plugin, version])).toEqual([
      ['built_in', '@comfy-secrets/sink-built-in', '0.1.0'],
      ['from_dep', 'dep', '1.0.0'],
    ]);
  });

  it('refuses a plugin whose sink has a bundled sink\'s name (DUPLICATE_SINK), naming both', () => {
    const dir = project({ dup: { 'package.json': marked('dup'), 'index.js': sinkModule('built_in') } });
    const error = thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir, bundled }));
    expect(error).toMatchObject({ code: 'DUPLICATE_SINK', sink: 'built_in' });
    expect(error.message).toBe("Two sinks are named 'built_in': one in @comfy-secrets/sink-built-in, one in dup");
  });

  it('checks them like loaded ones: an invalid one is PLUGIN_INVALID naming its package', () => {
    expect(thrown(() => discoverSinks({ fs, cwd: fixtures, bundled: [{ sink: { name: 'x' }, plugin: '@comfy-secrets/sink-broken' }] }))).toMatchObject({
      code: 'PLUGIN_INVALID',
      plugin: '@comfy-secrets/sink-broken',
    });
  });
});

describe('checkSinks', () => {
  it('returns sinks given directly, attributed to the caller', () => {
    const sink = { name: 'direct', nodes: ['n'], variables: {} };
    expect(checkSinks([sink], 'my test')).toEqual([{ sink, plugin: 'my test' }]);
  });

  it('refuses an invalid sink with the same error as discovery', () => {
    expect(thrown(() => checkSinks([{ name: 'x' }], 'my test'))).toMatchObject({ code: 'PLUGIN_INVALID', plugin: 'my test' });
  });
});

describe('findProjectDir', () => {
  const cliDependent = JSON.stringify({ name: 'image', dependencies: { '@comfy-secrets/cli': '0.1.0' } });

  it('finds the directory itself when its package.json depends on the CLI', () => {
    const dir = testdir({ 'package.json': cliDependent });
    expect(findProjectDir(fs, dir)).toBe(dir);
  });

  it('walks up past package.json files that do not depend on the CLI', () => {
    const dir = testdir({
      'package.json': cliDependent,
      'node_modules/@comfy-secrets/cli/package.json': JSON.stringify({ name: '@comfy-secrets/cli', dependencies: { '@comfy-secrets/core': '0.1.0' } }),
    });
    expect(findProjectDir(fs, path.join(dir, 'node_modules', '@comfy-secrets', 'cli'))).toBe(dir);
  });

  it('counts a devDependency on the CLI', () => {
    const dir = testdir({ 'package.json': JSON.stringify({ devDependencies: { '@comfy-secrets/cli': '0.1.0' } }), 'deep/er/': '' });
    expect(findProjectDir(fs, path.join(dir, 'deep', 'er'))).toBe(dir);
  });

  it('returns undefined when no package.json above depends on the CLI', () => {
    const dir = testdir({ 'package.json': JSON.stringify({ dependencies: { other: '1.0.0' } }) });
    expect(findProjectDir(fs, dir)).toBeUndefined();
  });

  it('finds the committed fixture project from one of its packages', () => {
    expect(findProjectDir(fs, path.join(projectDir, 'node_modules', 'sink-array'))).toBe(projectDir);
  });
});

describe('discoverSinks with applies (a run on one tree): packages whose nodes are absent stay unloaded', () => {
  const summary = (name: string, nodes = ['node']) => ({ name, nodes });
  const summarised = (name: string, sinks: unknown[]) => JSON.stringify({ name, version: '1.0.0', comfySecrets: { sink: './index.js', sinks } });
  const none = () => false;

  it('does not load a package none of whose sinks applies: a module that throws is not even run', () => {
    const dir = project({ 'sink-throws': { 'package.json': summarised('sink-throws', [summary('absent')]), 'index.js': "throw new Error('no GPU found');" } });
    const [loaded] = discoverSinks({ fs, cwd: dir, projectDir: dir, applies: none });
    expect(loaded).toMatchObject({ plugin: 'sink-throws', version: '1.0.0' });
    expect(loaded!.sink.name).toBe('absent');
    expect(loaded!.sink.nodes).toEqual(['node']);
    expect(loaded!.sink.installedElsewhere).toBeUndefined();
    expect(loaded!.sink.order).toBeUndefined();
    // Anything the marker does not hold loads the module, with discovery's error.
    expect(thrown(() => loaded!.sink.variables)).toMatchObject({ code: 'PLUGIN_LOAD_FAILED', message: 'Plugin sink-throws: its module failed to load: no GPU found' });
  });

  it('without applies (list, check) loads and checks every package, as before', () => {
    const dir = project({ 'sink-throws': { 'package.json': summarised('sink-throws', [summary('absent')]), 'index.js': "throw new Error('no GPU found');" } });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir })).message).toBe('Plugin sink-throws: its module failed to load: no GPU found');
  });

  it('loads and checks at discovery a package one of whose sinks applies', () => {
    const dir = project({ 'sink-broken': { 'package.json': summarised('sink-broken', [summary('broken')]), 'index.js': "module.exports = { name: 'broken', nodes: ['node'] };" } });
    const error = thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir, applies: (entry) => entry.name === 'broken' }));
    expect(error.message).toBe("Plugin sink-broken is not a valid sink: 'variables' must be an object of output keys");
  });

  it('a stand-in answers from the loaded sink once asked for more', () => {
    const dir = project({ 'sink-a': { 'package.json': summarised('sink-a', [summary('a')]), 'index.js': sinkModule('a') } });
    const [loaded] = discoverSinks({ fs, cwd: dir, projectDir: dir, applies: none });
    expect(loaded!.sink.variables).toEqual({ HF_TOKEN: {} });
  });

  it('refuses a stand-in whose marker does not match the sink its module exports', () => {
    const dir = project({ 'sink-a': { 'package.json': summarised('sink-a', [summary('a', ['other'])]), 'index.js': sinkModule('a') } });
    const [loaded] = discoverSinks({ fs, cwd: dir, projectDir: dir, applies: none });
    expect(thrown(() => loaded!.sink.format)).toMatchObject({ code: 'PLUGIN_INVALID', message: "Plugin sink-a: its package.json comfySecrets.sinks does not match the sink 'a' its module exports" });
  });

  it('still finds two sinks of one name when neither package is loaded', () => {
    const dir = project({
      'sink-one': { 'package.json': summarised('sink-one', [summary('shared')]), 'index.js': sinkModule('shared') },
      'sink-two': { 'package.json': summarised('sink-two', [summary('shared')]), 'index.js': sinkModule('shared') },
    });
    expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir, applies: none })).message).toBe("Two sinks are named 'shared': one in sink-one, one in sink-two");
  });

  it('fails PLUGIN_INVALID for a marker whose sinks field is not a list of summaries', () => {
    for (const sinks of [[], [{ name: 'a', nodes: ['../up'] }], [{ name: 'a', nodes: [] }], [{ name: 'a', nodes: [], present: { path: 'x', relativeTo: 'node' } }], 'a']) {
      const dir = project({ 'sink-a': { 'package.json': summarised('sink-a', sinks as unknown[]), 'index.js': sinkModule('a') } });
      expect(thrown(() => discoverSinks({ fs, cwd: dir, projectDir: dir, applies: none }))).toMatchObject({ code: 'PLUGIN_INVALID', message: `${dir}/node_modules/sink-a/package.json: comfySecrets.sinks must list { name, nodes, present?, order?, dependencies? } for each sink` });
    }
  });
});

describe('sinkSummary', () => {
  it('holds what the runner decides a skip by, and is undefined when that needs the sink itself', () => {
    const base = { name: 'a', nodes: ['n'], variables: {} };
    expect(sinkSummary({ ...base, order: 'pre', dependencies: ['b'], file: 'x.env' })).toEqual({ name: 'a', nodes: ['n'], order: 'pre', dependencies: ['b'] });
    expect(sinkSummary({ ...base, nodes: [], relativeTo: 'home', present: { path: '.x', relativeTo: 'home' } })).toEqual({ name: 'a', nodes: [], present: { path: '.x', relativeTo: 'home' } });
    expect(sinkSummary({ ...base, installedElsewhere: () => undefined })).toBeUndefined();
    expect(sinkSummary({ ...base, whenNotInstalled: 'fail-when-set' })).toBeUndefined();
    expect(sinkSummary({ ...base, nodes: [], relativeTo: 'home' })).toBeUndefined();
  });
});
