import { ConfigError } from '../errors';
import { UnwritableValueError, type Format } from './format';
import { PY_SPACE, hasLoneSurrogate } from './text';

const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]|[${PY_SPACE}]$`, 'u');

/**
 * A token file: the whole file is the one value, with no line break after it (huggingface_hub writes
 * its own token file so). Its readers strip: huggingface_hub's `_clean_token` removes every CR and LF
 * and then `str.strip()`s, `$(cat file)` drops trailing newlines. A value any of them would change is
 * refused, so what is written is what each of them reads.
 */
export function createTextFormat(): Format {
  return {
    label: 'text (one value)',
    parse: (text) => ({ value: text }),
    render({ entries }) {
      if (entries.length !== 1) {
        throw new ConfigError('BAD_FORMAT', `a text file holds exactly one value, but ${entries.length} keys are set (${entries.map(([key]) => key).join(', ')}); give the sink one variable`);
      }
      const [[key, value]] = entries as [readonly [string, string]];
      if (value === '') throw new UnwritableValueError(key, 'is empty; a token file reader reads an empty file as no token');
      if (/[\r\n]/.test(value)) throw new UnwritableValueError(key, 'holds a line break, which token file readers remove or stop at');
      if (EDGE_SPACE.test(value)) throw new UnwritableValueError(key, 'starts or ends with whitespace, which token file readers strip');
      if (hasLoneSurrogate(value)) throw new UnwritableValueError(key, 'is not valid Unicode text (it holds a lone surrogate), so it has no UTF-8 spelling');
      return value;
    },
  };
}
