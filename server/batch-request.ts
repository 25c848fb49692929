import {
  MAX_JSON_BATCH_ITEMS,
  MAX_JSONL_BATCH_BYTES,
  MAX_JSONL_BATCH_ITEMS,
  type BatchOptions,
} from '../shared/contracts/batch';
import { toFieldErrors } from '../shared/contracts/errors';
import { readLines, UploadTooLarge } from './batch-lines';
import {
  BatchOptionsSchema,
  CreateBatchBody,
  malformedLine,
  type BatchSubmission,
} from './batch-submission';
import { invalidRequest, ProblemError } from './problem';

/**
 * What `POST /v1/batches` asks, read from its JSON body or its JSONL upload's query and lines.
 * Refusals name the field: `task`, `items`, `query.route`, `line 4`.
 */

/** `{task, options?, items}`; 413 past the JSON limit, 400 naming the field otherwise. */
export function parseJsonBody(body: unknown): {
  task: string;
  options: BatchOptions;
  items: unknown[];
} {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (Array.isArray(items) && items.length > MAX_JSON_BATCH_ITEMS) throw tooMany('json');
  const parsed = CreateBatchBody.safeParse(body);
  if (!parsed.success) {
    throw invalidRequest(
      'The body must be {"task": "...", "options"?: {...}, "items": [...]}.',
      toFieldErrors(parsed.error.issues),
    );
  }
  return { task: parsed.data.task, options: parsed.data.options ?? {}, items: parsed.data.items };
}

/** A JSONL upload's query: `task` (required), `route` (comma-separated), `review`, `allowDegraded`. */
export function parseQuery(query: Record<string, unknown>): {
  task: string;
  options: BatchOptions;
  items?: undefined;
} {
  const one = (name: string): string | undefined =>
    typeof query[name] === 'string' ? query[name] : undefined;
  const task = one('task');
  if (!task)
    throw invalidRequest('Name the task: ?task=…', [{ field: 'query.task', message: 'required' }]);
  const raw = {
    ...(one('route')
      ? {
          route: one('route')!
            .split(',')
            .map((r) => r.trim()),
        }
      : {}),
    ...(one('review') ? { review: one('review') } : {}),
    ...(one('allowDegraded') ? { allowDegraded: one('allowDegraded') === 'true' } : {}),
  };
  const options = BatchOptionsSchema.safeParse(raw);
  if (!options.success)
    throw invalidRequest('Invalid options.', toFieldErrors(options.error.issues, 'query'));
  return { task, options: options.data };
}

export async function readJsonl(
  stream: AsyncIterable<Buffer | string>,
  submission: BatchSubmission,
  maxLineBytes: number,
): Promise<void> {
  try {
    for await (const { text } of readLines(stream, {
      maxLineBytes,
      maxBytes: MAX_JSONL_BATCH_BYTES,
    })) {
      if (submission.total >= MAX_JSONL_BATCH_ITEMS) throw tooMany('jsonl');
      let item: unknown;
      try {
        item = JSON.parse(text);
      } catch {
        item = malformedLine(text);
      }
      await submission.add(item);
    }
  } catch (err) {
    if (!(err instanceof UploadTooLarge)) throw err;
    if (err.what === 'upload') throw tooMany('jsonl');
    throw ProblemError.of(
      'payload-too-large',
      `Line ${err.line} is over the limit of ${err.limitBytes} bytes.`,
      { limitBytes: err.limitBytes, errors: [{ field: `line ${err.line}`, message: 'too long' }] },
      { headers: { connection: 'close' } },
    );
  }
}

function tooMany(kind: 'json' | 'jsonl'): ProblemError {
  const limit = kind === 'json' ? MAX_JSON_BATCH_ITEMS : MAX_JSONL_BATCH_ITEMS;
  return ProblemError.of(
    'too-many-items',
    kind === 'json'
      ? `A JSON body takes at most ${limit} items; upload JSONL (application/x-ndjson) for up to ${MAX_JSONL_BATCH_ITEMS}.`
      : `An upload takes at most ${limit} items and ${MAX_JSONL_BATCH_BYTES} bytes.`,
    { limit, errors: [{ field: 'items', message: `at most ${limit}` }] },
    kind === 'jsonl' ? { headers: { connection: 'close' } } : {},
  );
}
