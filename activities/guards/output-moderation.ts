/**
 * Output moderation's rule for one text: PII and profanity the model brought in that the input
 * did not have, and what the tenant's policy does with them. The whole-answer check
 * (validation.ts, layer 4) runs it on every string of an answer; the stream window
 * (stream-window.ts) on the text of a streamed answer as it arrives. One place for the rule, so a
 * stream never sends what the whole-answer check would refuse.
 */
import type { ResolvedPolicy } from '../../shared/policy/resolve-policy';
import { detectPii } from '../../shared/guards/pii';
import { detectToxicity } from '../../shared/guards/toxicity';
import { stringsOf } from '../../shared/guards/json-strings';
import type { PiiSpan, PiiType, ToxicityScan } from '../../shared/guards/types';
import { piiFingerprint } from './pii-fingerprint';

export interface OutputModerationScope {
  /** The original (unredacted) input: what the answer is compared with. */
  input: unknown;
  /** Fingerprints of the input's PII from screening; without them the input is scanned here. */
  inputPii?: readonly string[];
  policy: ResolvedPolicy;
}

/** What the policy does with an answer that holds PII the input did not. */
export type OutputPiiAction = 'blocked' | 'redacted' | 'flagged' | 'none';
/** What the policy does with an answer whose worst fresh profanity scores as given. */
export type OutputToxicityAction = 'blocked' | 'flagged' | 'none';

export interface OutputModerator {
  /** PII in `text` that the input did not contain; none when the policy allows PII. */
  introducedPii(text: string): PiiSpan[];
  /** The policy's action on an answer with such PII (`none` when it allows PII). */
  readonly onPii: OutputPiiAction;
  /**
   * `text`'s toxicity scan when it holds a match the input did not (the score counts every
   * match); undefined when it holds none, or when the policy allows profanity.
   */
  freshToxicity(text: string): ToxicityScan | undefined;
  /** The policy's action on an answer whose worst fresh toxicity score is `score`. */
  toxicityAction(score: number): OutputToxicityAction;
}

/**
 * Types an answer may hold that the input did not, as words: a condition the input told in
 * other words or another language ("insuline" → "insulin"), or that an answer about health
 * names. The request's class was decided on the input (docs/governance.md).
 */
const ANSWER_WORDS: ReadonlySet<PiiType> = new Set(['health-condition']);

/** One moderator per answer: the input is read (at most once) only when a text needs it. */
export function createOutputModerator(scope: OutputModerationScope): OutputModerator {
  const { output: rules, thresholds } = scope.policy.moderation;
  const locale = {
    region: scope.policy.region,
    ...(scope.policy.language ? { language: scope.policy.language } : {}),
  };
  // The input is scanned only when the output has something to compare (usually it has not).
  let inputStrings: string[] | undefined;
  const inputTexts = (): string[] => (inputStrings ??= stringsOf(scope.input).map((s) => s.text));
  let inputValues: ReadonlySet<string> | undefined = scope.inputPii && new Set(scope.inputPii);
  const inInput = (span: PiiSpan): boolean =>
    (inputValues ??= new Set(
      inputTexts().flatMap((t) => detectPii(t, locale).map(piiFingerprint)),
    )).has(piiFingerprint(span));
  let inputText: string | undefined;
  const inInputText = (term: string): boolean =>
    (inputText ??= inputTexts().join('\n').toLowerCase()).includes(term);

  return {
    introducedPii: (text) =>
      rules.pii === 'allow'
        ? []
        : detectPii(text, { ...locale, minConfidence: thresholds.piiConfidence }).filter(
            (s) => !ANSWER_WORDS.has(s.type) && !inInput(s),
          ),
    onPii:
      rules.pii === 'block'
        ? 'blocked'
        : rules.pii === 'redact'
          ? 'redacted'
          : rules.pii === 'flag'
            ? 'flagged'
            : 'none',
    freshToxicity(text) {
      if (rules.toxicity === 'allow') return undefined;
      const scan = detectToxicity(text);
      const fresh = scan.matches.some(
        (m) => !inInputText(text.slice(m.start, m.end).toLowerCase()),
      );
      return fresh ? scan : undefined;
    },
    toxicityAction: (score) =>
      rules.toxicity === 'allow' || score < thresholds.toxicity
        ? 'none'
        : rules.toxicity === 'block'
          ? 'blocked'
          : 'flagged',
  };
}
