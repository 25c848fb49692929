/**
 * Splitting a long text into chunks a single model call can take. Pure and workflow-safe.
 *
 * A chunk ends at the best break before `maxChars`: a paragraph break (a blank line) in its last
 * half, else a sentence end (`.`, `!` or `?` followed by whitespace), else any whitespace, else
 * (one unbroken run of characters) at `maxChars` itself. The next chunk starts `overlapChars`
 * before that end, moved forward to a word start, so a sentence cut at the boundary is read whole
 * by one of the two. Every character of the text is in at least one chunk; chunks hold the
 * text's own characters (`text.slice(start, end)`), in order.
 */

export interface Chunk {
  /** Zero-based position in the document. */
  index: number;
  /** Offsets in the source: the chunk is `source.slice(start, end)`. */
  start: number;
  end: number;
  text: string;
}

export interface ChunkOptions {
  /** Longest chunk, in characters. */
  maxChars: number;
  /** Characters repeated from the end of one chunk at the start of the next. Under maxChars / 2. */
  overlapChars: number;
}

const PARAGRAPH = /\n[ \t]*\n/g;
const SENTENCE_END = /[.!?]["'’”)\]]*\s/g;
const SPACE = /\s/g;

/** The last match of `pattern` ending in (from, to]: the offset just after it, or -1. */
function lastBreak(text: string, pattern: RegExp, from: number, to: number): number {
  pattern.lastIndex = from;
  let found = -1;
  for (let m = pattern.exec(text); m && m.index < to; m = pattern.exec(text)) {
    const end = m.index + m[0].length;
    if (end <= to) found = end;
    if (m[0].length === 0) pattern.lastIndex += 1;
  }
  return found;
}

/** Where a chunk starting at `start` should end (exclusive), at most `start + maxChars`. */
function chunkEnd(text: string, start: number, maxChars: number): number {
  const limit = start + maxChars;
  if (limit >= text.length) return text.length;
  const half = start + Math.floor(maxChars / 2);
  for (const pattern of [PARAGRAPH, SENTENCE_END, SPACE]) {
    const at = lastBreak(text, pattern, half, limit);
    if (at > start) return at;
  }
  return limit;
}

/** The first word start at or after `at` (and before `end`); `at` itself when there is none. */
function wordStart(text: string, at: number, end: number): number {
  if (at === 0 || /\s/.test(text[at - 1]!)) return at;
  for (let i = at; i < end; i++) if (/\s/.test(text[i]!)) return i + 1;
  return at;
}

/** Splits `text` into chunks of at most `maxChars` characters; one chunk when it fits. */
export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  const { maxChars, overlapChars } = options;
  if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError('maxChars must be ≥ 2');
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars * 2 >= maxChars) {
    throw new RangeError('overlapChars must be ≥ 0 and under maxChars / 2');
  }
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < text.length) {
    const end = chunkEnd(text, start, maxChars);
    chunks.push({ index: chunks.length, start, end, text: text.slice(start, end) });
    if (end >= text.length) break;
    // Each chunk ends past its start's half: stepping back by under half a chunk moves forward.
    const next = wordStart(text, Math.max(end - overlapChars, start + 1), end);
    start = next > start ? next : end;
  }
  return chunks;
}
