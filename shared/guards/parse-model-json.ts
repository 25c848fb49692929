/**
 * Tolerant, safe parsing of model text that should be JSON: plain JSON, JSON inside a ```json
 * fence, or JSON after a line of prose. Never throws; says why when it fails.
 */
export type ParsedModelJson =
  | { ok: true; value: unknown; repaired: 'none' | 'fence' | 'extracted' }
  | { ok: false; reason: 'empty' | 'no-json' | 'truncated' | 'invalid'; message: string };

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** The first balanced {...} or [...] in `text`, honouring strings; undefined when unbalanced. */
function firstBalanced(text: string): { json: string } | { unbalanced: true } | undefined {
  const start = text.search(/[{[]/);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth === 0) return { json: text.slice(start, i + 1) };
    }
  }
  return { unbalanced: true };
}

export function parseModelJson(text: string | undefined | null): ParsedModelJson {
  const trimmed = (text ?? '').trim();
  if (!trimmed) return { ok: false, reason: 'empty', message: 'the model returned no text' };
  const direct = tryParse(trimmed);
  if (direct.ok) return { ok: true, value: direct.value, repaired: 'none' };

  const fence = /```(?:json|JSON)?\s*\n?([\s\S]*?)\n?```/.exec(trimmed);
  if (fence?.[1]) {
    const fenced = tryParse(fence[1].trim());
    if (fenced.ok) return { ok: true, value: fenced.value, repaired: 'fence' };
  }
  const found = firstBalanced(trimmed);
  if (!found) return { ok: false, reason: 'no-json', message: 'no JSON object in the model text' };
  if ('unbalanced' in found) {
    return { ok: false, reason: 'truncated', message: 'the JSON in the model text is cut off' };
  }
  const extracted = tryParse(found.json);
  if (extracted.ok) return { ok: true, value: extracted.value, repaired: 'extracted' };
  return { ok: false, reason: 'invalid', message: `invalid JSON: ${extracted.message}` };
}
