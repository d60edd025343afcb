import { ConfigError, SinkError } from '../../src/errors';
import { CANARY, OTHER_CANARY, sources, testdir, thrown } from '../helpers';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('precedence of the environment and --env-file', () => {
  it('prefers the platform environment over an env file', () => {
    const cwd = testdir({ '.env': `HF_TOKEN=${OTHER_CANARY}\n` });
    expect(sources({ HF_TOKEN: CANARY }, { cwd, envFiles: ['.env'] }).lookup('HF_TOKEN')).toEqual({ value: CANARY, origin: 'HF_TOKEN' });
  });

  it('lets the env file win with --override', () => {
    const cwd = testdir({ '.env': `HF_TOKEN=${OTHER_CANARY}\n` });
    expect(sources({ HF_TOKEN: CANARY }, { cwd, envFiles: ['.env'], override: true }).lookup('HF_TOKEN')?.value).toBe(OTHER_CANARY);
  });

  it('lets a later env file win over an earlier one', () => {
    const cwd = testdir({ 'a.env': `HF_TOKEN=${CANARY}\n`, 'b.env': `HF_TOKEN=${OTHER_CANARY}\n` });
    expect(sources({}, { cwd, envFiles: ['a.env', 'b.env'] }).lookup('HF_TOKEN')?.value).toBe(OTHER_CANARY);
  });

  it('reads an env file given by an absolute path', () => {
    const dir = testdir({ 'secrets.env': `HF_TOKEN=${CANARY}\n` });
    expect(sources({}, { cwd: '/', envFiles: [`${dir}/secrets.env`] }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('does not let an empty platform variable hide an env file value', () => {
    const cwd = testdir({ '.env': `HF_TOKEN=${CANARY}\n` });
    expect(sources({ HF_TOKEN: '' }, { cwd, envFiles: ['.env'] }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('does not let an empty env file value hide the platform variable under --override', () => {
    const cwd = testdir({ '.env': 'HF_TOKEN=\n' });
    expect(sources({ HF_TOKEN: CANARY }, { cwd, envFiles: ['.env'], override: true }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('does not let an empty value in a later env file hide an earlier file value', () => {
    const cwd = testdir({ 'a.env': `HF_TOKEN=${CANARY}\n`, 'b.env': 'HF_TOKEN=\n' });
    expect(sources({}, { cwd, envFiles: ['a.env', 'b.env'] }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('treats an empty variable as unset', () => {
    expect(sources({ HF_TOKEN: '' }).lookup('HF_TOKEN')).toBeUndefined();
  });

  it('fails with ENV_FILE_UNREADABLE for a missing --env-file, naming the file', () => {
    const cwd = testdir();
    const error = thrown(() => sources({}, { cwd, envFiles: ['missing.env'] }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'ENV_FILE_UNREADABLE', file: 'missing.env' });
    expect(error.message).toBe('cannot read --env-file missing.env (ENOENT)');
  });
});

describe('NAME_ENCODED', () => {
  it('decodes strict base64', () => {
    expect(sources({ HF_TOKEN_ENCODED: b64(CANARY) }).lookup('HF_TOKEN')).toEqual({ value: CANARY, origin: 'HF_TOKEN_ENCODED' });
  });

  it.each([
    ['a character outside the alphabet', `${b64(CANARY).slice(0, 4)}*${b64(CANARY).slice(5)}`],
    ['the URL-safe alphabet', b64('hf_FAKE?>?>tok').replace(/\+/g, '-').replace(/\//g, '_')],
    ['whitespace', `${b64(CANARY).slice(0, 8)} ${b64(CANARY).slice(8)}`],
    ['missing padding', b64('hf_FAKE_xy').replace(/=+$/, '')],
    ['extra padding', `${b64('hf_FAKE_x')}=`],
    ['non-zero padding bits', 'aGZfRkFLRR=='],
    ['bytes that are not UTF-8', Buffer.from([0x68, 0x66, 0xff, 0xfe, 0xfd, 0x5f]).toString('base64')],
  ])('fails with INVALID_BASE64 naming NAME_ENCODED, not the value, for %s', (_, encoded) => {
    const error = thrown(() => sources({ HF_TOKEN_ENCODED: encoded }).lookup('HF_TOKEN'));
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: 'INVALID_BASE64', variable: 'HF_TOKEN_ENCODED' });
    expect(error.message).toMatch(/^HF_TOKEN_ENCODED /);
    expect(error.message).not.toContain(encoded);
  });

  it('fails with CONFLICTING_SOURCES naming both when NAME and NAME_ENCODED disagree', () => {
    const error = thrown(() => sources({ HF_TOKEN: CANARY, HF_TOKEN_ENCODED: b64(OTHER_CANARY) }).lookup('HF_TOKEN'));
    expect(error).toMatchObject({ code: 'CONFLICTING_SOURCES', variable: 'HF_TOKEN' });
    expect(error.message).toBe('HF_TOKEN and HF_TOKEN_ENCODED are both set but hold different values; set only one');
  });

  it('accepts NAME and NAME_ENCODED that agree', () => {
    expect(sources({ HF_TOKEN: CANARY, HF_TOKEN_ENCODED: b64(CANARY) }).lookup('HF_TOKEN')).toEqual({ value: CANARY, origin: 'HF_TOKEN' });
  });
});

describe('NAME_FILE', () => {
  it('reads the file and strips one trailing newline', () => {
    const cwd = testdir({ token: `${CANARY}\n\n` });
    expect(sources({ HF_TOKEN_FILE: 'token' }, { cwd }).lookup('HF_TOKEN')).toEqual({ value: `${CANARY}\n`, origin: 'HF_TOKEN_FILE' });
  });

  it('strips a trailing CRLF', () => {
    const cwd = testdir({ token: `${CANARY}\r\n` });
    expect(sources({ HF_TOKEN_FILE: 'token' }, { cwd }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('reads a file without a trailing newline as is', () => {
    const cwd = testdir({ token: CANARY });
    expect(sources({ HF_TOKEN_FILE: `${cwd}/token` }, { cwd: '/' }).lookup('HF_TOKEN')?.value).toBe(CANARY);
  });

  it('fails with SOURCE_UNREADABLE naming NAME_FILE when the file is missing', () => {
    const cwd = testdir();
    const error = thrown(() => sources({ HF_TOKEN_FILE: 'nope' }, { cwd }).lookup('HF_TOKEN'));
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: 'SOURCE_UNREADABLE', variable: 'HF_TOKEN_FILE' });
    expect(error.message).toBe('cannot read the file named by HF_TOKEN_FILE (ENOENT)');
  });

  it('fails with SOURCE_NOT_A_FILE when NAME_FILE names a directory', () => {
    const cwd = testdir({ 'dir/': '' });
    expect(thrown(() => sources({ HF_TOKEN_FILE: 'dir' }, { cwd }).lookup('HF_TOKEN'))).toMatchObject({ code: 'SOURCE_NOT_A_FILE', message: 'the file named by HF_TOKEN_FILE is not a regular file (a directory)' });
  });

  it('fails with CONFLICTING_SOURCES when NAME and NAME_FILE disagree', () => {
    const cwd = testdir({ token: `${OTHER_CANARY}\n` });
    const error = thrown(() => sources({ HF_TOKEN: CANARY, HF_TOKEN_FILE: 'token' }, { cwd }).lookup('HF_TOKEN'));
    expect(error).toMatchObject({ code: 'CONFLICTING_SOURCES' });
    expect(error.message).toContain('HF_TOKEN and HF_TOKEN_FILE');
  });

  it('treats an empty file as unset, like an empty variable', () => {
    const cwd = testdir({ token: '\n' });
    expect(sources({ HF_TOKEN_FILE: 'token' }, { cwd }).lookup('HF_TOKEN')).toBeUndefined();
  });
});

describe('--secrets-dir', () => {
  it('reads the file named like the variable', () => {
    const cwd = testdir({ 'run/secrets/HF_TOKEN': `${CANARY}\n` });
    expect(sources({}, { cwd, secretsDir: 'run/secrets' }).lookup('HF_TOKEN')).toEqual({ value: CANARY, origin: 'secrets-dir/HF_TOKEN' });
  });

  it('is overridden by the variable itself', () => {
    const cwd = testdir({ 'secrets/HF_TOKEN': OTHER_CANARY });
    expect(sources({ HF_TOKEN: CANARY }, { cwd, secretsDir: 'secrets' }).lookup('HF_TOKEN')).toEqual({ value: CANARY, origin: 'HF_TOKEN' });
  });

  it('is overridden by NAME_FILE', () => {
    const cwd = testdir({ 'secrets/HF_TOKEN': OTHER_CANARY, token: CANARY });
    expect(sources({ HF_TOKEN_FILE: 'token' }, { cwd, secretsDir: 'secrets' }).lookup('HF_TOKEN')?.origin).toBe('HF_TOKEN_FILE');
  });

  it('returns undefined when the directory has no such file', () => {
    const cwd = testdir({ 'secrets/OTHER': CANARY });
    expect(sources({}, { cwd, secretsDir: 'secrets' }).lookup('HF_TOKEN')).toBeUndefined();
  });

  it('never looks outside the directory for a name with a path in it', () => {
    const cwd = testdir({ 'secrets/': '', outside: CANARY });
    expect(sources({}, { cwd, secretsDir: 'secrets' }).lookup('../outside')).toBeUndefined();
  });

  it('treats an empty file as unset', () => {
    const cwd = testdir({ 'secrets/HF_TOKEN': '' });
    expect(sources({}, { cwd, secretsDir: 'secrets' }).lookup('HF_TOKEN')).toBeUndefined();
  });
});

describe('issue 13: inputs that must not change on the way in', () => {
  it('fails INVALID_UTF8 for a variable whose raw environment value is not UTF-8, and only when it is read', () => {
    const source = sources({ HF_TOKEN: 'hf_FAKE\uFFFD', OTHER: 'fine' }, { invalidUtf8: new Set(['HF_TOKEN']) });
    expect(source.lookup('OTHER')).toEqual({ value: 'fine', origin: 'OTHER' });
    expect(thrown(() => source.lookup('HF_TOKEN'))).toMatchObject({ code: 'INVALID_UTF8', variable: 'HF_TOKEN' });
  });

  it('takes an env file value over an invalid environment value with --override', () => {
    const cwd = testdir({ 'a.env': 'HF_TOKEN=hf_FAKE_from_file\n' });
    const source = sources({ HF_TOKEN: 'hf_FAKE\uFFFD' }, { cwd, envFiles: ['a.env'], override: true, invalidUtf8: new Set(['HF_TOKEN']) });
    expect(source.lookup('HF_TOKEN')?.value).toBe('hf_FAKE_from_file');
  });

  it('refuses a --secrets-dir that is not a directory (exit 2)', () => {
    const cwd = testdir({ 'file': 'x' });
    expect(thrown(() => sources({}, { cwd, secretsDir: 'missing' }))).toMatchObject({ code: 'SECRETS_DIR_MISSING', exitCode: 2 });
    expect(thrown(() => sources({}, { cwd, secretsDir: 'file' }))).toMatchObject({ code: 'SECRETS_DIR_MISSING' });
  });

  it('reports the platform value of a name, empty included, for the exec environment check', () => {
    const source = sources({ HF_TOKEN: '' });
    expect(source.environmentValue('HF_TOKEN')).toBe('');
    expect(source.environmentValue('OTHER')).toBeUndefined();
  });
});
