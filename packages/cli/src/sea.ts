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
import comfyCli from '../../../plugins/comfy-cli/src/index';
import comfyCliPackage from '../../../plugins/comfy-cli/package.json';
import hfToken from '../../../plugins/huggingface-token/src/index';
import hfTokenPackage from '../../../plugins/huggingface-token/package.json';
import llmParty from '../../../plugins/llm-party/src/index';
import llmPartyPackage from '../../../plugins/llm-party/package.json';
import ifAiTools from '../../../plugins/if-ai-tools/src/index';
import ifAiToolsPackage from '../../../plugins/if-ai-tools/package.json';
import falApi from '../../../plugins/fal-api/src/index';
import falApiPackage from '../../../plugins/fal-api/package.json';
import layerStyle from '../../../plugins/layerstyle-advance/src/index';
import layerStylePackage from '../../../plugins/layerstyle-advance/package.json';
import easyUse from '../../../plugins/easy-use/src/index';
import easyUsePackage from '../../../plugins/easy-use/package.json';
import loraManager from '../../../plugins/lora-manager/src/index';
import loraManagerPackage from '../../../plugins/lora-manager/package.json';
import gemini from '../../../plugins/gemini-zho/src/index';
import geminiPackage from '../../../plugins/gemini-zho/package.json';
import alekpet from '../../../plugins/alekpet/src/index';
import alekpetPackage from '../../../plugins/alekpet/package.json';
import comfyS3 from '../../../plugins/comfys3/src/index';
import comfyS3Package from '../../../plugins/comfys3/package.json';
import { start } from './start';

start({
  bundledSinks: [
    { sink: emprops, plugin: empropsPackage.name, version: empropsPackage.version },
    { sink: manager, plugin: managerPackage.name, version: managerPackage.version },
    // The node catalog (docs/sinks.md "Node catalog"), but for eden_comfy_pipelines: the repository's
    // third-party example (examples/custom-sink) is a sink of that name, and the executable loads it
    // from plugins/ beside it; @comfy-secrets/sink-eden-comfy-pipelines goes there the same way.
    { sink: comfyCli, plugin: comfyCliPackage.name, version: comfyCliPackage.version },
    { sink: hfToken, plugin: hfTokenPackage.name, version: hfTokenPackage.version },
    { sink: llmParty, plugin: llmPartyPackage.name, version: llmPartyPackage.version },
    { sink: ifAiTools, plugin: ifAiToolsPackage.name, version: ifAiToolsPackage.version },
    { sink: falApi, plugin: falApiPackage.name, version: falApiPackage.version },
    { sink: layerStyle, plugin: layerStylePackage.name, version: layerStylePackage.version },
    { sink: easyUse, plugin: easyUsePackage.name, version: easyUsePackage.version },
    { sink: loraManager, plugin: loraManagerPackage.name, version: loraManagerPackage.version },
    { sink: gemini, plugin: geminiPackage.name, version: geminiPackage.version },
    ...alekpet.map((sink) => ({ sink, plugin: alekpetPackage.name, version: alekpetPackage.version })),
    { sink: comfyS3, plugin: comfyS3Package.name, version: comfyS3Package.version },
  ],
  pluginsDir: path.join(path.dirname(process.execPath), 'plugins'),
});
