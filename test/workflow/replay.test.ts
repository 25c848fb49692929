import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import '../support/temporal-test-kit';

const FIXTURES = path.join(__dirname, '../fixtures');
const history = JSON.parse(
  readFileSync(path.join(FIXTURES, 'histories/run-task-classify-ticket.json'), 'utf8'),
) as Parameters<typeof Worker.runReplayHistory>[1];

describe('replay of a recorded runTask history', () => {
  it('replays cleanly against the current workflow code', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
      ),
    ).resolves.toBeUndefined();
  });

  it('fails on a non-deterministic change to the workflow', async () => {
    const err = await Worker.runReplayHistory(
      { workflowsPath: path.join(FIXTURES, 'nondeterministic-workflows') },
      history,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  });
});
