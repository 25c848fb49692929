import { CancellationScope, sleep } from '@temporalio/workflow';
import type { ResultPath } from '../../shared/contracts/job';
import type { PlannedCandidate } from '../../shared/policy/routing';
import { attemptCandidate, type AttemptContext, type Outcome } from './attempt';
import { note } from './tally';

/**
 * Histories from before hedged calls. Asked only when the plan gives a candidate `hedgeAfterMs`
 * (a policy turned hedging on), so histories without a hedge never record its marker.
 */
export const HEDGED_CALLS = 'hedged-calls-v1';

/** One side of a hedge: a candidate, the path its answer takes, its share of the envelope. */
export interface Racer {
  candidate: PlannedCandidate;
  path: ResultPath;
  deadlineAt?: number;
}

/** The hedge partner of the candidate at `index`: the next one, when a hedge is planned. */
export function hedgePartner(
  candidates: readonly PlannedCandidate[],
  index: number,
): PlannedCandidate | undefined {
  const next = candidates[index + 1];
  return candidates[index]?.hedgeAfterMs !== undefined && next && !next.skip ? next : undefined;
}

type Settled = { outcome: Outcome } | { error: unknown };

interface Running {
  racer: Racer;
  scope: CancellationScope;
  track: { calling: boolean; stop?: boolean };
  startedAt: number;
  done: Promise<Settled & { racer: Racer }>;
}

/**
 * A hedged attempt: `first` starts; if it has come to nothing after `hedgeAfterMs` (a workflow
 * timer, so replay agrees), `second` starts beside it. The first valid answer wins and the other
 * attempt's scope is cancelled (the worker aborts its HTTP call). When neither answers, the
 * earlier candidate's verdict stands (`reject`, `degrade`), else the route moves on.
 *
 * What a cancelled call costs: its attempt and its time so far are counted; its tokens are not
 * known (an aborted call returns no usage; the vendor may still bill the prompt it received).
 * A loser whose call had already answered is not cancelled: `attemptCandidate` counted that call
 * in full, its validation ends, and it asks nothing more (no re-ask).
 */
export async function attemptHedged(
  ctx: AttemptContext,
  first: Racer,
  second: Racer,
): Promise<{ outcome: Outcome; hedged: boolean }> {
  const { tally, job } = ctx;
  const hedgeAfterMs = first.candidate.hedgeAfterMs ?? 0;
  const a = start(ctx, first);
  const timer = new CancellationScope();
  const fired = await Promise.race([
    a.done.then(() => false),
    timer
      .run(() => sleep(hedgeAfterMs))
      .then(
        () => true,
        () => false,
      ),
  ]);
  if (!fired) {
    timer.cancel();
    return { outcome: unwrap(await a.done), hedged: false };
  }
  const b = start(ctx, second);
  const refOf = (r: Racer): string => `${r.candidate.provider}:${r.candidate.model}`;
  const pending = [a, b];
  const outcomes = new Map<Running, Outcome>();
  while (pending.length > 0) {
    const settled = await Promise.race(pending.map((r) => r.done.then(() => r)));
    pending.splice(pending.indexOf(settled), 1);
    const result = await settled.done;
    if ('error' in result) {
      // The hard timeout (or a failed bookkeeping step): the other attempt stops too.
      for (const other of pending) other.scope.cancel();
      throw result.error;
    }
    if (!('answer' in result.outcome)) {
      outcomes.set(settled, result.outcome);
      continue;
    }
    const winner = refOf(settled.racer);
    const losers: string[] = [];
    for (const loser of pending) {
      const ref = refOf(loser.racer);
      if (loser.track.calling) {
        // Its model call is in flight: cancelled (the worker aborts the HTTP call), and counted.
        loser.scope.cancel();
        tally.attempts += 1;
        tally.usage.providerMs += Math.max(0, Date.now() - loser.startedAt);
        losers.push(`${ref} cancelled`);
        job.step({
          name: 'call',
          outcome: 'failed',
          detail: `${ref} cancelled: ${winner} answered first (hedge)`,
        });
      } else {
        // Its call has answered (and was counted) and its validation, a local activity, is
        // running: let it end rather than cancel it, and let it ask nothing more. Cancelling a
        // local activity whose result is already on its way fails the workflow task.
        loser.track.stop = true;
        await loser.done;
        losers.push(`${ref} answered later, not used`);
      }
    }
    note(
      tally,
      'hedge',
      `hedged: started ${refOf(second)} after ${hedgeAfterMs} ms without an answer from ${refOf(first)}; ${winner} won` +
        (losers.length > 0 ? `, ${losers.join(', ')}` : ''),
    );
    return { outcome: result.outcome, hedged: true };
  }
  note(
    tally,
    'hedge',
    `hedged: started ${refOf(second)} after ${hedgeAfterMs} ms without an answer from ${refOf(first)}; neither answered`,
  );
  const firstVerdict = outcomes.get(a);
  const verdict =
    firstVerdict && 'next' in firstVerdict && firstVerdict.next !== 'next'
      ? firstVerdict
      : outcomes.get(b)!;
  return { outcome: verdict, hedged: true };
}

function start(ctx: AttemptContext, racer: Racer): Running {
  const scope = new CancellationScope();
  const track = { calling: false };
  const done = scope
    .run(() => attemptCandidate(ctx, racer.candidate, racer.path, racer.deadlineAt, track))
    .then(
      (outcome): Settled & { racer: Racer } => ({ outcome, racer }),
      (error: unknown): Settled & { racer: Racer } => ({ error, racer }),
    );
  // Workflow time: the start of this activation, the same on replay.
  return { racer, scope, track, startedAt: Date.now(), done };
}

function unwrap(settled: Settled): Outcome {
  if ('error' in settled) throw settled.error;
  return settled.outcome;
}
