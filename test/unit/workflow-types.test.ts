import { describe, expectTypeOf, it } from 'vitest';
import type { ProviderHealthWorkflow, ReviewQueueWorkflow } from '../../shared/contracts/messages';
import type { providerHealth, reviewQueue } from '../../workflows';

/**
 * Node-side code starts the entity workflows by name with these types, so it never imports
 * workflow code. `npm run typecheck` fails here if a workflow's signature drifts from its type.
 */
describe('workflow types used by clients', () => {
  it('match the workflows', () => {
    expectTypeOf<typeof providerHealth>().toEqualTypeOf<ProviderHealthWorkflow>();
    expectTypeOf<typeof reviewQueue>().toEqualTypeOf<ReviewQueueWorkflow>();
  });
});
