import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import { acquire, initialBreaker, recordOutcome, windowStats } from '../shared/policy/breaker';
import {
  acquirePermitUpdate,
  reportOutcomesSignal,
  type ProviderHealthArgs,
  type PublishedHealth,
} from '../shared/contracts/messages';

/** Events before continuing as new: keeps the history small however long it lives. */
const EVENTS_PER_RUN = 500;

/**
 * The shared circuit breaker and latency window of one provider/model. Activities report call
 * outcomes (signal) and ask for a permit when the circuit is half-open (update). The state is
 * published in the memo after every change, so readers use `describe` and never depend on a
 * worker answering a query (a dead worker holding this workflow would stall queries).
 */
export async function providerHealth(args: ProviderHealthArgs): Promise<void> {
  let state = args.state ?? initialBreaker();
  let events = 0;
  const publish = (asOf: number): void => {
    const health: PublishedHealth = {
      state: state.state,
      openedAt: state.openedAt,
      asOf,
      stats: windowStats(state, args.settings, asOf),
      transitions: state.transitions,
    };
    upsertMemo({ health });
  };
  setHandler(reportOutcomesSignal, (outcomes) => {
    if (outcomes.length === 0) return;
    for (const outcome of outcomes) state = recordOutcome(state, outcome, args.settings);
    events += 1;
    publish(Math.max(...outcomes.map((o) => o.at)));
  });
  setHandler(acquirePermitUpdate, ({ now, probeUntil }) => {
    const permit = acquire(state, now, args.settings, probeUntil);
    state = permit.state;
    events += 1;
    publish(now);
    return { allow: permit.allow, probe: permit.probe, state: state.state };
  });
  await condition(() => events >= EVENTS_PER_RUN);
  await condition(allHandlersFinished);
  await continueAsNew<typeof providerHealth>({ ...args, state });
}
