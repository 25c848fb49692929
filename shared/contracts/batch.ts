/**
 * Batches: one task over many inputs. The items live in the tenant store (`store.batches`), not in
 * any workflow's input: the parent workflow `runBatch` gets the batch id and the range of items its
 * run covers, runs each item as a child `runTask` (the single-task pipeline, unchanged), and
 * records each item's outcome in the store. Types only here besides plain constants: workflow
 * code imports this module.
 */
import type { JobTenancy, TaskOptions } from './job';

/** `POST /v1/batches` with a JSON body: at most this many items (and the body limit). */
export const MAX_JSON_BATCH_ITEMS = 1_000;
/** `POST /v1/batches` with a JSONL upload: at most this many items (one per non-blank line). */
export const MAX_JSONL_BATCH_ITEMS = 100_000;
/** A JSONL upload's size limit, whatever its line count (each line is also ≤ the body limit). */
export const MAX_JSONL_BATCH_BYTES = 256 * 1024 * 1024;
/** Invalid items listed in the 202 (and the 400 when none is valid); the rest are counted. */
export const MAX_LISTED_ITEM_ERRORS = 20;

export const BatchStatus = {
  running: 'running',
  /** Every item has an outcome (some may have failed: a failing item never fails a batch). */
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

export const BatchItemStatus = {
  /** Not started yet. */
  pending: 'pending',
  /** Started, or next in line to start (loaded by the batch's run). */
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type BatchItemStatus = (typeof BatchItemStatus)[keyof typeof BatchItemStatus];

export const BATCH_ITEM_STATUSES = Object.values(BatchItemStatus);
export const FINISHED_ITEM_STATUSES: readonly BatchItemStatus[] = [
  'completed',
  'failed',
  'cancelled',
];

/** A failed item's problem: the slug of the problem table, and Keel's own message. */
export interface ItemProblem {
  /** The problem's slug (`invalid-request`, `all-candidates-failed`, …). */
  slug: string;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The options a batch's items share: the subset of a task's options that means something here. */
export type BatchOptions = Pick<TaskOptions, 'route' | 'review' | 'allowDegraded'>;

/** The parent workflow's argument: ids, counts and terms, never items. */
export interface RunBatchArgs {
  batchId: string;
  tenantId: string;
  task: string;
  options: BatchOptions;
  /** The tenant's terms for every item (no concurrency slot: the batch bounds its own). */
  tenancy?: JobTenancy;
  requestId: string;
  /** Items in the batch (valid or not); indexes run 0 … total − 1. */
  total: number;
  /** The first index this run covers (0, then where the run before it continued as new). */
  next: number;
  /** Items running at once. */
  concurrency: number;
  /** Items a run starts before it continues as new (its history stays small). */
  itemsPerRun: number;
}

/** An item the parent starts: its index, its job id (chosen at submission) and its input. */
export interface BatchItemToRun {
  index: number;
  jobId: string;
  input: unknown;
}

/** What the parent records for an item once its job has ended. */
export interface BatchItemOutcome {
  index: number;
  status: 'completed' | 'failed' | 'cancelled';
  /** What the item's job cost (completed items: the result's costUsd), in micro-USD. */
  costMicros: number;
  problem?: ItemProblem;
}

/** Counts by item status. */
export type BatchCounts = Record<BatchItemStatus, number>;

/** How a batch run ended (the workflow's result, small). */
export interface RunBatchResult {
  status: BatchStatus;
  counts: BatchCounts;
}
