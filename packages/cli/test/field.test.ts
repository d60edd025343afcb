// Issue 13: what the node's process sees, inputs that must not change on the way in, files the app
// can read, and mistakes that would start a container without its secrets.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, runCliWithRawEnv, tempTree } from '../../../test/helpers/cli';
import { EMPROPS_NODE, PYTHON, type EmpropsNodeView } from '../../../test/helpers/real-readers';

jest.setTimeout(60_000);

const NODE = 'custom_nodes/emprops_comfy_nodes';
const HF_TOKEN = 'hf_FAKE_field_token_0001';
const OLD_TOKEN = 'hf_FAKE_field_stale_token_0002';
/** Shaped like an AWS secret access key (40 characters of the base64 alphabet), obviously fake. */
const AWS_KEY = 'FAKE/field+aws/secret+key/for/tests/0003';
const AWS_KEY_SLASHED = AWS_KEY.replaceAll('/', '_SLASH_');
const CANARIES = [HF_TOKEN, OLD_TOKEN, AWS_KEY, AWS_KEY_SLASHED, Buffer.from(AWS_KEY).toString('base64')];

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ [`${NODE}/__init__.py`]: '', 'custom_nodes/other_node/__init__.py': '' });
});
afterEach(() => tree.cleanup());

const root = () => tree.dir;
const nodeDir = () => path.join(tree.dir, NODE);
const expectNoCanary = (text: string) => {
  for (const canary of CANARIES) expect(text).not.toContain(canary);
};

/** `comfy-secrets exec [args] -- python3 emprops-node.py NODE OUT`, and what the node's code paths saw. */
function execNode(args: string[], env: Record<string, string>): { status: number | null; stderr: string; seen: EmpropsNodeView } {
  const out = path.join(tree.dir, 'seen.json');
  const result = runCli(['exec', '--comfyui-dir', root(), ...args, '--', ...EMPROPS_NODE, nodeDir(), out], { env, cwd: tree.dir });
  expectNoCanary(result.stdout + result.stderr);
  if (!fs.existsSync(out)) throw new Error(`the command did not run (exit ${result.status}): ${result.stderr}`);
  return { status: result.status, stderr: result.stderr, seen: JSON.parse(fs.readFileSync(out, 'utf8')) as EmpropsNodeView };
}

