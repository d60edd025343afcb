import emprops from '../../../../plugins/emprops-custom-nodes/src/index';
import type { SecretSink, VariableSpec } from '../../src/contract';
import { REDACTED, Redactor } from '../../src/values/redact';
import type { Environment } from '../../src/values/sources';
import { resolveVariables } from '../../src/values/variables';
import { CANARY, OTHER_CANARY, sources } from '../helpers';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** Shaped like an AWS secret access key (40 characters of the base64 alphabet), obviously fake. */
const AWS_KEY = 'FAKE/aws+secret/key+for/tests/only/00001';

function resolve(variables: Record<string, VariableSpec>, env: Environment, options: { strict?: boolean; redactor?: Redactor } = {}) {
  const sink: SecretSink = { name: 'test', nodes: ['test'], variables };
  return resolveVariables(sink, sources(env), options.redactor ?? new Redactor(), options.strict);
}

const resolveEmprops = (env: Environment) => resolveVariables(emprops, sources(env), new Redactor());
const codes = (errors: Array<{ code: string; variable?: string }>) => errors.map((error) => `${error.code} ${error.variable}`);

describe('resolveVariables', () => {
  it('reads the output key itself when there is no from', () => {
    expect(resolve({ HF_TOKEN: {} }, { HF_TOKEN: CANARY }).entries).toEqual([['HF_TOKEN', CANARY]]);
  });

  it('tries from names in order and reports the one that supplied the value', () => {
    const result = resolve({ TOKEN: { from: ['A_TOKEN', 'B_TOKEN', 'C_TOKEN'] } }, { B_TOKEN: CANARY, C_TOKEN: OTHER_CANARY });
    expect(result.entries).toEqual([['TOKEN', CANARY]]);
    expect(result.report[0]).toMatchObject({ state: 'set', source: 'B_TOKEN', length: CANARY.length });
  });

  it('prefers an earlier from name over a later one', () => {
    expect(resolve({ TOKEN: { from: ['A_TOKEN', 'B_TOKEN'] } }, { A_TOKEN: OTHER_CANARY, B_TOKEN: CANARY }).entries).toEqual([['TOKEN', OTHER_CANARY]]);
  });

  it('writes the default when no source is set, and reports it as a default', () => {
    const result = resolve({ OLLAMA_PORT: { default: '11434', secret: false } }, {});
    expect(result.entries).toEqual([['OLLAMA_PORT', '11434']]);
    expect(result.report[0]).toEqual({ key: 'OLLAMA_PORT', state: 'default', secret: false, required: false, length: 5 });
  });

  it('leaves out a key that is not set and has no default', () => {
    const result = resolve({ HF_TOKEN: {} }, {});
    expect(result).toEqual({ entries: [], errors: [], report: [{ key: 'HF_TOKEN', state: 'missing', secret: true, required: false }] });
  });

  it('keeps the order of the variables, not of the environment', () => {
    expect(resolve({ B: {}, A: {} }, { A: 'value-a', B: 'value-b' }).entries.map(([key]) => key)).toEqual(['B', 'A']);
  });

  it('decodes a base64 value when decode is base64', () => {
    expect(resolve({ KEY: { decode: 'base64' } }, { KEY: b64(CANARY) }).entries).toEqual([['KEY', CANARY]]);
  });

  it('fails INVALID_BASE64 naming the key and its source, never the value', () => {
    const [error, ...rest] = resolve({ KEY: { decode: 'base64', from: ['SRC'] } }, { SRC: `${CANARY}!` }).errors;
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ code: 'INVALID_BASE64', variable: 'KEY' });
    expect(error?.message).toMatch(/^KEY: SRC has a character outside the base64 alphabet/);
    expect(error?.message).not.toContain(CANARY);
  });

  it('applies transform before writing', () => {
    expect(resolve({ PROVIDER: { secret: false, transform: (v) => v.toLowerCase() } }, { PROVIDER: 'AZURE' }).entries).toEqual([['PROVIDER', 'azure']]);
  });

  it('fails INVALID_VALUE with the transform message, naming the key, not the value', () => {
    const port: VariableSpec = {
      transform: (value) => {
        if (!/^\d+$/.test(value)) throw new Error('must be a port number');
        return value;
      },
    };
    const [error] = resolve({ OLLAMA_PORT: port }, { OLLAMA_PORT: CANARY }).errors;
    expect(error).toMatchObject({ code: 'INVALID_VALUE', variable: 'OLLAMA_PORT', message: 'OLLAMA_PORT (from OLLAMA_PORT) must be a port number' });
  });

  it('fails INVALID_VALUE when a transform returns something other than a string', () => {
    const result = resolve({ OLLAMA_PORT: { secret: false, transform: (v) => Number(v) as unknown as string }, HF_TOKEN: { transform: () => undefined as unknown as string } }, { OLLAMA_PORT: '11434', HF_TOKEN: CANARY });
    expect(result.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', variable: 'OLLAMA_PORT', message: 'OLLAMA_PORT (from OLLAMA_PORT): its transform must return a string' }),
      expect.objectContaining({ code: 'INVALID_VALUE', variable: 'HF_TOKEN', message: 'HF_TOKEN (from HF_TOKEN): its transform must return a string' }),
    ]);
    expect(result.entries).toEqual([]);
  });

  it('does not repeat a transform message that quotes the secret value', () => {
    const quoting: VariableSpec = {
      transform: (value) => {
        throw new Error(`cannot use ${value.slice(2, 12)} here`);
      },
    };
    const [error] = resolve({ HF_TOKEN: quoting }, { HF_TOKEN: CANARY }).errors;
    expect(error).toMatchObject({ code: 'INVALID_VALUE', variable: 'HF_TOKEN', message: 'HF_TOKEN (from HF_TOKEN) is not valid' });
  });

  it('fails INVALID_VALUE, not an internal error, when a transform throws something odd', () => {
    const odd = Object.assign(new Error(), { message: 42 });
    const [error] = resolve({ HF_TOKEN: { transform: () => { throw odd; } } }, { HF_TOKEN: CANARY }).errors;
    expect(error).toMatchObject({ code: 'INVALID_VALUE', variable: 'HF_TOKEN', message: 'HF_TOKEN (from HF_TOKEN) is not valid' });
  });

  it('checks allowed after transform', () => {
    const spec: VariableSpec = { secret: false, transform: (v) => v.trim().toLowerCase(), allowed: ['aws', 'azure'] };
    expect(resolve({ CLOUD_PROVIDER: spec }, { CLOUD_PROVIDER: ' Azure ' }).entries).toEqual([['CLOUD_PROVIDER', 'azure']]);
  });

  it('fails INVALID_VALUE for a value outside allowed, listing what is allowed, not the value', () => {
    const [error] = resolve({ CLOUD_PROVIDER: { allowed: ['aws', 'azure'] } }, { CLOUD_PROVIDER: CANARY }).errors;
    expect(error).toMatchObject({ code: 'INVALID_VALUE', variable: 'CLOUD_PROVIDER' });
    expect(error?.message).toBe('CLOUD_PROVIDER (from CLOUD_PROVIDER) must be one of: aws, azure');
  });

  it('collects a source error under its key without also calling the key missing', () => {
    const result = resolve({ HF_TOKEN: { required: true } }, { HF_TOKEN: CANARY, HF_TOKEN_ENCODED: b64(OTHER_CANARY) });
    expect(codes(result.errors)).toEqual(['CONFLICTING_SOURCES HF_TOKEN']);
  });

  it('reports every problem of a sink at once', () => {
    const result = resolve({ A: { required: true }, B: { decode: 'base64' }, C: { allowed: ['x'] } }, { B: '***', C: 'y-FAKE' });
    expect(codes(result.errors)).toEqual(['INVALID_BASE64 B', 'INVALID_VALUE C', 'MISSING_REQUIRED A']);
  });

  it('fails MISSING_REQUIRED naming every source name', () => {
    const [error] = resolve({ TOKEN: { required: true, from: ['HF_TOKEN', 'HUGGINGFACE_TOKEN'] } }, {}).errors;
    expect(error?.message).toBe('TOKEN is required but HF_TOKEN or HUGGINGFACE_TOKEN is not set');
  });

  it('is satisfied by a default for a required key', () => {
    expect(resolve({ REGION: { required: true, default: 'us-east-1', secret: false } }, {}).errors).toEqual([]);
  });

  describe('conditional requirements (the emprops sink)', () => {
    it('requires AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY when CLOUD_PROVIDER=azure', () => {
      const { errors } = resolveEmprops({ CLOUD_PROVIDER: 'azure' });
      expect(codes(errors)).toEqual(['MISSING_REQUIRED AZURE_STORAGE_ACCOUNT', 'MISSING_REQUIRED AZURE_STORAGE_KEY']);
      expect(errors[0]?.message).toBe('AZURE_STORAGE_ACCOUNT is required (required when CLOUD_PROVIDER=azure) but AZURE_STORAGE_ACCOUNT is not set');
    });

    it('is satisfied when both azure variables are set', () => {
      expect(resolveEmprops({ CLOUD_PROVIDER: 'azure', AZURE_STORAGE_ACCOUNT: 'fakeaccount', AZURE_STORAGE_KEY: CANARY }).errors).toEqual([]);
    });

    it('requires the AWS key pair when CLOUD_PROVIDER=aws', () => {
      expect(codes(resolveEmprops({ CLOUD_PROVIDER: 'aws' }).errors)).toEqual(['MISSING_REQUIRED AWS_ACCESS_KEY_ID', 'MISSING_REQUIRED AWS_SECRET_ACCESS_KEY']);
    });

    it('requires the other half of the AWS pair', () => {
      expect(codes(resolveEmprops({ CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'AKIAFAKEFORTESTS' }).errors)).toEqual(['MISSING_REQUIRED AWS_SECRET_ACCESS_KEY']);
    });

    it('accepts the AWS secret as AWS_SECRET_ACCESS_KEY_ENCODED', () => {
      const result = resolveEmprops({ CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'AKIAFAKEFORTESTS', AWS_SECRET_ACCESS_KEY_ENCODED: b64(AWS_KEY) });
      expect(result.errors).toEqual([]);
      expect(result.entries).toContainEqual(['AWS_SECRET_ACCESS_KEY', AWS_KEY]);
    });

    it('fails once, naming AWS_SECRET_ACCESS_KEY_ENCODED, when its value reads two ways and nothing says which', () => {
      // base64 of a 33-character text: neither reading has the shape of a key.
      const result = resolveEmprops({ AWS_SECRET_ACCESS_KEY_ENCODED: b64('fake-aws-secret-for-the-demo-only') });
      expect(codes(result.errors)).toEqual(['AMBIGUOUS_ENCODING AWS_SECRET_ACCESS_KEY_ENCODED']);
    });

    it('does not require azure variables for aws', () => {
      expect(codes(resolveEmprops({ CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: CANARY }).errors)).toEqual([]);
    });

    it('requires nothing when CLOUD_PROVIDER is unset', () => {
      expect(resolveEmprops({ HF_TOKEN: CANARY }).errors).toEqual([]);
    });

    it('describes the condition in the report', () => {
      const line = resolveEmprops({}).report.find((entry) => entry.key === 'AZURE_STORAGE_KEY');
      expect(line).toEqual({ key: 'AZURE_STORAGE_KEY', state: 'missing', secret: true, required: 'when CLOUD_PROVIDER=azure' });
    });

    it('accepts a list of values in when', () => {
      const spec: VariableSpec = { required: { when: { MODE: ['cloud', 'hybrid'] } } };
      expect(codes(resolve({ MODE: { secret: false }, KEY: spec }, { MODE: 'hybrid' }).errors)).toEqual(['MISSING_REQUIRED KEY']);
    });
  });

  describe('strict mode', () => {
    it('fails MISSING_OPTIONAL for an unset optional variable', () => {
      expect(codes(resolve({ HF_TOKEN: {} }, {}, { strict: true }).errors)).toEqual(['MISSING_OPTIONAL HF_TOKEN']);
    });

    it('is quiet about an unset optional variable without strict', () => {
      expect(resolve({ HF_TOKEN: {} }, {}).errors).toEqual([]);
    });

    it('accepts a default for an optional variable', () => {
      expect(resolve({ PORT: { default: '1' } }, {}, { strict: true }).errors).toEqual([]);
    });
  });

  describe('redaction', () => {
    it('hands secret values to the redactor', () => {
      const redactor = new Redactor();
      resolve({ HF_TOKEN: {} }, { HF_TOKEN: CANARY }, { redactor });
      expect(redactor.redact(`token ${CANARY}`)).toBe(`token ${REDACTED}`);
    });

    it('does not hand values marked secret: false to the redactor', () => {
      const redactor = new Redactor();
      resolve({ AWS_DEFAULT_REGION: { secret: false } }, { AWS_DEFAULT_REGION: 'us-east-1-FAKE' }, { redactor });
      expect(redactor.size).toBe(0);
    });

    it('does not treat a default as a secret', () => {
      const redactor = new Redactor();
      resolve({ HF_TOKEN: { default: 'public-default' } }, {}, { redactor });
      expect(redactor.size).toBe(0);
    });

    it('redacts both the raw and the transformed value', () => {
      const redactor = new Redactor();
      resolve({ HF_TOKEN: { transform: (v) => v.trim() } }, { HF_TOKEN: `  ${CANARY}  ` }, { redactor });
      expect(redactor.redact(`[  ${CANARY}  ] [${CANARY}]`)).toBe(`[${REDACTED}] [${REDACTED}]`);
    });

    it('redacts both the encoded and the decoded value', () => {
      const redactor = new Redactor();
      resolve({ HF_TOKEN: { decode: 'base64' } }, { HF_TOKEN: b64(CANARY) }, { redactor });
      expect(redactor.redact(`${b64(CANARY)} ${CANARY}`)).toBe(`${REDACTED} ${REDACTED}`);
    });

    it('redacts a secret even when it fails validation', () => {
      const redactor = new Redactor();
      resolve({ HF_TOKEN: { allowed: ['x'] } }, { HF_TOKEN: CANARY }, { redactor });
      expect(redactor.redact(CANARY)).toBe(REDACTED);
    });

    it('puts no value in the report', () => {
      const result = resolve({ HF_TOKEN: {}, OPENAI_API_KEY: { from: ['OPENAI_KEY'] } }, { HF_TOKEN: CANARY, OPENAI_KEY: OTHER_CANARY });
      expect(JSON.stringify(result.report)).not.toMatch(/FAKE/);
    });
  });
});
