/**
 * The four ways the benchmark sends the same logical request — classify-ticket's messages and
 * JSON schema, as Keel's OpenAI adapter sends them — and the one judge applied to every answer.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { buildMessages, schemaName } from '../../activities/models/render-request';
import { validateAnswer } from '../../activities/guards/validation';
import { openAIMessages } from '../../activities/models/providers/openai-provider';
import { resolvePolicy } from '../../shared/policy/resolve-policy';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import type { Peer, PeerPolicy } from '../peers/types';
import type { SystemName } from '../results-schema';

export interface Ticket {
  subject: string;
  body: string;
}

export interface BenchRequest {
  input: Ticket;
  /** Upstream scenario of the primary target. */
  primary: string;
  /** Upstream scenario of the fallback target, if the system has one. */
  fallback?: string;
  /** Keel only: a route of its own instead of openai:<primary> → openai:<fallback>. */
  keelRoute?: string[];
}

export interface Outcome {
  ok: boolean;
  ms: number;
  /** The answer as the caller got it: text (SDK) or an object (Keel). */
  text?: string;
  output?: unknown;
  /** Keel: `x-keel-overhead-ms` and meta.path. */
  keelOverheadMs?: number;
  keelPath?: string;
  /** Keel: the job, for reading its history. */
  jobId?: string;
  /** A refusal or error answered over HTTP: its status and `Retry-After`, if any. */
  status?: number;
  retryAfter?: string;
  error?: string;
}

/**
 * One column of a side-by-side run: how it sends a request and what came back. The task API's
 * classify-ticket request by default; `chat-systems.ts` sends chat completions through the same
 * columns.
 */
export interface BenchSystem<Req = BenchRequest, Out extends TimedOutcome = Outcome> {
  name: SystemName;
  send(req: Req, signal?: AbortSignal): Promise<Out>;
}

/** What every outcome carries: whether the caller got an answer, and how long it took. */
export interface TimedOutcome {
  ok: boolean;
  ms: number;
}

export const TICKETS: readonly Ticket[] = [
  { subject: 'Refund', body: 'I was charged twice for my subscription' },
  { subject: 'App crash', body: 'The app crashes with error 500 when I open the dashboard' },
  { subject: 'Locked out', body: 'I cannot reset my password and my 2FA codes do not work' },
  { subject: 'Email change', body: 'How do I change the email address on my account?' },
];

const RESPONSE_FORMAT = zodResponseFormat(classifyTicket.output, schemaName(classifyTicket));
const MAX_OUTPUT_TOKENS = 512;

function chatParams(model: string, input: Ticket) {
  return {
    model,
    messages: openAIMessages(buildMessages(classifyTicket, input)),
    response_format: RESPONSE_FORMAT,
    max_completion_tokens: MAX_OUTPUT_TOKENS,
  };
}

