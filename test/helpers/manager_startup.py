"""A test model of how each ComfyUI-Manager release finds, migrates and reads config.ini at start.

Written for comfy-secrets' tests from what Manager's code does across its releases (read with
`git show TAG:glob/manager_core.py`, `glob/manager_migration.py`, `prestartup_script.py`,
`git_helper.py`); none of Manager's code is copied here. It uses the real configparser with the
options each release uses.

stdin: {"comfyui": dir, "user": dir, "version": "3.38.1", "pip": bool, "api": bool, "uv": bool}
  api: ComfyUI's folder_paths has get_system_user_directory; uv: the uv module is importable.
stdout: {"settings": what read_config returns, "prestartup": what prestartup/git_helper use,
         "notices": [...], "config": the path read}
The tree is changed as Manager changes it (migration, the default file it writes when there is none).
"""
import configparser
import json
import os
import shutil
import sys

DEFAULT_CHANNEL = 'https://raw.githubusercontent.com/ltdrdata/ComfyUI-Manager/main'
PREVIEW = 'none'  # what ComfyUI's --preview-method is in these tests


def ver(text):
    parts = [int(p) for p in text.split('.')[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


# (key, first release that reads it, kind, default when the key is missing from the file)
# kind: 'text' as read, 'lower' lowercased (from 3.21.2; as read before), 'bool' value.lower() == 'true'
KEYS = [
    ('preview_method', (0, 0, 0), 'lower', PREVIEW),
    ('git_exe', (0, 0, 0), 'text', ''),
    ('channel_url', (0, 0, 0), 'text', DEFAULT_CHANNEL),
    ('share_option', (0, 0, 0), 'lower', 'all'),
    ('bypass_ssl', (0, 0, 0), 'bool', False),
    ('file_logging', (0, 0, 0), 'bool', True),
    ('component_policy', (0, 0, 0), 'lower', 'workflow'),
    ('windows_selector_event_loop_policy', (0, 0, 0), 'bool', False),
    ('model_download_by_agent', (0, 0, 0), 'bool', False),
    ('downgrade_blacklist', (0, 0, 0), 'lower', ''),
    ('security_level', (2, 33, 0), 'lower', 'normal'),
    ('use_uv', (3, 16, 0), 'bool', False),
    ('network_mode', (3, 19, 0), 'lower', 'public'),
    ('update_policy', (3, 25, 0), 'lower', 'stable-comfyui'),
    ('db_mode', (3, 27, 3), 'lower', 'cache'),
]


def allow_since(v):
    return (4, 2, 2) if v[0] >= 4 else (3, 41, 0)


def keys_of(v):
    keys = [k for k in KEYS if v >= k[1]]
    if v >= allow_since(v):
        keys += [('allow_git_url_install', allow_since(v), 'bool', False), ('allow_pip_install', allow_since(v), 'bool', False)]
    return keys


def read_config(path, v, uv):
    """read_config(): one try around the whole read; any exception gives every default."""
    try:
        parser = configparser.ConfigParser(strict=v < (3, 25, 1))
        parser.read(path)
        section = parser['default']
        result = {}
        for key, _since, kind, default in keys_of(v):
            if kind == 'bool':
                # From 3.19 a helper reads booleans and ignores its default: a missing key is False.
                missing = False if v >= (3, 19, 0) else default
                result[key] = section[key].lower() == 'true' if key in section else missing
            else:
                value = section.get(key, default)
                result[key] = value.lower() if kind == 'lower' and v >= (3, 21, 2) else value
        if 'security_level' in result and v < (3, 21, 2) and 'disable_unsecure_features' in section:
            result['security_level'] = 'strong' if section['disable_unsecure_features'].lower() == 'true' else 'normal'
        return result
    except Exception:
        result = {key: default for key, _since, _kind, default in keys_of(v)}
        if 'use_uv' in result and v >= (3, 33, 5):
            # 3.33.5 kept find_spec's result itself (None when uv is missing).
            result['use_uv'] = uv if uv or v >= (3, 33, 6) else None
        return result


def write_defaults(path, settings):
    """Manager's server writes its full settings when it finds no config.ini."""
    parser = configparser.ConfigParser()
    parser['default'] = {key: str(value) for key, value in settings.items()}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        parser.write(out)


def migrate(user, files, notices):
    """3.38+ on a ComfyUI with get_system_user_directory: the one-time move to __manager."""
    legacy_dir = os.path.join(user, 'default', 'ComfyUI-Manager')
    legacy = os.path.join(legacy_dir, 'config.ini')
    new = os.path.join(files, 'config.ini')
    backup = os.path.join(files, '.legacy-manager-backup')
    if not os.path.isdir(legacy_dir) or not os.path.exists(legacy):
        return
    if os.path.exists(new):
        notices.append('first-update: legacy set aside unread')
    else:
        parser = configparser.ConfigParser()
        try:
            parser.read(legacy)
        except Exception:
            notices.append('migration: legacy config unreadable, defaults used')
            parser = None
        if parser is not None:
            if 'default' in parser and parser['default'].get('security_level', 'normal').lower() in ('weak', 'normal-'):
                parser['default']['security_level'] = 'normal'
                notices.append('migration: security level raised')
            os.makedirs(files, exist_ok=True)
            with open(new, 'w') as out:
                parser.write(out)
            notices.append('migrated')
    if os.path.exists(backup):
        shutil.rmtree(backup)
    shutil.move(legacy_dir, backup)


def prestartup_of(path, v):
    """prestartup_script.py (and, before 3.5, git_helper.py): each key only when present, before the core loads."""
    readers = [('file_logging', lambda s: s['file_logging'].lower() != 'false'), ('bypass_ssl', lambda s: s['bypass_ssl'].lower() == 'true')]
    out = {'file_logging': True, 'bypass_ssl': False}
    if v < (3, 5, 0):
        # git_helper.py read git_exe itself; from 3.5 the core hands it over in GIT_EXE_PATH.
        readers.append(('git_exe', lambda s: s['git_exe']))
        out['git_exe'] = ''
    if v >= (3, 16, 0):
        readers.append(('use_uv', lambda s: s['use_uv'].lower() == 'true'))
        out['use_uv'] = None  # left as manager_util has it
    try:
        parser = configparser.ConfigParser(strict=v < (3, 25, 1))
        parser.read(path)
        section = parser['default']
    except Exception:
        return out
    for key, read in readers:
        try:
            if key in section:
                out[key] = read(section)
        except Exception:
            pass
    return out


def start(request):
    v = ver(request['version'])
    pip, api, uv = request['pip'], request['api'], request['uv']
    comfyui, user = request['comfyui'], request['user']
    node_config = os.path.join(comfyui, 'custom_nodes', 'ComfyUI-Manager', 'config.ini')
    notices = []
    if pip or v >= (4, 0, 0):
        files = os.path.join(user, '__manager')
    elif v >= (3, 38, 0):
        files = os.path.join(user, '__manager') if api else os.path.join(user, 'default', 'ComfyUI-Manager')
    elif v >= (3, 1, 0):
        files = os.path.join(user, 'default', 'ComfyUI-Manager')
    else:
        files = os.path.dirname(node_config)
    config = os.path.join(files, 'config.ini')
    # The prestartup script runs first, before the core module migrates anything; before 3.5 it and
    # git_helper.py read the file next to the code.
    prestartup = prestartup_of(node_config if v < (3, 5, 0) else config, v)
    if (3, 38, 0) <= v < (4, 0, 0) and not pip:
        if api:
            os.makedirs(files, exist_ok=True)
            migrate(user, files, notices)
        else:
            suspicious = os.path.join(user, '__manager', 'config.ini')
            if os.path.exists(suspicious):
                parser = configparser.ConfigParser()
                parser.read(suspicious)
                if parser.get('default', 'security_level', fallback='normal').lower() in ('weak', 'normal-'):
                    notices.append('suspicious path')
    settings = read_config(config, v, uv)
    if (3, 38, 0) <= v < (4, 0, 0) and not pip and not api:
        settings['security_level'] = 'strong'
    if not os.path.exists(config):
        write_defaults(config, settings)
    return {'settings': settings, 'prestartup': prestartup, 'notices': notices, 'config': os.path.relpath(config, comfyui)}


if __name__ == '__main__':
    print(json.dumps(start(json.load(sys.stdin))))
