/**
 * What a caller of a chat completion got, judged the same way for every system of
 * `npm run bench:chat`. Pure: the unit tests feed it outcomes.
 */
import { round2 } from './stats';

/** Only the fields the judge reads (chat-systems.ts's ChatOutcome has them). */
export interface JudgedOutcome {
  ok: boolean;
  text: string;
  finish?: string;
  timedOut?: boolean;
}

export const CHAT_VERDICTS = [
  /** The whole expected text and `finish_reason: stop`. */
  'valid',
  /**
   * The call ended normally (nothing raised) with other text than expected: partial, repeated or
   * wrong. A caller cannot tell it from a success: the failure this bench counts.
   */
  'silent-truncation',
  /** The whole text, ended without raising, but no `stop` finish (none, or another reason). */
  'unfinished',
  /** The client raised before any text arrived: a visible failure, nothing to misuse. */
  'error-before-text',
  /** The client raised after some text: a visible failure, the partial text flagged as such. */
  'error-after-text',
  /** Nothing ended the call but the caller's own deadline. */
  'hung',
] as const;
export type ChatVerdict = (typeof CHAT_VERDICTS)[number];

export function judgeChat(outcome: JudgedOutcome, expected: string): ChatVerdict {
  if (!outcome.ok) {
    if (outcome.timedOut) return 'hung';
    return outcome.text.length === 0 ? 'error-before-text' : 'error-after-text';
  }
  if (outcome.text !== expected) return 'silent-truncation';
  return outcome.finish === 'stop' ? 'valid' : 'unfinished';
}

export interface VerdictTally {
  requests: number;
  counts: Record<ChatVerdict, number>;
  /** valid ÷ requests, three decimals; null without requests. */
  validShare: number | null;
  /** silent truncations ÷ requests, three decimals; null without requests. */
  silentShare: number | null;
}

const share = (n: number, of: number): number | null =>
  of ? Math.round((n / of) * 1000) / 1000 : null;

export function tallyVerdicts(verdicts: readonly ChatVerdict[]): VerdictTally {
  const counts = Object.fromEntries(CHAT_VERDICTS.map((v) => [v, 0])) as Record<
    ChatVerdict,
    number
  >;
  for (const v of verdicts) counts[v]++;
  return {
    requests: verdicts.length,
    counts,
    validShare: share(counts.valid, verdicts.length),
    silentShare: share(counts['silent-truncation'], verdicts.length),
  };
}

/** A percentage for a table: `97.5 %`, or `—`. */
export const percent = (s: number | null): string => (s === null ? '—' : `${round2(s * 100)} %`);
