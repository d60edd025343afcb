/**
 * The readers of the shipped sinks' nodes, driven in one Python process per batch: each request names
 * a file on disk and how the node reads it. Library readers are the real ones (PyYAML's FullLoader,
 * configparser with the node's options, json, python-dotenv's find_dotenv + dotenv_values); the two
 * hand-written readers (huggingface_hub's token file, LayerStyle's api_key.ini) are re-written here
 * from the rules their code follows, not copied.
 */
import { spawnSync } from 'node:child_process';
import { PYTHON } from './real-readers';

export type NodeReadRequest =
  /** `yaml.load(open(file), Loader=yaml.FullLoader)` (ComfyUI-Easy-Use); dates come back as str(). */
  | { reader: 'pyyaml'; file: string }
  /** `ConfigParser(interpolation=…)` `.read(file, encoding)`, then `dict(parser[section])`. */
  | { reader: 'configparser'; file: string; section: string; interpolation?: 'basic' | 'none'; encoding?: string }
  /** `json.load(open(file, encoding=…))`. */
  | { reader: 'json'; file: string; encoding?: string }
  /** python-dotenv's `dotenv_values(file)`, which `load_dotenv` applies. */
  | { reader: 'dotenv'; file: string }
  /** `load_dotenv()` as a module in `fromDir` calls it: `find_dotenv` walks up from there; the file it finds, read by `dotenv_values`. */
  | { reader: 'find-dotenv'; fromDir: string }
  /** huggingface_hub's token file: read as text, every CR and LF removed, then `str.strip()`; empty is no token. */
  | { reader: 'hf-token'; file: string }
  /** LayerStyle's api_key.ini: `readlines()`, the first line starting with `name=`, the rest of it stripped, quote characters deleted. */
  | { reader: 'layerstyle'; file: string; names: readonly string[] };

export type NodeReadResult = { value: unknown; found?: string } | { error: string };

const SCRIPT = String.raw`
import configparser, json, os, sys, logging
logging.disable(logging.CRITICAL)
import yaml
from dotenv import dotenv_values, find_dotenv

def hf_token(path):
    with open(path) as handle:
        text = handle.read()
    text = text.replace('\r', '').replace('\n', '').strip()
    return text or None

LAYERSTYLE_QUOTES = ['"', "'", '\u201c', '\u201d', '\u2018', '\u2019']

def layerstyle(path, name):
    value = ''
    with open(path, 'r') as handle:
        for line in handle.readlines():
            if line.startswith(name + '='):
                value = line[line.find('=') + 1:].rstrip().lstrip()
                break
    for char in LAYERSTYLE_QUOTES:
        value = value.replace(char, '')
    return value

out = []
for request in json.load(sys.stdin):
    try:
        kind = request['reader']
        if kind == 'pyyaml':
            with open(request['file']) as handle:
                out.append({'value': json.loads(json.dumps(yaml.load(handle, Loader=yaml.FullLoader), default=str))})
        elif kind == 'configparser':
            interpolation = configparser.BasicInterpolation() if request.get('interpolation', 'basic') == 'basic' else None
            parser = configparser.ConfigParser(interpolation=interpolation)
            parser.read(request['file'], encoding=request.get('encoding'))
            section = request['section']
            values = {}
            if section == 'DEFAULT' or parser.has_section(section):
                for key in parser[section]:
                    try:
                        values[key] = parser[section][key]
                    except Exception as error:
                        values[key] = {'error': type(error).__name__}
            out.append({'value': values})
        elif kind == 'json':
            with open(request['file'], encoding=request.get('encoding')) as handle:
                out.append({'value': json.load(handle)})
        elif kind == 'dotenv':
            out.append({'value': dict(dotenv_values(request['file']))})
        elif kind == 'find-dotenv':
            os.chdir(request['fromDir'])
            found = find_dotenv(usecwd=True)
            out.append({'value': dict(dotenv_values(found)) if found else {}, 'found': found})
        elif kind == 'hf-token':
            out.append({'value': hf_token(request['file'])})
        elif kind == 'layerstyle':
            out.append({'value': {name: layerstyle(request['file'], name) for name in request['names']}})
        else:
            out.append({'error': 'unknown reader ' + kind})
    except Exception as error:
        out.append({'error': type(error).__name__ + ': ' + str(error)[:200]})
json.dump(out, sys.stdout)
`;

/** Reads every request in one Python process (Debian's python3 with python3-yaml and python3-dotenv, in a UTF-8 locale). */
export function readAsNodes(requests: readonly NodeReadRequest[]): NodeReadResult[] {
  if (requests.length === 0) return [];
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`node readers failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as NodeReadResult[];
}

/** One read; throws with the reader's error. */
export function readAsNode(request: NodeReadRequest): { value: unknown; found?: string } {
  const [result] = readAsNodes([request]);
  if (!result || 'error' in result) throw new Error(`reader ${request.reader} failed: ${result && 'error' in result ? result.error : 'no result'}`);
  return result;
}
