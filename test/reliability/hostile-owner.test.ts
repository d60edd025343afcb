import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEnv, recordFigures, runReliabilityCli, writePlugin } from '../helpers/reliability';

/**
 * The ComfyUI user is hostile: the CLI runs as root, and an unprivileged uid (65534) owns
 * `custom_nodes`, the node directory, `user/` and `user/__manager`, and swaps the node directory and
 * `user/__manager` for links to a root-only directory outside the tree (renameat2 RENAME_EXCHANGE, in
 * a loop, from its own process) while `run` and `clean` go on. Nothing outside the tree may be created,
 * changed, read into the tree or removed, and every run ends with a documented exit code (0 or 1), never 70.
 *
 * Root only (the attack needs two users), and `setpriv` to drop to the attacker's uid.
 */
const ATTACKER = 65534;
const ITERATIONS = Number(process.env.HOSTILE_ITERATIONS ?? 200);
const canAttack = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const rootOnly = canAttack ? describe : describe.skip;

const SENTINEL_ENV = 'ROOT_ONLY_TOKEN=hf_FAKE_root_only_sentinel_outside\n';
const SENTINEL_INI = '[default]\nroot_only = sentinel_FAKE_outside_ini\n';
const RACE_TOKEN = 'hf_FAKE_race_token_written_by_the_run';
const figures: Record<string, number | string> = {};
/** Messages of failures other than the expected refusals, for the figures. */
const messages = new Set<string>();

