import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import '../support/temporal-test-kit';

const FIXTURES = path.join(__dirname, '../fixtures');
const load = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, 'histories', name), 'utf8')) as Parameters<
    typeof Worker.runReplayHistory
  >[1];
/** Before the `fewer-round-trips-v1` patch, and after it. */
const history = load('run-task-classify-ticket.json');
const HISTORIES = [
  'run-task-classify-ticket.json',
  'run-task-classify-ticket-fewer-round-trips-v1.json',
];

describe('replay of recorded runTask histories', () => {
  it.each(HISTORIES)('%s replays cleanly against the current workflow code', async (name) => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        load(name),
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
