// The npm package's CLI (bin/comfy-secrets.js through launch.ts): sinks are the dependencies of the
// project that installed it, plus --plugin.
import * as path from 'node:path';
import { start } from './start';

start({ cliDir: path.resolve(__dirname, '..') });
