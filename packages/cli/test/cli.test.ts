import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cliPath, runCli, tempTree } from '../../../test/helpers/cli';
import { pythonDotenvValues } from '../../../test/helpers/real-readers';

const EMPROPS = 'custom_nodes/emprops_comfy_nodes';
// Canaries: obviously fake, distinct, long enough that any leak of them is unmistakable.
const canary = {
  HF_TOKEN: 'hf_FAKECANARY_hf_token_0001',
  AWS_ACCESS_KEY_ID: 'FAKECANARYACCESSKEY02',
  // Shaped like a real key (40 characters of the base64 alphabet), so its base64 form reads one way only.
  AWS_SECRET_ACCESS_KEY: 'FAKE/canary+aws/secret+0003/for/tests/00',
  AZURE_STORAGE_KEY: 'fake-canary-azure-key-0004==',
};
const encoded = Buffer.from(canary.AWS_SECRET_ACCESS_KEY).toString('base64');
const platform = {
  CLOUD_PROVIDER: 'aws',
  AWS_ACCESS_KEY_ID: canary.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY_ENCODED: encoded,
  AWS_DEFAULT_REGION: 'us-east-1',
  HF_TOKEN: canary.HF_TOKEN,
};

function expectNoCanary(text: string): void {
  for (const value of [...Object.values(canary), encoded]) expect(text).not.toContain(value);
}

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ [`${EMPROPS}/__init__.py`]: '', 'custom_nodes/other_node/__init__.py': '' });
});
afterEach(() => tree.cleanup());

describe('comfy-secrets run', () => {
  test('writes the emprops .env that python-dotenv reads back value for value, mode 0600, with the header', () => {
    const result = runCli(['run', '--comfyui-dir', tree.dir], { env: platform });

    expect(result.status).toBe(0);
    const file = path.join(tree.dir, EMPROPS, '.env');
    expect(pythonDotenvValues(file)).toEqual({
      CLOUD_PROVIDER: 'aws',
      AWS_ACCESS_KEY_ID: canary.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: canary.AWS_SECRET_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY_ENCODED: canary.AWS_SECRET_ACCESS_KEY.replaceAll('/', '_SLASH_'),
      AWS_DEFAULT_REGION: 'us-east-1',
      HF_TOKEN: canary.HF_TOKEN,
    });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Runtime environment variables created by comfy-secrets\n# Generated at: \d{4}-\d\d-\d\dT[\d:.]+Z\n/);
    expectNoCanary(result.stdout + result.stderr);
  });

  test('leaves an unset optional variable out of the file instead of writing KEY=', () => {
    runCli(['run', '--comfyui-dir', tree.dir], { env: platform });

    const text = fs.readFileSync(path.join(tree.dir, EMPROPS, '.env'), 'utf8');
    expect(text).not.toContain('CIVITAI_TOKEN');
    expect(text).not.toMatch(/=\s*$/m);
  });

  test('a second run with the same values reports unchanged and keeps the file', () => {
    runCli(['run', '--comfyui-dir', tree.dir], { env: platform });
    const file = path.join(tree.dir, EMPROPS, '.env');
    const before = fs.statSync(file).mtimeMs;

    const second = runCli(['run', '--comfyui-dir', tree.dir, '--json'], { env: platform });

    const sinks = JSON.parse(second.stdout).sinks as Array<{ name: string; status: string }>;
    expect(sinks.find((sink) => sink.name === 'emprops_custom_nodes')?.status).toBe('unchanged');
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });

  test('CLOUD_PROVIDER=azure without AZURE_STORAGE_KEY exits 1 naming it and writes nothing for the sink', () => {
    const result = runCli(['run', '--comfyui-dir', tree.dir], {
      env: { CLOUD_PROVIDER: 'azure', AZURE_STORAGE_ACCOUNT: 'fakeaccount', HF_TOKEN: canary.HF_TOKEN },
    });

    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('AZURE_STORAGE_KEY');
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
    expectNoCanary(result.stdout + result.stderr);
  });

  test('a _ENCODED variable that is neither base64 nor a _SLASH_ form exits 1 naming the variable, not its value', () => {
    const result = runCli(['run', '--comfyui-dir', tree.dir], { env: { ...platform, AWS_SECRET_ACCESS_KEY_ENCODED: 'not/base64!' } });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('AWS_SECRET_ACCESS_KEY_ENCODED');
    expect(result.stdout + result.stderr).not.toContain('not/base64!');
  });

  test('reads --env-file, and the real environment wins unless --override', () => {
    const envFile = path.join(tree.dir, '.env.local.prod-test');
    fs.writeFileSync(envFile, 'HF_TOKEN=hf_FAKE_from_env_file\nCIVITAI_TOKEN=civitai_FAKE_from_file\n');

    runCli(['run', '--comfyui-dir', tree.dir, '--env-file', envFile], { env: platform });
    const values = pythonDotenvValues(path.join(tree.dir, EMPROPS, '.env'));
    expect(values.HF_TOKEN).toBe(canary.HF_TOKEN);
    expect(values.CIVITAI_TOKEN).toBe('civitai_FAKE_from_file');

    runCli(['run', '--comfyui-dir', tree.dir, '--env-file', envFile, '--override'], { env: platform });
    expect(pythonDotenvValues(path.join(tree.dir, EMPROPS, '.env')).HF_TOKEN).toBe('hf_FAKE_from_env_file');
  });

  test('--dry-run writes nothing', () => {
    const result = runCli(['run', '--comfyui-dir', tree.dir, '--dry-run'], { env: platform });

    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
  });

  test('--skip leaves the named sink out', () => {
    const result = runCli(['run', '--comfyui-dir', tree.dir, '--skip', 'emprops_custom_nodes', '--json'], { env: platform });

    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).sinks.find((s: { name: string }) => s.name === 'emprops_custom_nodes').status).toBe('skipped');
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
  });
});

