import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_JSONL_BATCH_BYTES, MAX_JSONL_BATCH_ITEMS } from '../../shared/contracts/batch';
import { readLines, UploadTooLarge } from '../batch-lines';
import { CliError, ExitCode, oneLine } from './api';

/** Malformed lines named in the error; the rest are counted. */
const LISTED_LINES = 3;

/**
 * Reads a JSONL file through once before it is uploaded (a line at a time, never whole): every
 * non-blank line must be JSON. A malformed line is the caller's to fix, so it stops the
 * submission naming the line (numbered as the API numbers them: every line counts, blank ones
 * included) instead of becoming a failed item of a batch that then runs without it.
 * Returns the number of items.
 */
export async function checkItemsFile(file: string, shown: string): Promise<number> {
  try {
    if (!(await stat(file)).isFile()) throw new CliError(`${shown} is not a file.`, ExitCode.usage);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${shown}: ${fsReason(err)}`, ExitCode.usage);
  }
  const bad: Array<{ line: number; why: string }> = [];
  let malformed = 0;
  let items = 0;
  try {
    // The API's own line reader: the same line numbers, blank lines skipped, the same size limit.
    for await (const { line, text } of readLines(createReadStream(file), {
      maxLineBytes: MAX_JSONL_BATCH_BYTES,
      maxBytes: MAX_JSONL_BATCH_BYTES,
    })) {
      items++;
      try {
        JSON.parse(text);
      } catch (err) {
        malformed++;
        if (bad.length < LISTED_LINES) bad.push({ line, why: oneLine((err as Error).message) });
      }
    }
  } catch (err) {
    if (err instanceof UploadTooLarge)
      throw new CliError(
        `${shown} is over the ${MAX_JSONL_BATCH_BYTES} bytes a batch takes.`,
        ExitCode.usage,
      );
    throw new CliError(`cannot read ${shown}: ${fsReason(err)}`, ExitCode.usage);
  }
  if (malformed > 0) {
    const listed = bad.map((b) => `line ${b.line}: not valid JSON (${b.why})`);
    if (malformed > bad.length) listed.push(`${malformed - bad.length} more`);
    throw new CliError(`${shown} ${listed.join('; ')}. Nothing was submitted.`, ExitCode.usage);
  }
  if (items > MAX_JSONL_BATCH_ITEMS)
    throw new CliError(
      `${shown} has ${items} items; a batch takes at most ${MAX_JSONL_BATCH_ITEMS}.`,
      ExitCode.usage,
    );
  if (items === 0)
    throw new CliError(`${shown} has no items (one JSON value per line).`, ExitCode.usage);
  return items;
}

/** The file as the user named it, resolved against the directory they ran the command in. */
export function resolveFrom(cwd: string, file: string): string {
  return path.resolve(cwd, file);
}

function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a directory';
  return oneLine(e.message ?? String(err));
}