describe('exec: the command sees what the files say (python-dotenv does not override)', () => {
  test('HF_TOKEN= (empty, inherited) with HF_TOKEN_FILE: the node sees the token', () => {
    fs.writeFileSync(path.join(tree.dir, 'hf_token'), `${HF_TOKEN}\n`);
    const { status, seen } = execNode([], { HF_TOKEN: '', HF_TOKEN_FILE: path.join(tree.dir, 'hf_token') });
    expect(status).toBe(0);
    expect(seen.hf_token).toBe(HF_TOKEN);
    // Taken out of the command's environment rather than copied into it.
    expect(seen.before_load.HF_TOKEN).toBeNull();
  });

  test('-f deploy.env --override with HF_TOKEN=old in the environment: the node sees the new one', () => {
    fs.writeFileSync(path.join(tree.dir, 'deploy.env'), `HF_TOKEN=${HF_TOKEN}\n`);
    const { status, seen } = execNode(['-f', 'deploy.env', '--override'], { HF_TOKEN: OLD_TOKEN });
    expect(status).toBe(0);
    expect(seen.hf_token).toBe(HF_TOKEN);
  });

  test('--secrets-dir with HF_TOKEN= inherited: the node sees the secret file', () => {
    fs.mkdirSync(path.join(tree.dir, 'secrets'));
    fs.writeFileSync(path.join(tree.dir, 'secrets', 'HF_TOKEN'), HF_TOKEN);
    const { status, seen } = execNode(['--secrets-dir', 'secrets'], { HF_TOKEN: '' });
    expect(status).toBe(0);
    expect(seen.hf_token).toBe(HF_TOKEN);
  });

  test('AWS_SECRET_ACCESS_KEY_ENCODED with AWS_SECRET_ACCESS_KEY= set empty: every code path sees the key', () => {
    const env = { CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'FAKEACCESSKEYFIELD01', AWS_SECRET_ACCESS_KEY: '', AWS_SECRET_ACCESS_KEY_ENCODED: Buffer.from(AWS_KEY).toString('base64') };
    const { status, seen } = execNode([], env);
    expect(status).toBe(0);
    expect([seen.s3_secret, seen.saver_secret, seen.lora_secret]).toEqual([AWS_KEY, AWS_KEY, AWS_KEY]);
  });

  test('a key the sink leaves out because it is set empty is not passed on empty (os.getenv(NAME, default) would return the empty string)', () => {
    const env = { CLOUD_PROVIDER: 'azure', AZURE_STORAGE_ACCOUNT: 'fakeaccount', AZURE_STORAGE_KEY: 'FAKE/azure+key==', STORAGE_ACCOUNT_NAME: '', STORAGE_ACCOUNT_KEY: '' };
    const { status, seen } = execNode([], env);
    expect(status).toBe(0);
    expect(seen.saver_azure.slice(0, 2)).toEqual(['fakeaccount', 'FAKE/azure+key==']);
  });

  test('a value the environment already holds stays in the command environment', () => {
    const { seen } = execNode([], { HF_TOKEN });
    expect(seen.before_load.HF_TOKEN).toBe(HF_TOKEN);
  });

  test('an emp-job-queue environment (_SLASH_ form, CLOUD_PROVIDER=aws): plan succeeds and the command sees the exact key', () => {
    const env = { CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'FAKEACCESSKEYFIELD01', AWS_SECRET_ACCESS_KEY_ENCODED: AWS_KEY_SLASHED, AWS_DEFAULT_REGION: 'us-east-1' };
    const plan = runCli(['plan', '--comfyui-dir', root(), '--json'], { env });
    expect(plan.status).toBe(0);
    const emprops = (JSON.parse(plan.stdout) as { sinks: Array<{ name: string; status: string; variables: Array<{ key: string; source?: string; length?: number }> }> }).sinks.find((sink) => sink.name === 'emprops_custom_nodes');
    expect(emprops?.status).toBe('would-write');
    expect(emprops?.variables.find((line) => line.key === 'AWS_SECRET_ACCESS_KEY')).toMatchObject({ source: 'AWS_SECRET_ACCESS_KEY_ENCODED', length: 40 });
    expectNoCanary(plan.stdout + plan.stderr);

    const { status, seen } = execNode([], env);
    expect(status).toBe(0);
    expect([seen.s3_secret, seen.saver_secret, seen.lora_secret]).toEqual([AWS_KEY, AWS_KEY, AWS_KEY]);
    expect(seen.provider).toBe('aws');
  });
});

describe('run: warns when the environment disagrees with a file just written', () => {
  test('names the key only; the app started with that environment would see the old value', () => {
    fs.writeFileSync(path.join(tree.dir, 'deploy.env'), `HF_TOKEN=${HF_TOKEN}\n`);
    const result = runCli(['run', '--comfyui-dir', root(), '-f', 'deploy.env', '--override'], { env: { HF_TOKEN: OLD_TOKEN }, cwd: tree.dir });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('HF_TOKEN in the environment differs from custom_nodes/emprops_comfy_nodes/.env');
    expectNoCanary(result.stdout + result.stderr);
    // Why it warns: the same environment and the same file, read the way the node reads them.
    const seen = JSON.parse(execFileSync(EMPROPS_NODE[0], [EMPROPS_NODE[1], nodeDir()], { env: { PATH: '/usr/bin:/bin', HF_TOKEN: OLD_TOKEN } }).toString()) as EmpropsNodeView;
    expect(seen.hf_token).toBe(OLD_TOKEN);
  });

  test('says nothing when the environment agrees', () => {
    const result = runCli(['run', '--comfyui-dir', root()], { env: { HF_TOKEN } });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('differs');
  });
});