describe('plan, check and list', () => {
  test('plan --json is one JSON document with each variable masked, and writes nothing', () => {
    const result = runCli(['plan', '--comfyui-dir', tree.dir, '--json'], { env: platform });

    expect(result.status).toBe(0);
    const plan = JSON.parse(result.stdout);
    const emprops = plan.sinks.find((s: { name: string }) => s.name === 'emprops_custom_nodes');
    expect(emprops.status).toBe('would-write');
    expect(emprops.variables.find((v: { key: string }) => v.key === 'AWS_SECRET_ACCESS_KEY')).toMatchObject({
      state: 'set',
      source: 'AWS_SECRET_ACCESS_KEY_ENCODED',
      length: canary.AWS_SECRET_ACCESS_KEY.length,
    });
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
    expectNoCanary(result.stdout + result.stderr);
  });

  test('plan in text shows lengths, never values', () => {
    const result = runCli(['plan', '--comfyui-dir', tree.dir], { env: platform });

    expect(result.stdout).toContain(`set (${canary.HF_TOKEN.length} chars) from HF_TOKEN`);
    expectNoCanary(result.stdout + result.stderr);
  });

  test('check exits 0 when everything can be written and 1 when a requirement is missing', () => {
    expect(runCli(['check', '--comfyui-dir', tree.dir], { env: platform }).status).toBe(0);
    expect(runCli(['check', '--comfyui-dir', tree.dir], { env: { CLOUD_PROVIDER: 'aws' } }).status).toBe(1);
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
  });

  test('list --json names the installed sinks with their package, in run order', () => {
    const result = runCli(['list', '--json']);

    expect(result.status).toBe(0);
    const names = JSON.parse(result.stdout).sinks.map((s: { name: string; plugin: string }) => `${s.name} ${s.plugin}`);
    expect(names).toContain('emprops_custom_nodes @comfy-secrets/sink-emprops-custom-nodes');
  });

  test('list --json shows every shipped node sink and the map of variables to the keys they feed', () => {
    const listed = JSON.parse(runCli(['list', '--json']).stdout) as { sinks: Array<{ name: string; relativeTo: string }>; variables: Record<string, string[]> };
    const shipped = ['comfy-cli', 'huggingface-token', 'comfyui_LLM_party', 'ComfyUI-IF_AI_tools', 'ComfyUI-fal-API', 'ComfyUI_LayerStyle_Advance', 'ComfyUI-Easy-Use', 'ComfyUI-Lora-Manager', 'ComfyUI-Gemini', 'AlekPet-ChatGLMNode', 'AlekPet-DeepTranslatorNode', 'ComfyS3', 'eden_comfy_pipelines'];
    expect(listed.sinks.map((sink) => sink.name)).toEqual(expect.arrayContaining(shipped));
    expect(listed.sinks.length).toBeGreaterThanOrEqual(15);
    expect(listed.sinks.find((sink) => sink.name === 'comfy-cli')?.relativeTo).toBe('home');
    expect(listed.variables.HF_TOKEN).toEqual(expect.arrayContaining(['comfy-cli.hf_api_token', 'huggingface-token.token', 'ComfyUI-IF_AI_tools.HUGGINGFACE_TOKEN', 'emprops_custom_nodes.HF_TOKEN']));
    expect(listed.variables.OPENAI_API_KEY).toEqual(expect.arrayContaining(['eden_comfy_pipelines.OPENAI_API_KEY', 'comfyui_LLM_party.openai_api_key', 'AlekPet-DeepTranslatorNode.ChatGptTranslator.api_key']));

    const text = runCli(['list']).stdout;
    expect(text).toContain('file:      ~/.config/comfy-cli/config.ini [ini]');
    expect(text).toMatch(/\n {2}HF_TOKEN +-> .*comfy-cli\.hf_api_token/);
  });

  test('a run where none of the node sinks\' nodes is installed skips them all, and writes nothing below the home', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-home-'));
    try {
      const result = runCli(['run', '--comfyui-dir', tree.dir, '--json'], { env: { ...platform, HOME: home, FAL_KEY: 'fal-FAKE', GEMINI_API_KEY: 'AIza-FAKE' } });
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as { sinks: Array<{ name: string; status: string; reason?: string }> };
      expect(report.sinks.find((sink) => sink.name === 'ComfyUI-fal-API')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('not installed') });
      expect(report.sinks.find((sink) => sink.name === 'comfy-cli')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('not set up here') });
      expect(fs.readdirSync(home)).toEqual([]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('output', () => {
  test('--json stays a valid document with its keys intact when a secret equals a key name', () => {
    const result = runCli(['plan', '--comfyui-dir', tree.dir, '--json'], { env: { ...platform, HF_TOKEN: 'variables' } });

    const plan = JSON.parse(result.stdout);
    expect(plan.sinks.find((s: { name: string }) => s.name === 'emprops_custom_nodes').variables.length).toBeGreaterThan(0);
  });

  test('-f is --env-file under a name Node itself does not claim (node exits 9 on a missing --env-file FILE anywhere on its command line)', () => {
    const envFile = path.join(tree.dir, 'local.env');
    fs.writeFileSync(envFile, `HF_TOKEN=${canary.HF_TOKEN}\n`);

    expect(runCli(['run', '--comfyui-dir', tree.dir, '-f', envFile]).status).toBe(0);
    expect(pythonDotenvValues(path.join(tree.dir, EMPROPS, '.env')).HF_TOKEN).toBe(canary.HF_TOKEN);
    const missing = runCli(['run', '--comfyui-dir', tree.dir, '-f', path.join(tree.dir, 'missing.env')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('ENV_FILE_UNREADABLE');
  });

  test('a reader that closes the pipe early is not an error', () => {
    // `true` exits before the CLI has started, so every write meets a closed pipe.
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" --help | true; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('usage and configuration errors exit 2', () => {
  test('a ComfyUI directory that does not exist, instead of skipping every sink', () => {
    const missing = path.join(tree.dir, 'no-such-ComfyUI');
    for (const command of ['run', 'plan', 'check']) {
      const result = runCli([command, '--comfyui-dir', missing], { env: platform });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`COMFYUI_DIR_MISSING: the ComfyUI directory ${missing} does not exist`);
    }
  });

  test('an unknown flag', () => {
    const result = runCli(['run', '--no-such-flag']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--no-such-flag');
  });

  test('a plugin that is not a sink, named in the error', () => {
    const plugin = path.join(tree.dir, 'bad-plugin.js');
    fs.writeFileSync(plugin, 'module.exports = { name: "bad" };');

    const result = runCli(['run', '--comfyui-dir', tree.dir, '--plugin', plugin]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('bad-plugin.js');
    expect(result.stderr).toContain("'nodes'");
  });

  test('a dependency cycle lists the sinks in it, and nothing is written', () => {
    const sink = (name: string, dependency: string) => `module.exports = { name: '${name}', nodes: ['other_node'], dependencies: ['${dependency}'], variables: { HF_TOKEN: {} } };`;
    fs.writeFileSync(path.join(tree.dir, 'a.js'), sink('a', 'b'));
    fs.writeFileSync(path.join(tree.dir, 'b.js'), sink('b', 'a'));

    const result = runCli(['run', '--comfyui-dir', tree.dir, '--plugin', path.join(tree.dir, 'a.js'), '--plugin', path.join(tree.dir, 'b.js')], { env: platform });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('a -> b -> a');
    expect(fs.existsSync(path.join(tree.dir, EMPROPS, '.env'))).toBe(false);
  });

  test('--help shows the commands and the exit codes', () => {
    const result = runCli(['--help']);
    expect(result.status).toBe(0);
    for (const word of ['run', 'plan', 'check', 'list', 'Exit codes', '70']) expect(result.stdout).toContain(word);
  });
});