/** The attacker: swaps each victim directory with a link to `outside`, as fast as it can, until killed. */
const ATTACK = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
def exchange(a, b):
    if hasattr(libc, 'renameat2'):
        return libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    return libc.syscall(316, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
outside, victims = sys.argv[1], sys.argv[2:]
pairs = []
for victim in victims:
    swap = os.path.join(os.path.dirname(victim), '.swap-' + os.path.basename(victim))
    os.symlink(outside, swap)
    pairs.append((victim.encode(), swap.encode()))
count = 0
with open(sys.argv[0] + '.count', 'w') as out:
    while True:
        for a, b in pairs:
            if exchange(a, b) == 0:
                count += 1
        if count % 512 == 0:
            out.seek(0); out.write(str(count)); out.flush()
`;

/** Every entry below `dir`: type, mode, owner, size, mtime and content. What must not change. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of ['.', ...(fs.readdirSync(dir, { recursive: true }) as string[])]) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    const content = stat.isFile() ? fs.readFileSync(file, 'utf8') : stat.isSymbolicLink() ? `-> ${fs.readlinkSync(file)}` : 'dir';
    entries[name] = `${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${stat.size} ${stat.mtimeMs} ${content}`;
  }
  return entries;
}

/** Every regular file below `dir` (links not followed) whose bytes contain one of `needles`. */
function filesContaining(dir: string, needles: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    return stat.isFile() && needles.some((needle) => fs.readFileSync(file, 'utf8').includes(needle));
  });
}

rootOnly('a hostile owner of the node directory and user/ swapping them for links', () => {
  let base: string;
  let comfyuiDir: string;
  let outside: string;
  let storeRoot: string;
  let attacker: ChildProcess | undefined;
  let attackScript: string;
  let before: Record<string, string>;
  let plugin: string;

  const chownTree = (...relatives: string[]) => {
    for (const relative of relatives) fs.chownSync(path.join(comfyuiDir, relative), ATTACKER, ATTACKER);
  };

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-hostile-'));
    fs.chmodSync(base, 0o755);
    comfyuiDir = path.join(base, 'ComfyUI');
    outside = path.join(base, 'outside');
    for (const dir of ['custom_nodes/race_node', 'user/__manager']) fs.mkdirSync(path.join(comfyuiDir, dir), { recursive: true });
    fs.writeFileSync(path.join(comfyuiDir, 'user/__manager/config.ini'), '[default]\nuser_setting = kept\n');
    chownTree('custom_nodes', 'custom_nodes/race_node', 'user', 'user/__manager', 'user/__manager/config.ini');
    // Root's own files, where the links lead: same names as the tree's, root-only.
    fs.mkdirSync(outside, { mode: 0o755 });
    fs.writeFileSync(path.join(outside, '.env'), SENTINEL_ENV, { mode: 0o600 });
    fs.writeFileSync(path.join(outside, 'config.ini'), SENTINEL_INI, { mode: 0o600 });
    fs.writeFileSync(path.join(outside, `..env.${Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1}.abcdef.comfy-secrets.tmp`), SENTINEL_ENV, { mode: 0o600 });
    before = snapshot(outside);
    plugin = writePlugin(base, 'race-sinks', `[
      { name: 'race_env', nodes: ['race_node'], variables: { RACE_TOKEN: {} } },
      { name: 'race_ini', nodes: ['race_node'], file: 'user/__manager/config.ini', relativeTo: 'comfyui', format: { type: 'ini', section: 'default' }, variables: { race_setting: { from: ['RACE_SETTING'], secret: false } } },
    ]`);
    storeRoot = fs.mkdtempSync('/dev/shm/comfy-secrets-hostile-');
    attackScript = path.join(base, 'attack.py');
    fs.writeFileSync(attackScript, ATTACK, { mode: 0o644 });
    fs.writeFileSync(`${attackScript}.count`, '0');
    fs.chownSync(`${attackScript}.count`, ATTACKER, ATTACKER);
    attacker = spawn('setpriv', [`--reuid=${ATTACKER}`, `--regid=${ATTACKER}`, '--clear-groups', '/usr/bin/python3', attackScript, outside, path.join(comfyuiDir, 'custom_nodes/race_node'), path.join(comfyuiDir, 'user/__manager')], { stdio: ['ignore', 'ignore', 'pipe'] });
  });

  afterAll(() => {
    attacker?.kill('SIGKILL');
    recordFigures('hostile-owner', { ...figures, otherFailures: [...messages].join(' | ') });
    if (base) fs.rmSync(base, { recursive: true, force: true });
    if (storeRoot) fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  const env = (store: 'disk' | 'memory') =>
    cliEnv({ RACE_TOKEN, RACE_SETTING: 'from_the_run', COMFY_SECRETS_STATE_DIR: path.join(base, 'state'), COMFY_SECRETS_STORE_DIR: path.join(storeRoot, 'store'), COMFY_SECRETS_STORE: store });
  const run = (store: 'disk' | 'memory') => runReliabilityCli(['run', '--comfyui-dir', comfyuiDir, '--plugin', plugin, '--project', base, '--no-config-nodes', '--owner', `${ATTACKER}:${ATTACKER}`], env(store));
  const clean = (store: 'disk' | 'memory') => runReliabilityCli(['clean', '--json'], env(store));

  /** Exit codes seen, and the error codes of the failures: each must be a documented, clean failure. */
  function tally(kind: string, result: { status: number | null; stdout: string; stderr: string }): void {
    if (result.status !== 0 && result.status !== 1) console.log(kind, result.status, result.stderr);
    figures[`${kind}Exit${result.status}`] = Number(figures[`${kind}Exit${result.status}`] ?? 0) + 1;
    for (const [line, code] of result.stderr.matchAll(/^.*"code":"([A-Z_]+)".*$/gm)) {
      figures[`${kind}:${code}`] = Number(figures[`${kind}:${code}`] ?? 0) + 1;
      if (code !== 'UNSAFE_PATH') messages.add(JSON.parse(line).message);
    }
    expect({ kind, documented: result.status === 0 || result.status === 1, internal: /INTERNAL_ERROR|internal error/.test(result.stdout + result.stderr) }).toEqual({ kind, documented: true, internal: false });
    // A failure names a file and what was wrong, never the value.
    expect(result.stdout + result.stderr).not.toContain(RACE_TOKEN);
  }

  test(`${ITERATIONS} runs and ${ITERATIONS} cleans, disk and memory store, with the swaps going on: nothing outside is touched or read in`, async () => {
    for (let i = 0; i < ITERATIONS; i += 1) {
      const store = i % 2 === 0 ? 'disk' : 'memory';
      tally('run', run(store));
      const cleaned = clean(store);
      tally('clean', cleaned);
      // What clean did despite the swaps: it acts whenever its walk finds real directories.
      for (const file of (JSON.parse(cleaned.stdout) as { files: Array<{ action: string }> }).files) figures[`clean:${file.action}`] = Number(figures[`clean:${file.action}`] ?? 0) + 1;
    }
    const stopped = new Promise((resolve) => attacker?.once('exit', resolve));
    attacker?.kill('SIGKILL');
    await stopped;
    figures.swaps = Number(fs.readFileSync(`${attackScript}.count`, 'utf8'));
    // Put the victims back where they were, so the scans below do not follow the attacker's links.
    for (const victim of ['custom_nodes/race_node', 'user/__manager'].map((relative) => path.join(comfyuiDir, relative))) {
      const swap = path.join(path.dirname(victim), `.swap-${path.basename(victim)}`);
      const [atVictim, atSwap] = [fs.lstatSync(victim), fs.lstatSync(swap)];
      if (atVictim.isSymbolicLink()) {
        fs.unlinkSync(victim);
        fs.renameSync(swap, victim);
      } else if (atSwap.isSymbolicLink()) {
        fs.unlinkSync(swap);
      } else {
        figures.bothDirectories = Number(figures.bothDirectories ?? 0) + 1;
        console.log('both directories', victim, atVictim.uid, fs.readdirSync(victim), atSwap.uid, fs.readdirSync(swap));
      }
    }

    // The attack ran all along, and hit: runs were refused, and some runs and cleans still went through.
    expect(figures.swaps).toBeGreaterThan(ITERATIONS);
    expect(Number(figures['run:UNSAFE_PATH'] ?? 0)).toBeGreaterThan(0);
    expect(Number(figures.runExit0 ?? 0) + Number(figures['clean:removed'] ?? 0) + Number(figures['clean:restored'] ?? 0)).toBeGreaterThan(0);
    expect(snapshot(outside)).toEqual(before);
    // Nothing of root's files outside was read into the tree, the state (its backups) or the store.
    const needles = ['hf_FAKE_root_only_sentinel_outside', 'sentinel_FAKE_outside_ini'];
    expect(filesContaining(comfyuiDir, needles)).toEqual([]);
    expect(filesContaining(path.join(base, 'state'), needles)).toEqual([]);
    expect(filesContaining(storeRoot, needles)).toEqual([]);
  }, 600_000);
});

rootOnly('the memory store with --owner', () => {
  let base: string;
  let storeRoot: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-owner-'));
    fs.chmodSync(base, 0o755);
    fs.mkdirSync(path.join(base, 'ComfyUI/custom_nodes/owned_node'), { recursive: true });
    storeRoot = fs.mkdtempSync('/dev/shm/comfy-secrets-owner-');
    // Sticky and world-writable, as /dev/shm itself.
    fs.chmodSync(storeRoot, 0o1777);
  });
  afterAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  const asAttacker = (script: string) =>
    spawnSync('setpriv', [`--reuid=${ATTACKER}`, `--regid=${ATTACKER}`, '--clear-groups', '/usr/bin/python3', '-c', script], { encoding: 'utf8' });

  test('stays the runner’s own: the owner reads its file through the link, and can neither rename nor replace the directory', () => {
    const plugin = writePlugin(base, 'owned-sink', `[{ name: 'owned', nodes: ['owned_node'], variables: { OWNED_TOKEN: {} } }]`);
    const store = path.join(storeRoot, 'store');
    const result = runReliabilityCli(
      ['run', '--comfyui-dir', path.join(base, 'ComfyUI'), '--plugin', plugin, '--project', base, '--no-config-nodes', '--store', 'memory', '--owner', `${ATTACKER}:${ATTACKER}`],
      cliEnv({ OWNED_TOKEN: 'hf_FAKE_owned_token_0001', COMFY_SECRETS_STATE_DIR: path.join(base, 'state'), COMFY_SECRETS_STORE_DIR: store }),
    );
    expect(result.status).toBe(0);

    const dir = fs.statSync(store);
    expect([dir.uid, dir.mode & 0o7777]).toEqual([0, 0o711]);
    const link = path.join(base, 'ComfyUI/custom_nodes/owned_node/.env');
    const file = fs.realpathSync(link);
    expect([fs.statSync(file).uid, fs.statSync(file).mode & 0o777]).toEqual([ATTACKER, 0o600]);

    // The app, as the owner, reads its file through the link.
    const read = asAttacker(`print(open(${JSON.stringify(link)}).read(), end='')`);
    expect([read.status, read.stdout]).toEqual([0, 'OWNED_TOKEN=hf_FAKE_owned_token_0001\n']);

    // It may not move the directory away, put a link in its place, or list, add or rename in it.
    const attempts = asAttacker(`
import os, json
results = {}
def attempt(name, call):
    try:
        call(); results[name] = 'done'
    except OSError as error:
        results[name] = error.errno
store = ${JSON.stringify(store)}
attempt('rename the directory', lambda: os.rename(store, store + '.moved'))
attempt('replace it with a link', lambda: (os.symlink('/etc', store + '.link'), os.rename(store + '.link', store)))
attempt('list it', lambda: os.listdir(store))
attempt('create in it', lambda: open(os.path.join(store, 'planted'), 'w'))
attempt('rename its file', lambda: os.rename(${JSON.stringify(file)}, os.path.join(store, 'renamed')))
print(json.dumps(results))
`);
    expect(attempts.status).toBe(0);
    const outcomes = JSON.parse(attempts.stdout) as Record<string, unknown>;
    for (const [name, outcome] of Object.entries(outcomes)) expect({ name, refused: outcome !== 'done' }).toEqual({ name, refused: true });
    expect(fs.statSync(store).uid).toBe(0);
    expect(fs.readlinkSync(link)).toBe(file);
  });

  test('a store directory that belongs to another user (planted, or left owned by an earlier version) is refused, not used', () => {
    const plugin = writePlugin(base, 'other-sink', `[{ name: 'owned', nodes: ['other_node'], variables: { OWNED_TOKEN: {} } }]`);
    const store = path.join(storeRoot, 'planted');
    fs.mkdirSync(path.join(base, 'ComfyUI/custom_nodes/other_node'));
    fs.mkdirSync(store, { mode: 0o700 });
    fs.chownSync(store, ATTACKER, ATTACKER);

    const result = runReliabilityCli(
      ['run', '--comfyui-dir', path.join(base, 'ComfyUI'), '--plugin', plugin, '--project', base, '--no-config-nodes', '--store', 'memory', '--owner', `${ATTACKER}:${ATTACKER}`],
      cliEnv({ OWNED_TOKEN: 'hf_FAKE_owned_token_0002', COMFY_SECRETS_STATE_DIR: path.join(base, 'state2'), COMFY_SECRETS_STORE_DIR: store }),
    );

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('STORE_UNUSABLE');
    expect(result.stderr).toContain(`belongs to uid ${ATTACKER}`);
    expect(fs.readdirSync(store)).toEqual([]);
  });
});