const describe = (err: unknown): string => {
  if (err instanceof OpenAI.APIError) return `${err.status ?? 'no status'} ${err.name}`;
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 120)}` : String(err);
};

/** Through an OpenAI-compatible endpoint with the official SDK: the upstream or a gateway. */
function sdkSystem(
  name: SystemName,
  client: OpenAI,
  target: (req: BenchRequest) => { model: string; headers: Record<string, string> },
): BenchSystem {
  return {
    name,
    async send(req, signal) {
      const started = performance.now();
      try {
        const { model, headers } = target(req);
        const completion = await client.chat.completions.create(chatParams(model, req.input), {
          headers,
          ...(signal ? { signal } : {}),
        });
        return {
          ok: true,
          ms: performance.now() - started,
          text: completion.choices[0]?.message.content ?? '',
        };
      } catch (err) {
        return {
          ok: false,
          ms: performance.now() - started,
          error: describe(err),
          ...(err instanceof OpenAI.APIError && err.status !== undefined
            ? { status: err.status, ...retryAfterOf(err.headers?.get('retry-after')) }
            : {}),
        };
      }
    },
  };
}

const retryAfterOf = (value: string | null | undefined): { retryAfter?: string } =>
  value ? { retryAfter: value } : {};

/**
 * Direct: the SDK straight at the upstream. Its own retries (policy.attemptsPerTarget − 1, on
 * 408/409/429/5xx and connection errors) and timeout; no fallback — a plain integration.
 */
export function directSystem(upstreamURL: string, policy: PeerPolicy): BenchSystem {
  const client = new OpenAI({
    apiKey: 'sk-bench-not-real',
    baseURL: `${upstreamURL}/v1`,
    maxRetries: policy.attemptsPerTarget - 1,
    timeout: policy.timeoutMs,
    logLevel: 'off',
  });
  return sdkSystem('direct', client, (req) => ({ model: req.primary, headers: {} }));
}

/** A gateway: it owns retries, timeouts and the fallback; the SDK does not retry. */
export function peerSystem(peer: Peer, timeoutMs: number): BenchSystem {
  const client = new OpenAI({
    apiKey: peer.apiKey,
    baseURL: peer.baseURL,
    maxRetries: 0,
    timeout: timeoutMs,
    logLevel: 'off',
  });
  return sdkSystem(peer.name, client, (req) =>
    peer.request({ primary: req.primary, fallback: req.fallback ?? req.primary }),
  );
}

interface KeelBody {
  jobId?: string;
  status?: string;
  output?: unknown;
  meta?: { path?: string };
}

async function pollJob(
  url: string,
  headers: Record<string, string>,
  deadline: number,
  signal?: AbortSignal,
): Promise<KeelBody> {
  for (;;) {
    const res = await fetch(url, { headers, ...(signal ? { signal } : {}) });
    const body = (await res.json()) as KeelBody;
    if (body.status !== 'running' && body.status !== 'awaiting_review') return body;
    if (performance.now() > deadline) return { status: 'still running at the client timeout' };
    // A patient caller: twice a second (a tight poll loop would itself load Temporal).
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Keel's sync task API: the route is the primary then the fallback, Keel's own policies apply. */
export function keelSystem(base: string, apiKey: string, timeoutMs: number): BenchSystem {
  const url = `${base}/v1/tasks/classify-ticket`;
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  return {
    name: 'keel',
    async send(req, signal) {
      const route = req.keelRoute ?? [
        `openai:${req.primary}`,
        ...(req.fallback ? [`openai:${req.fallback}`] : []),
      ];
      const started = performance.now();
      const deadline = started + timeoutMs;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ input: req.input, options: { route } }),
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
            : AbortSignal.timeout(timeoutMs),
        });
        let body = (await res.json()) as KeelBody;
        // Over the sync budget: 202 + Location. A caller polls the job, as the API says to.
        if (res.status === 202 && body.jobId) {
          body = await pollJob(`${base}/v1/jobs/${body.jobId}`, headers, deadline, signal);
        } else if (res.status !== 200) {
          return {
            ok: false,
            ms: performance.now() - started,
            error: `${res.status}`,
            status: res.status,
            ...retryAfterOf(res.headers.get('retry-after')),
          };
        }
        const ms = performance.now() - started;
        if (body.status !== 'completed') {
          return { ok: false, ms, error: `job ${body.status ?? 'unknown'}` };
        }
        const overhead = Number(res.headers.get('x-keel-overhead-ms'));
        return {
          ok: true,
          ms,
          output: body.output,
          keelPath: body.meta?.path,
          ...(body.jobId ? { jobId: body.jobId } : {}),
          ...(Number.isFinite(overhead) ? { keelOverheadMs: overhead } : {}),
        };
      } catch (err) {
        return { ok: false, ms: performance.now() - started, error: describe(err) };
      }
    },
  };
}

const JUDGE_POLICY = resolvePolicy({
  config: undefined,
  tenantId: 'bench',
  task: classifyTicket.name,
  taskDefaults: classifyTicket.policy,
});

/**
 * One judge for every system: Keel's own validation layers (tolerant parse — generous to the
 * gateways —, schema, business rules, grounding, output moderation). Valid means every layer
 * passed as returned: an answer that needed a repair (a clamp, masked PII) is not valid.
 */
export function isValidAnswer(input: Ticket, outcome: Outcome): boolean {
  if (!outcome.ok) return false;
  const v = validateAnswer(classifyTicket, {
    ...(outcome.output !== undefined ? { output: outcome.output } : { text: outcome.text ?? '' }),
    input,
    policy: JUDGE_POLICY,
  });
  return (
    v.ok && Object.values(v.layers).every((l) => l.status !== 'repaired' && l.status !== 'failed')
  );
}
