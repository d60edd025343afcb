import type { SecretSink, VariableSpec } from '../../src/contract';
import { realFileSystem } from '../../src/fs';
import { Redactor } from '../../src/values/redact';
import { Sources, type Environment } from '../../src/values/sources';
import { sinkProblems } from '../../src/sinks/validate';
import { resolveVariables } from '../../src/values/variables';

const FAKE = 'hf_FAKE_template_token';

function resolve(variables: Record<string, VariableSpec>, env: Environment, strict = false, redactor = new Redactor()) {
  const sink: SecretSink = { name: 'templated', nodes: ['templated'], variables };
  return resolveVariables(sink, new Sources({ env, cwd: process.cwd(), fs: realFileSystem }), redactor, strict);
}

describe('VariableSpec.template', () => {
  test('fills several references and keeps the text around them', () => {
    const result = resolve({ URL: { template: 'https://${USER}:${PASS}@host/${USER}' } }, { USER: 'fake-user', PASS: FAKE });
    expect(result.entries).toEqual([['URL', `https://fake-user:${FAKE}@host/fake-user`]]);
    expect(result.report[0]).toMatchObject({ state: 'set', source: 'USER+PASS' });
  });

  test('a $ that does not start ${NAME} is literal text', () => {
    expect(resolve({ K: { template: 'a$b ${ not-a-ref} $${X}' } }, { X: 'x' }).entries).toEqual([['K', 'a$b ${ not-a-ref} $x']]);
  });

  test('looks references up like from names, so NAME_ENCODED works', () => {
    const encoded = Buffer.from(FAKE).toString('base64');
    expect(resolve({ K: { template: 'Bearer ${TOKEN}' } }, { TOKEN_ENCODED: encoded }).entries).toEqual([['K', `Bearer ${FAKE}`]]);
  });

  test('an unset reference leaves the key out and records which variable, without an error', () => {
    const result = resolve({ K: { template: '${A}-${B}' } }, { A: 'a' });
    expect(result.entries).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.report[0]).toMatchObject({ state: 'missing', unset: ['B'] });
  });

  test('under strict an unset reference is an error naming key and variable', () => {
    const [error] = resolve({ K: { template: '${A}-${B}' } }, { A: 'a' }, true).errors;
    expect(error).toMatchObject({ code: 'MISSING_OPTIONAL', variable: 'K' });
    expect(error?.message).toContain('K is left out because B is not set');
  });

  test('a required template names the unset reference', () => {
    const [error] = resolve({ K: { template: '${A}', required: true } }, {}).errors;
    expect(error?.message).toBe('K is required but A is not set');
  });

  test('the filled value of a secret template is redacted', () => {
    const redactor = new Redactor();
    resolve({ K: { template: 'x-${TOKEN}' } }, { TOKEN: FAKE }, false, redactor);
    expect(redactor.redact(`leak ${FAKE}`)).not.toContain(FAKE);
  });

  test('validation refuses template together with from', () => {
    expect(sinkProblems({ name: 's', nodes: ['s'], variables: { K: { template: '${A}', from: ['A'] } } })).toEqual([
      "variable K: 'template' must be a string, without 'from', 'decode' or 'encodings'",
    ]);
  });
});
