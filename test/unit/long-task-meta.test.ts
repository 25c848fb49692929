import { describe, expect, it } from 'vitest';
import type { ResultMeta } from '../../shared/contracts/job';
import { sumMeta } from '../../workflows/long-task/meta';

/** A child's meta: only what sumMeta reads matters here. */
const child = (reasons: string[], reasonCodes?: ResultMeta['reasonCodes']): ResultMeta =>
  ({
    provider: 'openai',
    model: 'ok',
    promptVersion: 'summarize@1',
    attempts: 1,
    path: reasons.length > 0 ? 'fallback' : 'primary',
    reasons,
    ...(reasonCodes ? { reasonCodes } : {}),
    validation: { grounding: { status: 'skipped' } },
    latencyMs: 1,
    providerMs: 1,
    tokens: { input: 1, output: 1, cachedInput: 0, estimatedInput: 1 },
    costUsd: 0,
  }) as unknown as ResultMeta;

const long = { chunks: 2, mapCalls: 2, rounds: 1, children: [], latencyMs: 5 };

describe('sumMeta: the reasons of a long document', () => {
  it('keeps each line once with its code beside it', () => {
    const reduced = child(['reduce:x RateLimit: slow down'], ['rate-limit']);
    const meta = sumMeta(
      reduced,
      [
        child(
          ['openai:503 ServerError: 503', 'verifier gave no verdict, failed open: x'],
          ['server-error', null],
        ),
        child(
          ['openai:503 ServerError: 503', 'openai:ok circuit open'],
          ['server-error', 'circuit-open'],
        ),
      ],
      long,
    );
    expect(meta.reasons).toEqual([
      'openai:503 ServerError: 503',
      'verifier gave no verdict, failed open: x',
      'openai:ok circuit open',
    ]);
    expect(meta.reasonCodes).toEqual(['server-error', null, 'circuit-open']);
  });

  it('has no codes when a child was recorded without them (never codes out of line)', () => {
    const reduced = child(['reduce:x RateLimit: slow down'], ['rate-limit']);
    const meta = sumMeta(
      reduced,
      [child(['openai:503 ServerError: 503'], ['server-error']), child(['openai:ok circuit open'])],
      long,
    );
    expect(meta.reasons).toEqual(['openai:503 ServerError: 503', 'openai:ok circuit open']);
    expect(meta).not.toHaveProperty('reasonCodes');
  });
});
