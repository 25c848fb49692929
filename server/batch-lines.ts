import { StringDecoder } from 'node:string_decoder';

/** Why a JSONL upload was cut off: a line or the whole upload over its limit. */
export class UploadTooLarge extends Error {
  override readonly name = 'UploadTooLarge';
  constructor(
    readonly what: 'line' | 'upload',
    readonly limitBytes: number,
    /** The 1-based line that was too long (`line` only). */
    readonly line?: number,
  ) {
    super(`${what} over ${limitBytes} bytes`);
  }
}

/**
 * The non-blank lines of a stream, one at a time (`\n` or `\r\n`), with their 1-based line
 * numbers: the upload is never held whole. A line longer than `maxLineBytes`, or more than
 * `maxBytes` in all, ends the read with `UploadTooLarge`.
 */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>,
  limits: { maxLineBytes: number; maxBytes: number },
): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let read = 0;
  let line = 0;
  const emit = function* (text: string): Generator<{ line: number; text: string }> {
    line++;
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (Buffer.byteLength(trimmed) > limits.maxLineBytes)
      throw new UploadTooLarge('line', limits.maxLineBytes, line);
    if (trimmed.trim() !== '') yield { line, text: trimmed };
  };
  for await (const chunk of stream) {
    read += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (read > limits.maxBytes) throw new UploadTooLarge('upload', limits.maxBytes);
    carry += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let at = carry.indexOf('\n'); at !== -1; at = carry.indexOf('\n', start)) {
      yield* emit(carry.slice(start, at));
      start = at + 1;
    }
    carry = carry.slice(start);
    // A line still open may not grow past its limit while it waits for its end.
    if (carry.length > limits.maxLineBytes)
      throw new UploadTooLarge('line', limits.maxLineBytes, line + 1);
  }
  carry += decoder.end();
  if (carry !== '') yield* emit(carry);
}
