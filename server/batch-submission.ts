import { createHash, randomUUID, type Hash } from 'node:crypto';
import { z } from 'zod';
import {
  MAX_LISTED_ITEM_ERRORS,
  type BatchOptions,
  type ItemProblem,
} from '../shared/contracts/batch';
import { canonicalJson } from '../shared/contracts/canonical-json';
import { toFieldErrors, type FieldError } from '../shared/contracts/errors';
import { TaskOptions } from '../shared/contracts/job';
import type { AnyTaskDefinition } from '../shared/tasks';
import type { BatchStore, NewBatchItem } from '../shared/tenancy/store/batches';

/** The options a batch takes: the ones that mean something without a caller waiting. */
export const BatchOptionsSchema = TaskOptions.pick({
  route: true,
  review: true,
  allowDegraded: true,
}).strict();

/** Items written to the store per round trip while a submission is read. */
const WRITE_EVERY = 500;

/** An item the caller sent that is not an input: a JSONL line that is not JSON. */
export interface MalformedItem {
  malformed: string;
}

/**
 * One submission, item by item as it is read (a JSONL upload is never held whole): each item is
 * checked against the task's input schema, written to the store in pages under its index and a
 * job id of its own, and hashed into the submission's fingerprint (an Idempotency-Key retry must
 * send the same task, options and items). An invalid item is kept as a failed item with its
 * problem; it never runs. With `write: false` it only hashes (a retry of a stored batch).
 */
export class BatchSubmission {
  readonly batchId: string;
  total = 0;
  invalid = 0;
  /** The first invalid items' field errors, for the answer. */
  readonly errors: FieldError[] = [];
  private readonly hash: Hash;
  private pending: NewBatchItem[] = [];

  constructor(
    private readonly args: {
      batchId: string;
      task: AnyTaskDefinition;
      options: BatchOptions;
      store: BatchStore;
      write: boolean;
      /** An item's field as errors name it: `items[3].body` (JSON), `line 4: body` (JSONL). */
      label: (index: number, field: string) => string;
    },
  ) {
    this.batchId = args.batchId;
    this.hash = createHash('sha256')
      .update(`${args.task.name}\n`)
      .update(`${canonicalJson(args.options)}\n`);
  }

  get fingerprint(): string {
    return this.hash.copy().digest('hex');
  }

  async add(item: unknown): Promise<void> {
    const index = this.total++;
    const malformed = isMalformed(item);
    this.hash.update(`${malformed ? `!${item.malformed}` : canonicalJson(item)}\n`);
    if (!this.args.write) return;
    const jobId = `${this.args.task.name}-${randomUUID()}`;
    const problem = malformed ? malformedProblem() : this.check(item);
    if (problem) {
      this.invalid++;
      for (const e of problem.errors ?? []) {
        if (this.errors.length < MAX_LISTED_ITEM_ERRORS)
          this.errors.push({ field: this.args.label(index, e.field), message: e.message });
      }
      this.pending.push({ index, jobId, problem });
    } else {
      this.pending.push({ index, jobId, input: item });
    }
    if (this.pending.length >= WRITE_EVERY) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const page = this.pending;
    this.pending = [];
    await this.args.store.insertItems(this.batchId, page);
  }

  private check(item: unknown): ItemProblem | undefined {
    const parsed = this.args.task.input.safeParse(item);
    if (parsed.success) return undefined;
    return {
      slug: 'invalid-request',
      detail: `The input does not match the "${this.args.task.name}" schema.`,
      errors: toFieldErrors(parsed.error.issues),
    };
  }
}

function isMalformed(item: unknown): item is MalformedItem {
  return (
    typeof item === 'object' &&
    item !== null &&
    MALFORMED in item &&
    typeof (item as unknown as MalformedItem).malformed === 'string'
  );
}

/** Marks a JSONL line that is not JSON (a symbol: no parsed item can carry it). */
const MALFORMED = Symbol('malformed');

export function malformedLine(text: string): MalformedItem {
  return Object.assign({ malformed: text }, { [MALFORMED]: true });
}

function malformedProblem(): ItemProblem {
  return {
    slug: 'malformed-json',
    detail: 'The line is not valid JSON.',
    errors: [{ field: '(line)', message: 'not valid JSON' }],
  };
}

/** `POST /v1/batches` with a JSON body. */
export const CreateBatchBody = z
  .object({
    task: z.string().min(1).describe('The task every item runs, e.g. `classify-ticket`.'),
    options: BatchOptionsSchema.optional(),
    items: z
      .array(z.unknown())
      .min(1)
      .describe("The inputs, each checked against the task's input schema."),
  })
  .strict();
