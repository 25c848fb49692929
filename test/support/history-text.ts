import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * Everything a history as Temporal stores it says, as text: each string of its JSON, and each
 * base64 value (payload data, metadata) decoded too. What anyone reading the raw history (the Web
 * UI without a codec, `temporal workflow show`, a database dump) can read.
 */
export function storedText(history: temporal.api.history.v1.IHistory): string {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    else if (typeof value === 'string') {
      out.push(value);
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0)
        out.push(Buffer.from(value, 'base64').toString('utf8'));
    }
  };
  walk(JSON.parse(historyToJSON(history)));
  return out.join('\n');
}
