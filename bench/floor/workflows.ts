/**
 * Minimal workflows for `npm run bench:floor`, bundled for a bench-only worker: one workflow that
 * runs a list of steps in order, each a local activity or a regular one. `[]` is a bare workflow;
 * `['local', 'local', 'local']` three local activities in the first workflow task; a `'activity'`
 * step costs a second workflow task, as it does in Keel.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

export type FloorStep = 'local' | 'activity';

const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '10 seconds' });
const regular = proxyActivities<FloorActivities>({ startToCloseTimeout: '10 seconds' });

/** `waits[i]`: ms step i's activity waits, standing in for an upstream call of that latency. */
export async function floorWorkflow(steps: FloorStep[], waits: number[] = []): Promise<number> {
  let n = 0;
  for (const [i, step] of steps.entries()) {
    n = await (step === 'local' ? local : regular).step(n, waits[i] ?? 0);
  }
  return n;
}
