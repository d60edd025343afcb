import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// What audit looks for must be what run reads: a config_nodes.json value `${NAME}` reads NAME, and a
// NAME_FILE's value is in the file it names.
const STORAGE_PASS = 'fake-storage-pass-0001';
const DB_PASSWORD = 'fake-db-password-from-file-0002';

interface Finding {
  kind: string;
  severity: string;
  file: string;
  line?: number;
  variable?: string;
}

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({
    'config_nodes.json': JSON.stringify({ custom_nodes: [{ name: 'n', env: { DB_PASS: '${STORAGE_PASS}' } }] }),
    Dockerfile: `FROM x\nENV DB_PASS=1\nENV STORAGE_PASS=${STORAGE_PASS}\n`,
    'secrets/db_password': `${DB_PASSWORD}\n`,
    'rootfs/opt/app/settings.py': `PASS = "${STORAGE_PASS}"\nDB = "${DB_PASSWORD}"\n`,
  });
});
afterEach(() => tree.cleanup());

const audit = (args: string[], env: Record<string, string>) => {
  const result = runCli(['audit', '--config-nodes', path.join(tree.dir, 'config_nodes.json'), '--json', ...args], { env });
  return { ...result, findings: (JSON.parse(result.stdout) as { findings: Finding[] }).findings };
};

test('--dockerfile flags the variable a template reads, not the key it fills', () => {
  const result = audit(['--dockerfile', path.join(tree.dir, 'Dockerfile')], {});

  expect(result.findings.map((finding) => [finding.variable, finding.line, finding.severity])).toEqual([['STORAGE_PASS', 3, 'error']]);
  expect(result.status).toBe(1);
});

test('--rootfs looks for the value of the variable a template reads', () => {
  const result = audit(['--rootfs', path.join(tree.dir, 'rootfs')], { STORAGE_PASS });

  expect(result.findings.map((finding) => [finding.kind, finding.file, finding.variable])).toEqual([['secret-in-file', '/opt/app/settings.py', 'STORAGE_PASS']]);
  expect(result.stdout + result.stderr).not.toContain(STORAGE_PASS);
});

test('--rootfs looks for the value a secret-looking NAME_FILE points to', () => {
  const result = audit(['--rootfs', path.join(tree.dir, 'rootfs')], { DB_PASSWORD_FILE: path.join(tree.dir, 'secrets/db_password') });

  expect(result.findings.map((finding) => [finding.kind, finding.file, finding.variable])).toEqual([['secret-in-file', '/opt/app/settings.py', 'DB_PASSWORD_FILE']]);
  expect(result.stdout + result.stderr).not.toContain(DB_PASSWORD);
});

test("comfy-secrets' own settings are not taken for secrets: in a Dockerfile, or as values to look for", () => {
  const settings = { COMFY_SECRETS_STORE: 'memory', COMFY_SECRETS_STATE_DIR: '/run/comfy-secrets', COMFY_SECRETS_LOG_LEVEL: 'info' };
  const dockerfile = path.join(tree.dir, 'Dockerfile.settings');
  fs.writeFileSync(dockerfile, `FROM x\n${Object.entries(settings).map(([name, value]) => `ENV ${name}=${value}`).join('\n')}\nENV HF_TOKEN=x\n`);

  const result = audit(['--dockerfile', dockerfile, '--rootfs', path.join(tree.dir, 'rootfs')], settings);

  expect(result.findings.map((finding) => finding.variable)).toEqual(['HF_TOKEN']);
  const { rootfs } = JSON.parse(result.stdout) as { rootfs: { tooShort: string[] } };
  expect(rootfs.tooShort).toEqual([]);
});
