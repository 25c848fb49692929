/** Anything with a case-insensitive `get`, like fetch's Headers. */
export interface HeaderBag {
  get(name: string): string | null | undefined;
}

/**
 * How long the vendor asked us to wait, in ms: `retry-after-ms` (OpenAI), then `retry-after` as
 * seconds or as an HTTP date. Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(headers: HeaderBag | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const raw = headers.get('retry-after');
  if (raw == null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
