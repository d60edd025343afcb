import { REDACTED, Redactor } from '../src/values/redact';
import { CANARY, captureLogger } from './helpers';

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, time and metadata', async () => {
    const { logger, lines } = captureLogger({ json: true });
    logger.info('written custom_nodes/x/.env', { sink: 'x', keys: 2 });
    logger.warn('second line');
    const parsed = (await lines()).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'info', message: 'written custom_nodes/x/.env', sink: 'x', keys: 2 },
      { time: expect.any(String), level: 'warn', message: 'second line' },
    ]);
  });

  it('writes readable text lines with metadata as key=value', async () => {
    const { logger, lines } = captureLogger();
    logger.info('written custom_nodes/x/.env', { sink: 'x', keys: 2, skipped: undefined, nested: { a: 1 } });
    expect(await lines()).toEqual(['comfy-secrets info  written custom_nodes/x/.env sink=x keys=2 nested={"a":1}']);
  });

  it.each([true, false])('redacts a secret in the message (json: %p)', async (json) => {
    const { logger, redactor, lines } = captureLogger({ json });
    redactor.add(CANARY);
    logger.error(`failed with ${CANARY}`);
    const [line] = await lines();
    expect(line).toContain(`failed with ${REDACTED}`);
    expect(line).not.toContain(CANARY);
  });

  it.each([true, false])('redacts a secret in the metadata (json: %p)', async (json) => {
    const { logger, redactor, lines } = captureLogger({ json });
    redactor.add(CANARY);
    logger.info('context', { detail: CANARY, nested: { list: [`Bearer ${CANARY}`] } });
    const [line] = await lines();
    expect(line).not.toContain(CANARY);
    expect(line?.split(REDACTED)).toHaveLength(3);
  });

  it('keeps JSON lines valid when the secret needs escaping', async () => {
    const secret = 'hf_FAKE"with\\quotes\n';
    const { logger, redactor, lines } = captureLogger({ json: true });
    redactor.add(secret);
    logger.info('context', { detail: secret });
    const [line] = await lines();
    expect(JSON.parse(line!)).toMatchObject({ detail: REDACTED });
  });

  it('redacts a secret added after the logger was created', async () => {
    const redactor = new Redactor();
    const { logger, lines } = captureLogger({ redactor });
    logger.info('before any secret');
    redactor.add(CANARY);
    logger.info(CANARY);
    expect(await lines()).toEqual(['comfy-secrets info  before any secret', `comfy-secrets info  ${REDACTED}`]);
  });

  it('drops lines below the level', async () => {
    const { logger, lines } = captureLogger({ level: 'warn' });
    logger.debug('debug line');
    logger.info('info line');
    logger.warn('warn line');
    logger.error('error line');
    expect(await lines()).toEqual(['comfy-secrets warn  warn line', 'comfy-secrets error error line']);
  });

  it('writes debug lines at debug level', async () => {
    const { logger, lines } = captureLogger({ level: 'debug' });
    logger.debug('debug line');
    expect(await lines()).toEqual(['comfy-secrets debug debug line']);
  });
});
