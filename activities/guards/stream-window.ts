/**
 * Output moderation for a streamed answer: text reaches the caller only once the whole-answer
 * rule (output-moderation.ts, the one validation.ts runs) has seen it with some text after it.
 * The callModel activity pushes each text delta and sends what comes back; on a violation it ends
 * the stream (OpenAI's `content_filter` finish).
 *
 * What is held back, and why:
 * - The last `holdChars` characters of the answer (STREAM_HOLD_CHARS = 64, about 16 tokens): a
 *   profane word, an e-mail address or a card number arriving over several deltas is whole, with
 *   the text that follows it, before its first character is sent. A word that only looks profane
 *   until its next letters arrive ("cock" of "cockpit") is decided once they have.
 * - A placeholder of the input's redaction (`[EMAIL_1]`) cut across deltas: held until it is
 *   complete, then restored to its value before any check and before release.
 * - Everything, for as long as the text so far would be refused for profanity on a match still
 *   within the last `holdChars`: it may yet turn out innocent.
 *
 * The decision is the whole-answer one, on the same text:
 * - PII the input did not contain, read in the held text plus 64 released characters of context:
 *   `redact` masks it in the window before release, `block` gives a violation before any of it is
 *   sent, `flag` and `allow` release it as is. A span found only after part of it was sent (its
 *   detector needed more context than the window keeps) ends the stream under `redact` and
 *   `block`; one found only after all of it was sent is past the window's reach (the
 *   whole-answer check at the end still sees it).
 * - Profanity the input did not contain: its score counts every match (mild words add up), so it
 *   is read, like the whole-answer check reads it, over the whole answer so far with its PII
 *   masked; the window only says when (a match in the held text or the 64 characters before it).
 *   `block` gives a violation. When a later word tips the score, the text before it was already
 *   sent: the one case where the caller saw part of an answer the whole-answer check refuses,
 *   and the stream still ends with the violation.
 *
 * Cost: the first byte reaches the caller `holdChars` to `holdChars × 1.25` characters of output
 * later (about 16 to 20 tokens: at 50 tokens/s, 0.3 to 0.4 s), and text then leaves in steps of
 * `holdChars / 4` characters. CPU: about 13 µs per character (a PII and a profanity scan of the
 * window every step; the whole answer is scanned again only while the window holds a match).
 */
import { maskPii } from '../../shared/guards/pii';
import { restorePlaceholders } from '../../shared/guards/redact';
import { detectToxicity } from '../../shared/guards/toxicity';
import type { PiiSpan } from '../../shared/guards/types';
import {
  createOutputModerator,
  type OutputModerationScope,
  type OutputModerator,
} from './output-moderation';

/** Characters held back before release: about 16 tokens. */
export const STREAM_HOLD_CHARS = 64;
/** Characters of already released text read again with the window, for context. */
const CONTEXT_CHARS = 64;
/**
 * The window is read again once this share of `holdChars` has arrived (16 characters, about 4
 * tokens, by default): a PII scan costs about 0.1 ms however short the text, too much for each
 * token of every stream.
 */
const STRIDE_SHARE = 4;

export interface StreamWindowOptions extends OutputModerationScope {
  /** Characters of the answer held back before release. @default STREAM_HOLD_CHARS */
  holdChars?: number;
  /** The input's redaction placeholders (`[EMAIL_1]` → value): restored before release. */
  placeholders?: Record<string, string>;
}

export interface StreamViolation {
  check: 'toxicity' | 'pii';
  /** Names types and scores only, never the text. */
  detail: string;
}

/** Text safe to send now (possibly empty), or why the stream must stop. */
export type StreamStep = { release: string } | { violation: StreamViolation };

export class StreamWindow {
  private readonly moderator: OutputModerator;
  private readonly hold: number;
  private readonly stride: number;
  private readonly placeholders: Record<string, string>;
  private readonly keys: string[];
  private readonly screensToxicity: boolean;
  /** Model text not yet restored: a placeholder's beginning, waiting for its end. */
  private raw = '';
  /** The answer so far, placeholders restored, unmasked: `released` characters of it are sent. */
  private text = '';
  private released = 0;
  /** `text`'s length when the window was last read. */
  private readAt = 0;
  /** What was released: the first `released` characters of `text`, PII masked. */
  private sent = '';
  /** The text's fresh toxicity score at its last whole-text scan. */
  private worst = 0;
  /** The text so far would be refused for profanity, on a match not yet settled. */
  private waiting = false;
  private stopped?: StreamViolation;
  private ended = false;

