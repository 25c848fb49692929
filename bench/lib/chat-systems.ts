/**
 * The columns of `npm run bench:chat`: one chat completion (a user message, a plain-text answer)
 * sent with the `openai` client straight to the mock upstream, to Keel's `/v1/chat/completions`,
 * and through Portkey and LiteLLM, streamed or not; and the judge of what the caller got.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { Peer, PeerPolicy } from '../peers/types';
import type { SystemName } from '../results-schema';
import type { BenchSystem, TimedOutcome } from './systems';

/** Long enough that the answer passes Keel's stream window (64 characters) well before a cut. */
export const CHAT_PROMPT =
  'Please explain, step by step, how the refund for order 4471 will reach my account, which ' +
  'bank days count, what happens if the card has expired in the meantime, and who I should ' +
  'write to if nothing has arrived after ten days.';

/** The mock upstream's answer to CHAT_PROMPT (test/mock-upstream/content.ts echoes the prompt). */
export const CHAT_EXPECTED = `This is a mock completion for: ${CHAT_PROMPT}`;

export interface ChatRequest {
  /** Mock scenario of the primary target (the upstream's `model`). */
  primary: string;
  /** Mock scenario of the fallback target, for the systems that have one. */
  fallback?: string;
  stream: boolean;
}

export interface ChatOutcome extends TimedOutcome {
  /** What the caller received: the message, or the streamed deltas joined. */
  text: string;
  /** The last `finish_reason` the caller saw, if any. */
  finish?: string;
  /** Streams: from the request to the first non-empty content delta. */
  ttftMs?: number;
  /** The caller's own deadline ended the call (nothing else did). */
  timedOut?: boolean;
  status?: number;
  error?: string;
}

export type ChatSystem = BenchSystem<ChatRequest, ChatOutcome>;

const describe = (err: unknown): string => {
  if (err instanceof OpenAI.APIError) {
    return `${err.status ?? 'no status'} ${err.name}${err.code ? ` ${err.code}` : ''}`;
  }
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 120)}` : String(err);
};

/**
 * One call as existing OpenAI code makes it. A stream is read to its end with `for await`, the
 * way most callers read it; `deadlineMs` is the caller's patience for the whole call (the client's
 * own `timeout` stops at the response headers, so a stream stalled after them would wait forever).
 */
function sdkChatSystem(
  name: SystemName,
  client: OpenAI,
  deadlineMs: number,
  target: (req: ChatRequest) => { model: string; headers: Record<string, string> },
): ChatSystem {
  return {
    name,
    async send(req, signal) {
      const { model, headers } = target(req);
      const body: ChatCompletionCreateParamsBase = {
        model,
        messages: [{ role: 'user', content: CHAT_PROMPT }],
      };
      const deadline = AbortSignal.timeout(deadlineMs);
      const options = { headers, signal: signal ? AbortSignal.any([signal, deadline]) : deadline };
      const started = performance.now();
      const got: Omit<ChatOutcome, 'ok' | 'ms'> = { text: '' };
      try {
        if (!req.stream) {
          const completion = await client.chat.completions.create(
            { ...body, stream: false },
            options,
          );
          const choice = completion.choices[0];
          got.text = choice?.message.content ?? '';
          if (choice?.finish_reason) got.finish = choice.finish_reason;
        } else {
          const stream = await client.chat.completions.create({ ...body, stream: true }, options);
          for await (const chunk of stream) {
            const choice = chunk.choices[0];
            const delta = choice?.delta?.content;
            if (delta) {
              got.ttftMs ??= performance.now() - started;
              got.text += delta;
            }
            if (choice?.finish_reason) got.finish = choice.finish_reason;
          }
        }
        // The client ends a stream's loop without an error when its signal aborts: that is the
        // caller giving up, not an answer.
        if (options.signal.aborted) {
          return {
            ok: false,
            ms: performance.now() - started,
            ...got,
            ...(deadline.aborted ? { timedOut: true } : {}),
            error: 'aborted by the caller',
          };
        }
        return { ok: true, ms: performance.now() - started, ...got };
      } catch (err) {
        return {
          ok: false,
          ms: performance.now() - started,
          ...got,
          ...(deadline.aborted ? { timedOut: true } : {}),
          ...(err instanceof OpenAI.APIError && err.status !== undefined
            ? { status: err.status }
            : {}),
          error: describe(err),
        };
      }
    },
  };
}

/** Direct: the client straight at the upstream, with its own retries and timeout; no fallback. */
export function directChatSystem(
  upstreamURL: string,
  policy: PeerPolicy,
  deadlineMs: number,
): ChatSystem {
  const client = new OpenAI({
    apiKey: 'sk-bench-not-real',
    baseURL: `${upstreamURL}/v1`,
    maxRetries: policy.attemptsPerTarget - 1,
    timeout: policy.timeoutMs,
    logLevel: 'off',
  });
  return sdkChatSystem('direct', client, deadlineMs, (req) => ({
    model: req.primary,
    headers: {},
  }));
}

/** A gateway: it owns retries, timeouts and the fallback; the client does not retry. */
export function peerChatSystem(peer: Peer, deadlineMs: number): ChatSystem {
  const client = new OpenAI({
    apiKey: peer.apiKey,
    baseURL: peer.baseURL,
    maxRetries: 0,
    timeout: deadlineMs,
    logLevel: 'off',
  });
  return sdkChatSystem(peer.name, client, deadlineMs, (req) =>
    peer.request({ primary: req.primary, fallback: req.fallback ?? req.primary }),
  );
}

/** Keel's alias for a route: `bench/<primary>`, or `bench/<primary>--<fallback>`. */
const keelAlias = (primary: string, fallback?: string): string =>
  fallback && fallback !== primary ? `bench/${primary}--${fallback}` : `bench/${primary}`;

/**
 * The plan aliases Keel needs for these routes (PUT /v1/admin/plans/{id} `aliases`): each a
 * route of `openai:<primary>` then `openai:<fallback>` on the mock upstream, as the peers have.
 */
export function keelChatAliases(
  routes: ReadonlyArray<{ primary: string; fallback?: string }>,
): Record<string, string[]> {
  return Object.fromEntries(
    routes.map(({ primary, fallback }) => [
      keelAlias(primary, fallback),
      [`openai:${primary}`, ...(fallback && fallback !== primary ? [`openai:${fallback}`] : [])],
    ]),
  );
}

/** Keel's OpenAI-compatible endpoint with a tenant key: its own fallbacks, timeouts, breakers. */
export function keelChatSystem(base: string, apiKey: string, deadlineMs: number): ChatSystem {
  const client = new OpenAI({
    apiKey,
    baseURL: `${base}/v1`,
    maxRetries: 0,
    timeout: deadlineMs,
    logLevel: 'off',
  });
  return sdkChatSystem('keel', client, deadlineMs, (req) => ({
    model: keelAlias(req.primary, req.fallback),
    headers: {},
  }));
}
