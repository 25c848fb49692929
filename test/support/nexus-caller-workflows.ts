/**
 * Workflows of "another team": they run in a namespace of their own and call Keel's tasks as
 * Nexus operations through an endpoint (test/e2e/nexus.test.ts). They know Keel only by its
 * service definition; no API key anywhere.
 */
import {
  CancellationScope,
  createNexusServiceClient,
  defineSignal,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { keelNexusService, type NexusTaskOptions } from '../../shared/contracts/nexus';

export interface ClassifyArgs {
  endpoint: string;
  input: { subject: string; body: string };
  options?: NexusTaskOptions;
}

/** Classifies a ticket through Keel: the validated output, the job id and the meta. */
export async function classifyThroughKeel(args: ClassifyArgs) {
  const keel = createNexusServiceClient({ endpoint: args.endpoint, service: keelNexusService });
  return keel.executeOperation(
    'classifyTicket',
    { input: args.input, ...(args.options ? { options: args.options } : {}) },
    { scheduleToCloseTimeout: '2 minutes' },
  );
}

/** Stops the call in flight. */
export const giveUp = defineSignal('giveUp');

/** Classifies a ticket through Keel unless `giveUp` comes first: then the call is cancelled. */
export async function classifyUnlessGivenUp(args: ClassifyArgs): Promise<'answered' | 'gave up'> {
  const keel = createNexusServiceClient({ endpoint: args.endpoint, service: keelNexusService });
  const scope = new CancellationScope();
  setHandler(giveUp, () => scope.cancel());
  try {
    await scope.run(() =>
      keel.executeOperation(
        'classifyTicket',
        { input: args.input, ...(args.options ? { options: args.options } : {}) },
        { scheduleToCloseTimeout: '2 minutes' },
      ),
    );
    return 'answered';
  } catch (err) {
    if (isCancellation(err)) return 'gave up';
    throw err;
  }
}
