/**
 * The `run-long-answer` replay fixture (test/support/record-history.ts runs it): an `answer`
 * request just past one call, two documents of ~51,000 characters with the fact in the second's
 * tail, so four pieces in two map children, the excerpts, one reduce child, the check against the
 * whole documents, the record. Synthetic text, no PII.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { SearchAttr } from '../../shared/contracts/messages';
import type { runLongTask } from '../../workflows';

export const LONG_ANSWER_FIXTURE = 'run-long-answer';

const FACT =
  'The backup generator in the east annex holds enough diesel for 96 hours of operation.';

/** ~`chars` characters of log entries separated by blank lines. */
function log(chars: number, from: number): string {
  const entries: string[] = [];
  for (let i = from; entries.join('\n\n').length <= chars; i++) {
    entries.push(
      `Entry ${i + 1}. Writes to the billing service failed for ${(i % 50) + 3} minutes. ` +
        `The team capped retries at ${(i % 6) + 2} and added jitter; the queue drained within the hour.`,
    );
  }
  return entries.join('\n\n');
}

export async function recordLongAnswer(r: {
  client: Client;
  taskQueue: string;
  tenantId: string;
  save(name: string, handle: { workflowId: string }): Promise<void>;
}): Promise<void> {
  const documents = [
    { id: 'ops', text: log(51_000, 0) },
    { id: 'facilities', text: `${log(50_500, 1_000)}\n\n${FACT}` },
  ];
  const workflowId = `answer-${randomUUID()}`;
  const handle = await r.client.workflow.start<typeof runLongTask>('runLongTask', {
    taskQueue: r.taskQueue,
    workflowId,
    args: [
      {
        task: 'answer',
        tenantId: r.tenantId,
        requestId: 'fixture',
        input: {
          question: 'How many hours can the backup generator in the east annex run on its diesel?',
          documents,
        },
        options: { route: ['local:keel-local-1'] },
      },
    ],
    typedSearchAttributes: [
      { key: SearchAttr.tenant, value: r.tenantId },
      { key: SearchAttr.task, value: 'answer' },
      { key: SearchAttr.status, value: 'running' },
    ],
  });
  const result = await handle.result();
  const long = result.meta.longDocument;
  if (long?.chunks !== 4 || long.mapCalls !== 2 || long.children.length !== 3)
    throw new Error(
      `run-long-answer: expected 4 pieces, 2 maps, 1 reduce: ${JSON.stringify(long)}`,
    );
  await r.save(LONG_ANSWER_FIXTURE, { workflowId });
}
