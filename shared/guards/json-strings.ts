/** Walking the strings of a JSON value, with their paths (`lineItems.1.description`). */

export function stringsOf(value: unknown, path = ''): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path: path || '(root)', text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, join(path, String(i))));
  if (value && typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      stringsOf(v, join(path, k)),
    );
  return [];
}

export function transformStrings(
  value: unknown,
  fn: (text: string, path: string) => string,
  path = '',
): unknown {
  if (typeof value === 'string') return fn(value, path || '(root)');
  if (Array.isArray(value))
    return value.map((v, i) => transformStrings(v, fn, join(path, String(i))));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        transformStrings(v, fn, join(path, k)),
      ]),
    );
  return value;
}

const join = (a: string, b: string): string => (a ? `${a}.${b}` : b);

export function countBy(types: readonly string[]): Array<{ type: string; count: number }> {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([type, count]) => ({ type, count }));
}
