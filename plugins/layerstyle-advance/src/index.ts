import { defineSink, type TargetContext } from '@comfy-secrets/core/contract';

const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || 'ComfyUI_LayerStyle_Advance';

/**
 * ComfyUI_LayerStyle_Advance (chflame163/ComfyUI_LayerStyle_Advance, `py/imagefunc.py` `get_api_key`)
 * parses `<node>/api_key.ini` by hand: `readlines()`, the first line that starts with `name=` (no space
 * before the `=`, case as written), the rest of that line stripped of whitespace at both ends, then
 * every `"`, `'`, `“`, `”`, `‘` and `’` deleted from it. A value that parser would change is refused.
 * The repository ships `api_key.ini.example` and ignores `*.ini`: the keys are merged into
 * api_key.ini, or into a copy of the example while there is none.
 */
export default defineSink({
  name: 'ComfyUI_LayerStyle_Advance',
  nodes: ['ComfyUI_LayerStyle_Advance', 'comfyui_layerstyle_advance'],
  file: (context) => ({ path: 'api_key.ini', seed: `custom_nodes/${nodeName(context)}/api_key.ini.example` }),
  format: { type: 'lines', reader: { strip: true, removes: '"\'\u201c\u201d\u2018\u2019' } },
  variables: {
    google_api_key: { from: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'] },
    zhipu_api_key: { from: ['ZHIPUAI_API_KEY', 'ZHIPU_API_KEY'] },
    deepseek_api_key: { from: ['DEEPSEEK_API_KEY'] },
    aliyun_api_key: { from: ['DASHSCOPE_API_KEY', 'ALIYUN_API_KEY'] },
    volcengine_api_key: { from: ['VOLCENGINE_API_KEY', 'ARK_API_KEY'] },
    volcengine_AccessKeyId: { from: ['VOLCENGINE_ACCESS_KEY_ID'] },
    volcengine_SecretAccessKey: { from: ['VOLCENGINE_SECRET_ACCESS_KEY'] },
  },
});
