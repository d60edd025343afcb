import * as fs from 'node:fs';
import * as path from 'node:path';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { realFileSystem } from '../../src/fs';
import { Runner } from '../../src/run/runner';
import { RunState } from '../../src/state/state';
import { Store } from '../../src/files/store';
import { captureLogger, loaded, sink, testdir } from '../helpers';

// Past the first links a run makes inline, the memory store makes the rest on a helper thread; the
// run waits for them before it reports, and a sink that looks at a file waits for its link first.
const NODES = Array.from({ length: 24 }, (_, i) => `node_${String(i).padStart(2, '0')}`);

let storeRoot: string;
beforeEach(() => {
  storeRoot = fs.mkdtempSync('/dev/shm/comfy-secrets-runner-links-');
});
afterEach(() => fs.rmSync(storeRoot, { recursive: true, force: true }));

function run(sinks: SecretSink[]) {
  const comfyuiDir = testdir(Object.fromEntries(NODES.map((node) => [`custom_nodes/${node}/`, ''])));
  const stateDir = testdir();
  const capture = captureLogger();
  const env = Object.fromEntries(NODES.map((node) => [`TOKEN_${node.toUpperCase()}`, `fake-token-for-${node}`]));
  const container = createContainer({ env, cwd: comfyuiDir, sinks: loaded(...sinks), logger: capture.logger, redactor: capture.redactor });
  const state = RunState.open(realFileSystem, stateDir, process.getuid!());
  const store = Store.open(realFileSystem, capture.logger, { mode: 'memory', dir: path.join(storeRoot, 'store'), uid: process.getuid!() });
  try {
    const report = container.resolve(Runner).run({ comfyuiDir, lifecycle: { state, store } });
    return { report, comfyuiDir, records: state.list() };
  } finally {
    state.release();
  }
}

const tokenSink = (node: string) => sink({ name: node, nodes: [node], variables: { TOKEN: { from: [`TOKEN_${node.toUpperCase()}`] } } });

test('every target of a large run is our link when run returns, and recorded in the state', () => {
  const { report, comfyuiDir, records } = run(NODES.map(tokenSink));

  expect(report.counts).toMatchObject({ written: NODES.length, failed: 0 });
  for (const node of NODES) {
    const target = path.join(comfyuiDir, 'custom_nodes', node, '.env');
    expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe(`TOKEN=fake-token-for-${node}\n`);
  }
  expect(records.map((record) => record.file).sort()).toEqual(NODES.map((node) => `custom_nodes/${node}/.env`));
});

test("a sink's file() function sees the links of the sinks before it", () => {
  const last = NODES.at(-1)!;
  const looking = sink({
    name: 'looking',
    nodes: [NODES[0]!],
    file: (context) => ({ path: 'seen.env', reason: `earlier link ${context.exists(`custom_nodes/${last}/.env`) ? 'present' : 'missing'}` }),
    variables: { TOKEN: { from: [`TOKEN_${NODES[0]!.toUpperCase()}`] } },
  });

  const { report } = run([...NODES.map(tokenSink), { ...looking, dependencies: NODES }]);

  expect(report.sinks.find((entry) => entry.name === 'looking')?.files[0]?.reason).toBe('earlier link present');
});
