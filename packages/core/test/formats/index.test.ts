import { createFormat } from '../../src/formats';

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
