/**
 * Decoding for prompt-injection screening, without Node built-ins (workflow-safe): strict UTF-8,
 * base64 / base64url and hex, the runs of such blobs in a text, and whether what they decode to
 * reads as text.
 */

/** Strict UTF-8; undefined on a malformed sequence (binary data). */
export function utf8(bytes: ArrayLike<number>): string | undefined {
  const out: string[] = [];
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const n =
      b < 0x80
        ? 0
        : b >= 0xc2 && b < 0xe0
          ? 1
          : b >= 0xe0 && b < 0xf0
            ? 2
            : b >= 0xf0 && b < 0xf5
              ? 3
              : -1;
    if (n < 0) return undefined;
    let cp = n === 0 ? b : b & (0x3f >> n);
    for (let k = 1; k <= n; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    out.push(String.fromCodePoint(cp));
    i += n + 1;
  }
  return out.join('');
}

const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (B64[c.charCodeAt(0)] = i));
B64[0x2d] = 62; // '-' (base64url)
B64[0x5f] = 63; // '_'

function fromBase64(s: string): number[] | undefined {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c === 0x3d || c === 0x0a || c === 0x0d) continue;
    const v = c < 128 ? (B64[c] ?? -1) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  return bytes;
}

export const latin1 = (bytes: number[]): string =>
  bytes.map((b) => String.fromCharCode(b)).join('');
export const fromHex = (s: string): number[] =>
  (s.match(/[0-9a-fA-F]{2}/g) ?? []).map((h) => parseInt(h, 16));

/** Mostly printable text with some letters; binary (images, hashes, keys) is not. */
function printable(text: string | undefined): text is string {
  if (text === undefined || text.length < 6 || !/[A-Za-z0-9\u00c0-\uffff]{2}/.test(text))
    return false;
  let ok = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (
      (c >= 0x20 && c !== 0x7f && (c < 0x80 || c >= 0xa0) && c !== 0xfffd) ||
      c === 9 ||
      c === 10 ||
      c === 13
    )
      ok += 1;
  }
  return ok / text.length >= 0.9;
}

/** Decoding is only attempted on this much of a blob: instructions are short, images are not. */
const MAX_BLOB = 8192;
/** Spaced hex bytes ("49 67 6e …"); printable ASCII bytes all start with a digit 2-7. */
const SPACED_HEX =
  /(?<![0-9A-Za-z])[2-7][0-9a-fA-F][ :](?:[0-9a-fA-F]{2}[ :]){6,}[0-9a-fA-F]{2}(?![0-9A-Za-z])/g;
const ESCAPED_HEX = /(?:\\x[0-9a-fA-F]{2}){4,}/g;
const isBase64Char = (c: number): boolean => c < 128 && (B64[c] ?? -1) >= 0;

/**
 * Runs of 16+ base64 (or base64url, or hex) characters, with their padding and any lines they
 * wrap onto. A loop rather than a regular expression: it is the one pass over every character.
 */
export function blobRuns(input: string): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < input.length) {
    if (!isBase64Char(input.charCodeAt(i))) {
      i += 1;
      continue;
    }
    const start = i;
    while (i < input.length && isBase64Char(input.charCodeAt(i))) i += 1;
    if (i - start < 16) continue;
    let end = i;
    for (;;) {
      while (end < input.length && end - i < 2 && input.charCodeAt(end) === 0x3d) end += 1;
      let next = end + (input.charCodeAt(end) === 0x0d ? 1 : 0);
      if (input.charCodeAt(next) !== 0x0a) break;
      next += 1;
      let line = next;
      while (line < input.length && isBase64Char(input.charCodeAt(line))) line += 1;
      if (line - next < 4) break;
      end = i = line;
    }
    runs.push([start, end]);
    i = end;
  }
  for (const re of [SPACED_HEX, ESCAPED_HEX]) {
    for (const m of input.matchAll(re)) runs.push([m.index, m.index + m[0].length]);
  }
  return runs;
}

export function decodeBlob(blob: string): string | undefined {
  const s = blob.slice(0, MAX_BLOB);
  const hexDigits = s.replace(/^0x|\\x|[ :]/g, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(hexDigits) && (hexDigits.length >= 16 || s.includes('\\x'))) {
    const text = utf8(fromHex(hexDigits));
    if (printable(text)) return text;
    if (!/^[A-Za-z0-9+/]+$/.test(s)) return undefined;
  }
  const bytes = fromBase64(s.length % 4 === 1 ? s.slice(0, -1) : s);
  const text = bytes && utf8(bytes);
  return printable(text) ? text : undefined;
}
