// The single executable's entry (scripts/build-sea.mjs): one file with Node inside, for images without
// Node. It carries the sinks shipped in this repository, compiled in from their sources (the npm CLI
// does not depend on them: there a project chooses its sinks). Third-party sinks are loaded from disk:
// every entry of `plugins/` beside the executable, and --plugin. Inside a single executable `require`
// loads only Node's builtins; discovery loads disk packages through module.createRequire, which works
// the same in both.
import * as path from 'node:path';
import manager from '../../../plugins/comfyui-manager/src/index';
import managerPackage from '../../../plugins/comfyui-manager/package.json';
import emprops from '../../../plugins/emprops-custom-nodes/src/index';
import empropsPackage from '../../../plugins/emprops-custom-nodes/package.json';
import { start } from './start';

start({
  bundledSinks: [
    { sink: emprops, plugin: empropsPackage.name, version: empropsPackage.version },
    { sink: manager, plugin: managerPackage.name, version: managerPackage.version },
  ],
  pluginsDir: path.join(path.dirname(process.execPath), 'plugins'),
});
