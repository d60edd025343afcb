import { createFormat } from '../../src/formats';
import { ConfigError } from '../../src/errors';

test.each([
  [undefined, 'dotenv (python-dotenv)'],
  ['dotenv', 'dotenv (python-dotenv)'],
  [{ type: 'dotenv', readers: ['docker', 'python-dotenv'] }, 'dotenv (python-dotenv, docker)'],
  ['ini', 'ini [default]'],
  [{ type: 'ini', section: 'comfy' }, 'ini [comfy]'],
  ['json', 'json'],
  [{ type: 'json', merge: true }, 'json (merged)'],
] as const)('createFormat(%j) is %s', (spec, label) => {
  expect(createFormat(spec).label).toBe(label);
});

test.each([
  [{ type: 'dotenv', readers: [] }],
  [{ type: 'dotenv', readers: ['zsh'] }],
  [{ type: 'ini', section: '' }],
  [{ type: 'ini', section: 'a\nb' }],
  [{ type: 'toml' }],
  [{ type: 'lines' }],
  [{ type: 'json', paths: { A: [] } }],
])('createFormat(%j), a spec discovery would refuse, is a configuration error', (spec) => {
  expect(() => createFormat(spec as never)).toThrow(ConfigError);
});