describe('inputs are refused, not changed or waited on', () => {
  const bigFile = () => {
    const file = path.join(tree.dir, 'big');
    fs.writeFileSync(file, Buffer.alloc(1024 * 1024 + 1, 0x61));
    return file;
  };
  const fifo = () => {
    const file = path.join(tree.dir, 'fifo');
    execFileSync('mkfifo', [file]);
    return file;
  };

  test.each([
    ['a FIFO', fifo, 'SOURCE_NOT_A_FILE', 'is not a regular file (a FIFO)'],
    ['/dev/zero', () => '/dev/zero', 'SOURCE_NOT_A_FILE', 'is not a regular file (a character device)'],
    ['a file over 1 MiB', bigFile, 'SOURCE_TOO_BIG', 'is larger than 1048576 bytes'],
  ])('NAME_FILE naming %s fails the sink (exit 1)', (_what, make, code, reason) => {
    const result = runCli(['run', '--comfyui-dir', root()], { env: { HF_TOKEN_FILE: make() } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`"code":"${code}"`);
    expect(result.stderr).toContain(`the file named by HF_TOKEN_FILE ${reason}`);
    expect(fs.existsSync(path.join(nodeDir(), '.env'))).toBe(false);
  });

  const hugeFile = () => {
    const file = path.join(tree.dir, 'huge.env');
    fs.writeFileSync(file, Buffer.alloc(16 * 1024 * 1024 + 1, 0x23));
    return file;
  };

  test.each([
    ['a FIFO', fifo, 'is not a regular file (a FIFO)'],
    ['/dev/zero', () => '/dev/zero', 'is not a regular file (a character device)'],
    ['a file over 16 MiB', hugeFile, 'is larger than 16777216 bytes'],
  ])('-f naming %s stops the run (exit 2)', (_what, make, reason) => {
    const file = make();
    const result = runCli(['run', '--comfyui-dir', root(), '-f', file], { env: { HF_TOKEN } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--env-file ${file} ${reason}`);
  });

  test('--config-nodes naming a FIFO stops the run (exit 2)', () => {
    const result = runCli(['run', '--comfyui-dir', root(), '--config-nodes', fifo()], { env: { HF_TOKEN } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not a regular file (a FIFO)');
  });

  test('a FIFO in --secrets-dir fails the sink (exit 1); a symlink to a regular file is followed', () => {
    fs.mkdirSync(path.join(tree.dir, 'secrets'));
    execFileSync('mkfifo', [path.join(tree.dir, 'secrets', 'HF_TOKEN')]);
    const fifoRun = runCli(['run', '--comfyui-dir', root(), '--secrets-dir', path.join(tree.dir, 'secrets')], { env: {} });
    expect(fifoRun.status).toBe(1);
    expect(fifoRun.stderr).toContain('the file named by HF_TOKEN in --secrets-dir is not a regular file (a FIFO)');

    // Kubernetes and Docker secrets are symlinks (..data/HF_TOKEN).
    fs.rmSync(path.join(tree.dir, 'secrets', 'HF_TOKEN'));
    fs.mkdirSync(path.join(tree.dir, 'secrets', '..data'));
    fs.writeFileSync(path.join(tree.dir, 'secrets', '..data', 'HF_TOKEN'), HF_TOKEN);
    fs.symlinkSync('..data/HF_TOKEN', path.join(tree.dir, 'secrets', 'HF_TOKEN'));
    const linkRun = runCli(['run', '--comfyui-dir', root(), '--secrets-dir', path.join(tree.dir, 'secrets')], { env: {} });
    expect(linkRun.status).toBe(0);
    expect(fs.readFileSync(path.join(nodeDir(), '.env'), 'utf8')).toContain(HF_TOKEN);
  });

  const invalid = Buffer.concat([Buffer.from('hf_FAKE_invalid_'), Buffer.from([0xff, 0xfe]), Buffer.from('_utf8')]);

  test('invalid UTF-8 in the environment fails the sink that reads it, naming the variable and source (exit 1)', () => {
    const result = runCliWithRawEnv(['run', '--comfyui-dir', root()], { HF_TOKEN: invalid });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"code":"INVALID_UTF8"');
    expect(result.stderr).toContain('HF_TOKEN in the environment is not valid UTF-8 text');
    expect(fs.existsSync(path.join(nodeDir(), '.env'))).toBe(false);
  });

  test('invalid UTF-8 in a variable no sink reads changes nothing', () => {
    const result = runCliWithRawEnv(['run', '--comfyui-dir', root()], { HF_TOKEN, SOME_LOCALE_THING: invalid });
    expect(result.status).toBe(0);
  });

  test('exec says, naming the variable, that a value with bytes that are not UTF-8 reaches the command changed', () => {
    const result = runCliWithRawEnv(['exec', '--comfyui-dir', root(), '--', '/usr/bin/true'], { HF_TOKEN, SOME_LOCALE_THING: invalid });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('SOME_LOCALE_THING is not valid UTF-8; the command receives it with U+FFFD in place of the bad bytes');
  });

  test('invalid UTF-8 in -f stops the run (exit 2) naming the file, line and variable', () => {
    fs.writeFileSync(path.join(tree.dir, 'deploy.env'), Buffer.concat([Buffer.from('CIVITAI_TOKEN=fine\nHF_TOKEN='), invalid, Buffer.from('\n')]));
    const result = runCli(['run', '--comfyui-dir', root(), '-f', 'deploy.env'], { env: {}, cwd: tree.dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error INVALID_UTF8: --env-file deploy.env is not valid UTF-8 text (line 2, HF_TOKEN)');
  });

  test('invalid UTF-8 in NAME_FILE and in --secrets-dir fails the sink (exit 1)', () => {
    fs.writeFileSync(path.join(tree.dir, 'hf_token'), invalid);
    const fromFile = runCli(['run', '--comfyui-dir', root()], { env: { HF_TOKEN_FILE: path.join(tree.dir, 'hf_token') } });
    expect(fromFile.status).toBe(1);
    expect(fromFile.stderr).toContain('"code":"INVALID_UTF8"');
    expect(fromFile.stderr).toContain('the file named by HF_TOKEN_FILE is not valid UTF-8 text (line 1)');

    fs.mkdirSync(path.join(tree.dir, 'secrets'));
    fs.writeFileSync(path.join(tree.dir, 'secrets', 'HF_TOKEN'), invalid);
    const fromDir = runCli(['run', '--comfyui-dir', root(), '--secrets-dir', path.join(tree.dir, 'secrets')], { env: {} });
    expect(fromDir.status).toBe(1);
    expect(fromDir.stderr).toContain('the file named by HF_TOKEN in --secrets-dir is not valid UTF-8 text');
  });
});

describe('mistakes that would start a container without its secrets', () => {
  test('--only naming no sink is a usage error (exit 2)', () => {
    const result = runCli(['run', '--comfyui-dir', root(), '--only', 'emprops_custom_node'], { env: { HF_TOKEN } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error UNKNOWN_SINK: --only names 'emprops_custom_node', which is not an installed sink");
    expect(fs.existsSync(path.join(nodeDir(), '.env'))).toBe(false);
  });

  test('--comfyui-dir one level too deep (no custom_nodes/) is a usage error (exit 2)', () => {
    const result = runCli(['run', '--comfyui-dir', path.join(root(), 'custom_nodes')], { env: { HF_TOKEN } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error NO_CUSTOM_NODES');
  });

  test('a --secrets-dir that does not exist is a usage error (exit 2)', () => {
    const result = runCli(['run', '--comfyui-dir', root(), '--secrets-dir', path.join(root(), 'no-such-dir')], { env: { HF_TOKEN } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error SECRETS_DIR_MISSING');
  });

  test('every sink skipped while their variables are set: a warning says which node directories were looked for', () => {
    const empty = tempTree({ 'custom_nodes/unrelated/__init__.py': '' });
    try {
      const result = runCli(['run', '--comfyui-dir', empty.dir], { env: { HF_TOKEN } });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain('HF_TOKEN (read by emprops_custom_nodes) is set: emprops_custom_nodes looked for custom_nodes/emprops_custom_nodes, custom_nodes/emprops_comfy_nodes');
      expectNoCanary(result.stdout + result.stderr);
    } finally {
      empty.cleanup();
    }
  });
});

describe('as root without --owner, files belong to the owner of the node directory', () => {
  const NOBODY = 65534;
  const readAsNobody = (file: string) =>
    spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', PYTHON, '-c', 'import json, sys\nfrom dotenv import dotenv_values\nprint(json.dumps(dotenv_values(sys.argv[1])))', file], { encoding: 'utf8' });

  const runsAsRoot = process.getuid?.() === 0 ? test : test.skip;

  runsAsRoot.each(['disk', 'memory'])('a ComfyUI running as another user reads its .env (%s store)', (store) => {
    // The tree must be reachable by that user; mkdtemp makes it 0700.
    fs.chmodSync(tree.dir, 0o755);
    fs.chownSync(nodeDir(), NOBODY, NOBODY);
    const storeParent = fs.mkdtempSync(path.join('/dev/shm', 'comfy-secrets-test-'));
    try {
      fs.chmodSync(storeParent, 0o755);
      const result = runCli(['run', '--comfyui-dir', root(), '--store', store, '--store-dir', path.join(storeParent, 's')], { env: { HF_TOKEN } });
      expect(result.status).toBe(0);
      const file = path.join(nodeDir(), '.env');
      expect(fs.statSync(file)).toMatchObject({ uid: NOBODY, gid: NOBODY });
      const read = readAsNobody(file);
      expect(read.stderr).toBe('');
      expect(JSON.parse(read.stdout)).toEqual({ HF_TOKEN });
    } finally {
      fs.rmSync(storeParent, { recursive: true, force: true });
    }
  });

  runsAsRoot('node directories of two owners in one run, memory store: each owner reads its own file', () => {
    fs.chmodSync(tree.dir, 0o755);
    // A config_nodes.json node of nobody's runs first (config-nodes:… sorts before emprops_…), then the
    // emprops node of root's: that second file must not close the store to nobody again.
    const other = path.join(tree.dir, 'custom_nodes', 'nobody_node');
    fs.mkdirSync(other);
    fs.chownSync(other, NOBODY, NOBODY);
    fs.writeFileSync(path.join(tree.dir, 'config_nodes.json'), JSON.stringify({ custom_nodes: [{ name: 'nobody_node', env: { NOBODY_TOKEN: '${NOBODY_TOKEN}' } }] }));
    const storeParent = fs.mkdtempSync(path.join('/dev/shm', 'comfy-secrets-test-'));
    try {
      fs.chmodSync(storeParent, 0o755);
      const args = ['run', '--comfyui-dir', root(), '--store', 'memory', '--store-dir', path.join(storeParent, 's'), '--config-nodes', path.join(tree.dir, 'config_nodes.json')];
      const result = runCli(args, { env: { HF_TOKEN, NOBODY_TOKEN: 'nobody_FAKE_token_0005' } });
      expect(result.status).toBe(0);
      expect(fs.statSync(path.join(nodeDir(), '.env')).uid).toBe(0);
      const read = readAsNobody(path.join(other, '.env'));
      expect(read.stderr).toBe('');
      expect(JSON.parse(read.stdout)).toEqual({ NOBODY_TOKEN: 'nobody_FAKE_token_0005' });
    } finally {
      fs.rmSync(storeParent, { recursive: true, force: true });
    }
  });

  runsAsRoot('--owner still wins', () => {
    fs.chownSync(nodeDir(), NOBODY, NOBODY);
    expect(runCli(['run', '--comfyui-dir', root(), '--owner', '0:0'], { env: { HF_TOKEN } }).status).toBe(0);
    expect(fs.statSync(path.join(nodeDir(), '.env'))).toMatchObject({ uid: 0, gid: 0 });
  });
});

describe('list and help', () => {
  test('list takes the run options and says, per sink, whether it applies to that tree and what to set', () => {
    const result = runCli(['list', '--comfyui-dir', root()]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`ComfyUI: ${root()}`);
    expect(result.stdout).toMatch(/emprops_custom_nodes[^\n]*\n[^\n]*nodes:[^\n]*\n\s+applies:\s+yes \(custom_nodes\/emprops_comfy_nodes\)/);
    expect(result.stdout).toMatch(/comfyui-manager[^\n]*\n[^\n]*nodes:[^\n]*\n\s+applies:\s+no/);
    expect(result.stdout).toMatch(/set:\s+CLOUD_PROVIDER AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION/);
    // The legend explains the marks that are there, and only those.
    expect(result.stdout).toContain('AWS_ACCESS_KEY_ID+');
    expect(result.stdout).toContain('(+ required when a condition holds');

    const json = JSON.parse(runCli(['list', '--comfyui-dir', root(), '--json']).stdout) as { sinks: Array<{ name: string; applies: boolean | null; reads: string[] }> };
    expect(json.sinks.find((sink) => sink.name === 'emprops_custom_nodes')).toMatchObject({ applies: true, reads: expect.arrayContaining(['HF_TOKEN', 'AWS_SECRET_ACCESS_KEY']) });
  });

  test('exec --help says --json goes to stderr; run --help says why -f is preferred to --env-file', () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    expect(flat(runCli(['exec', '--help']).stdout)).toContain('--json print the run report as one JSON document on stderr (stdout belongs to COMMAND)');
    expect(flat(runCli(['run', '--help']).stdout)).toContain('Node itself looks for --env-file FILE anywhere on its command line and exits 9');
  });
});