  constructor(options: StreamWindowOptions) {
    this.moderator = createOutputModerator(options);
    this.hold = Math.max(0, options.holdChars ?? STREAM_HOLD_CHARS);
    this.stride = Math.max(1, Math.floor(this.hold / STRIDE_SHARE));
    this.placeholders = options.placeholders ?? {};
    this.keys = Object.keys(this.placeholders);
    this.screensToxicity = options.policy.moderation.output.toxicity !== 'allow';
  }

  /** Takes the next delta of the model's text; returns what may be sent now. */
  push(delta: string): StreamStep {
    if (this.ended) throw new Error('StreamWindow.push after end()');
    if (this.stopped) return { violation: this.stopped };
    this.raw += delta;
    this.absorb(false);
    if (this.text.length - this.readAt < this.stride) return { release: '' };
    return this.step(false);
  }

  /** The model's text is complete: returns the rest, or the violation it holds. */
  end(): StreamStep {
    if (this.stopped) return { violation: this.stopped };
    this.ended = true;
    this.absorb(true);
    return this.step(true);
  }

  /** Moves model text into `text`, restored, except a placeholder's unfinished beginning. */
  private absorb(final: boolean): void {
    let ready = this.raw;
    const open = this.raw.lastIndexOf('[');
    if (!final && open >= 0) {
      const tail = this.raw.slice(open);
      if (this.keys.some((k) => k.length > tail.length && k.startsWith(tail)))
        ready = this.raw.slice(0, open);
    }
    this.raw = this.raw.slice(ready.length);
    this.text += this.keys.length ? restorePlaceholders(ready, this.placeholders) : ready;
  }

  private step(final: boolean): StreamStep {
    const end = this.text.length;
    this.readAt = end;
    /** A match or span that ends by here has the held text after it: it is what it is. */
    const settledBy = final ? end : end - this.hold;
    let cut = Math.max(this.released, settledBy);
    const from = Math.max(0, this.released - CONTEXT_CHARS);

    // PII the input did not have, read in the held text and some released context.
    const onPii = this.moderator.onPii;
    let spans: PiiSpan[] = [];
    if (onPii === 'blocked' || onPii === 'redacted') {
      spans = this.moderator
        .introducedPii(this.text.slice(from))
        .map((s) => ({
          ...s,
          start: s.start + from - this.released,
          end: s.end + from - this.released,
        }))
        .filter((s) => s.end > 0);
      for (const s of spans) {
        if (s.start < 0) return this.stop('pii', `${s.type} detected after part of it was sent`);
        if (onPii === 'blocked' && s.end <= settledBy - this.released)
          return this.stop('pii', `contains ${s.type} not present in the input`);
        // Never cut a span: it is masked whole, or (unsettled) held until it is settled.
        if (this.released + s.start < cut && this.released + s.end > cut)
          cut = this.released + s.start;
      }
    }

    // Profanity, read as the whole-answer check reads it: the whole answer, its PII masked.
    if (this.screensToxicity) {
      const held = this.text.slice(this.released);
      const answer = this.sent + (onPii === 'redacted' ? maskPii(held, spans) : held);
      const settledAt = answer.length - (end - settledBy);
      const window = answer.slice(Math.max(0, this.sent.length - CONTEXT_CHARS));
      let unsettled = false;
      if (final || this.waiting || detectToxicity(window).matches.length > 0) {
        const scan = this.moderator.freshToxicity(answer);
        this.worst = scan?.score ?? 0;
        unsettled = !!scan?.matches.some((m) => m.end > settledAt);
      }
      this.waiting = false;
      if (this.moderator.toxicityAction(this.worst) === 'blocked') {
        if (!unsettled)
          return this.stop('toxicity', `contains profanity (score ${this.worst.toFixed(2)})`);
        this.waiting = true;
        cut = this.released;
      }
    }

    // Never end a release on the first half of a surrogate pair (an emoji cut in two).
    const last = this.text.charCodeAt(cut - 1);
    if (!final && cut > this.released && last >= 0xd800 && last <= 0xdbff) cut -= 1;
    const piece = this.text.slice(this.released, cut);
    const masks = spans.filter((s) => s.end <= piece.length);
    const release = onPii === 'redacted' && masks.length ? maskPii(piece, masks) : piece;
    this.released = cut;
    this.sent += release;
    return { release };
  }

  private stop(check: StreamViolation['check'], detail: string): StreamStep {
    this.stopped = { check, detail };
    return { violation: this.stopped };
  }
}
