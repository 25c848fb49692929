import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { detectPii } from '../../shared/guards/pii';
import '../support/temporal-test-kit';

/**
 * Every recorded history in test/fixtures/histories replays against the current workflow code.
 * Re-record them with `npm run record:histories` (test/support/record-history.ts says how to keep
 * the old ones beside the new ones after a patched() change).
 */
const FIXTURES = path.join(__dirname, '../fixtures');
const DIR = path.join(FIXTURES, 'histories');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

interface HistoryJson {
  events: Array<{
    eventType: string;
    workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
  }>;
}
const load = (name: string): HistoryJson =>
  JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as HistoryJson;
const workflowType = (h: HistoryJson): string | undefined =>
  h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

/** The paths a change to the workflows must not break, one fixture each. */
const REQUIRED = [
  'run-task-classify-ticket.json', // the local model, before the fewer-round-trips-v1 patch
  'run-task-classify-ticket-fewer-round-trips-v1.json', // and after it
  'run-task-external.json', // an OpenAI-compatible provider, a regular activity
  'run-task-reask.json',
  'run-task-fallback.json',
  'run-task-degrade-fallback.json',
  'run-task-degrade-last-good.json', // with the circuit open at admission
  'run-task-breaker-probe.json', // the half-open probe, then the next candidate
  'run-task-review-decision.json', // a refused edit, then an accepted one
  'run-task-review-expired.json', // escalation, then the deadline
  'run-task-record-fails-close-cleanly-v1.json', // recordResult fails: KeelStatus failed
  'run-task-review-decision-after-deadline-v1.json', // audited past the deadline: honoured
  'run-task-losing-edit-close-cleanly-v1.json', // the run waits for the losing edit's 409
  'run-task-hedged-calls-v1.json', // a hedge: the in-process model wins, the slow call cancelled
  'run-task-tenant-slot-v1.json', // billed to a plan; the run frees its concurrency slot
  'run-task-failed-job-end-events-v1.json', // a failed job writes job.failed to the event log
  'run-task-cancelled-job-end-events-v1.json', // cancelled in review: withdrawn, job.cancelled
  'run-batch.json', // a batch's first run: two children, their outcomes, continue-as-new
  'run-long-task.json', // a long summarize: chunk, two map children, reduce, grounding, record
  'run-long-answer.json', // a long answer: 4 pieces in two map children, excerpts, reduce, ground, record
  'run-task-injection-model-check-v1.json', // a model's verdict: an unreadable one, then the next candidate's
  'run-task-verifier-v1.json', // the verifier scores an answer low: re-asked, then verified
  'provider-health.json', // the breaker entity: outcome signals, permit updates
  'review-queue.json', // the review queue entity
  'enforce-retention.json', // a retention run: one tenant's jobs and rows
  'enforce-retention-debug-samples-v1.json', // and, first, the expired debug samples
  'enforce-retention-unowned-blobs-v1.json', // then the blobs of no tenant
];

/** Every string in a history, payloads decoded (they are base64 JSON). */
function stringsOf(value: unknown, key = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => stringsOf(v));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringsOf(v, k));
  }
  if (typeof value !== 'string') return [];
  if (key !== 'data') return [value];
  const text = Buffer.from(value, 'base64').toString('utf8');
  try {
    return stringsOf(JSON.parse(text));
  } catch {
    return [text];
  }
}
const piiIn = (history: unknown): string[] =>
  stringsOf(history).flatMap((s) => detectPii(s).map((span) => `${span.type}: ${span.value}`));

describe('replay of recorded histories', () => {
  const results = new Map<string, ReplayResult>();
  beforeAll(async () => {
    const histories = FILES.map((f) => ({ workflowId: f, history: load(f) }));
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    )) {
      results.set(result.workflowId, result);
    }
  });

  it('the fixtures cover the external call, re-ask, fallback, degrade, review and both entities', () => {
    expect(FILES).toEqual(expect.arrayContaining(REQUIRED));
    expect(new Set(FILES.map((f) => workflowType(load(f))))).toEqual(
      new Set([
        'runTask',
        'runBatch',
        'runLongTask',
        'providerHealth',
        'reviewQueue',
        'enforceRetention',
      ]),
    );
  });

  it.each(FILES)('%s replays cleanly against the current workflow code', (name) => {
    expect(results.has(name)).toBe(true);
    expect(results.get(name)?.error).toBeUndefined();
  });

  it('fails on a non-deterministic change to the workflow, for every runTask fixture', async () => {
    const runTasks = FILES.filter((f) => workflowType(load(f)) === 'runTask');
    const errors: unknown[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: path.join(FIXTURES, 'nondeterministic-workflows') },
      runTasks.map((f) => ({ workflowId: f, history: load(f) })),
    )) {
      errors.push(result.error);
    }
    expect(errors).toHaveLength(runTasks.length);
    for (const err of errors) expect(err).toBeInstanceOf(DeterminismViolationError);
  });

  it.each(FILES)('%s holds no raw PII or secrets', (name) => {
    expect(piiIn(load(name))).toEqual([]);
  });

  it('the PII check sees PII inside an encoded payload', () => {
    const data = Buffer.from(
      JSON.stringify({ body: 'write to jane.doe@example.com, key sk-proj-4fJ8aQ2xLm9ZrT7vB3nK' }),
    ).toString('base64');
    expect(piiIn({ events: [{ input: { payloads: [{ data }] } }] })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^email: /),
        expect.stringMatching(/^secret: /),
      ]),
    );
  });
});
