/**
 * The catalogue of provider misbehaviours. A request picks one by sending its name as `model`, so
 * any client (SDK, curl, Keel's router) can reach every fault without mock-specific plumbing.
 */
import { DRIFT_DESCRIPTIONS } from './drift';
import type { Api } from './wire';

export const SCENARIO_NAMES = [
  'ok',
  'slow',
  '429-retry-after',
  '429-retry-after-ms',
  '429-http-date',
  '429-bare',
  '500-once',
  '503',
  '529',
  '401',
  'reset',
  'hang',
  'slow-ttft',
  'stream-cut',
  'stream-stall',
  'malformed-chunk',
  'no-done',
  '400-context',
  'content-filter',
  'invalid-json',
  'fenced-json',
  'truncated',
  'rule-violation',
  'fabricated-citation',
  'pii-output',
  'toxic-output',
  'unfaithful',
  'flap',
  'trickle',
  'stall-midway',
  'tool-call',
  'drift-refusals',
  'drift-longer',
  'drift-categories',
  'drift-unfaithful',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

const DESCRIPTIONS: Record<ScenarioName, string> = {
  ok: 'Correct answer for Keel tasks (the local algorithm), plain text otherwise.',
  slow: 'Correct answer after a lognormal delay (options.slow median/p99, seeded).',
  '429-retry-after': '429 rate limit with `retry-after: 2`.',
  '429-retry-after-ms':
    '429 with `retry-after-ms: 1500` (OpenAI; Anthropic gets `retry-after: 2` instead).',
  '429-http-date': '429 with `retry-after` as an HTTP date 3 s in the future.',
  '429-bare': '429 with no retry header at all.',
  '500-once':
    '500 the first time a given request body is seen; identical repeats succeed, so a retry wins.',
  '503': '503 service unavailable.',
  '529': 'Anthropic 529 overloaded_error; OpenAI gets 503 with code `overloaded`.',
  '401': 'Authentication error (invalid API key).',
  reset: 'Reads the request, then resets the TCP connection (no HTTP response).',
  hang: 'Reads the request and never answers until the client aborts or the mock closes.',
  'slow-ttft':
    'Waits options.ttftMs (default 3000) before the first byte; non-stream: same delay, then the answer.',
  'stream-cut':
    'Stream: about half the events, then the socket is destroyed (no [DONE]/message_stop). Non-stream: headers and half the body, then destroyed.',
  'stream-stall':
    'Stream: a few events, then silence with the socket open. Non-stream: headers and half the body, then silence.',
  'malformed-chunk':
    'Stream: one event in the middle carries broken JSON. Non-stream: a 200 whose body is not valid JSON.',
  'no-done':
    'Stream: every event including the finish, but the response ends without [DONE]/message_stop. Non-stream: same as ok.',
  '400-context':
    'Context-length error (OpenAI context_length_exceeded; Anthropic prompt is too long).',
  'content-filter':
    'Billed 200 with no content: OpenAI finish_reason content_filter + refusal; Anthropic stop_reason refusal.',
  'invalid-json':
    "Answer JSON with the last brace removed and a dangling comma (Anthropic: text, not tool_use); a tool call's arguments cut by one character (OpenAI; Anthropic sends {}).",
  'fenced-json':
    'Answer wrapped as "Here is the result:" plus a ```json fence (Anthropic: text block).',
  truncated: 'Answer JSON cut in half with finish_reason length / stop_reason max_tokens.',
  'rule-violation':
    'Schema-valid answer breaking a business rule: summary over maxWords; classify OTHER at confidence 0.2 (a "guess", below the default minimum 0.5); discount 60%; invoice total off by 10; answer with its citations dropped; a tool call whose arguments break its schema.',
  'fabricated-citation':
    'Claims the input does not support: a number and a name absent from the source (summary); a quoted term not in the ticket (rationale); a first citation quoting a sentence no document contains plus a citation of doc-does-not-exist (answer); a made-up vendor (invoice).',
  'pii-output': 'Plants jane.doe@example.com and +1 415 555 0100 in the main text field.',
  'toxic-output': 'Plants "this is damn stupid crap" in the main text field.',
  unfaithful:
    'Appends "— a full refund is guaranteed." to the main text field: a promise no input makes, which only the verifier catches. Any scenario answering Keel\'s verifier (schema verify_answer) scores 0.2 when the answer says "guaranteed" and the input does not, else 0.95.',
  flap: 'Alternates per options.flapPeriodMs: 503 in the first half of each period, ok in the second.',
  trickle:
    'Status, headers and the first bytes at once, then the rest of the body (JSON or SSE) a few bytes every 200 ms, the last ones options.trickleMs (default 20000) later.',
  'stall-midway':
    'Status, headers and the first half of the body bytes (JSON or SSE, usually cut inside a frame), then silence with the socket open until the client hangs up.',
  'tool-call':
    'A request that offers tools gets a call of the first one even under tool_choice auto (any scenario answers one when the tool choice requires it), then text once the tool results come back; without tools, as ok.',
  ...DRIFT_DESCRIPTIONS,
};

export const SCENARIOS: ReadonlyArray<{ name: string; description: string }> = Object.freeze(
  SCENARIO_NAMES.map((name) => Object.freeze({ name, description: DESCRIPTIONS[name] })),
);

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** mulberry32: tiny, fast, and the same sequence for the same seed on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z-score of the 99th percentile of a standard normal. */
const Z_P99 = 2.3263478740408408;

/**
 * A lognormal sample whose median and 99th percentile match the options: real provider latency
 * has a long right tail, which a uniform jitter would not exercise.
 */
export function lognormalMs(random: () => number, medianMs: number, p99Ms: number): number {
  const sigma = p99Ms > medianMs && medianMs > 0 ? Math.log(p99Ms / medianMs) / Z_P99 : 0;
  const u1 = Math.max(random(), Number.EPSILON);
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, medianMs * Math.exp(sigma * z));
}

/** `flap` is down in the first half of each period, counted from the mock's start. */
export function flapIsDown(nowMs: number, startedMs: number, periodMs: number): boolean {
  const period = Math.max(2, periodMs);
  const phase = (((nowMs - startedMs) % period) + period) % period;
  return phase < period / 2;
}

/** Retry hints each 429 variant sends; the point of these scenarios is the header format. */
export function retryHeaders(
  scenario: ScenarioName,
  api: Api,
  nowMs: number,
): Record<string, string> {
  switch (scenario) {
    case '429-retry-after':
      return { 'retry-after': '2' };
    case '429-retry-after-ms':
      return api === 'openai' ? { 'retry-after-ms': '1500' } : { 'retry-after': '2' };
    case '429-http-date':
      return { 'retry-after': new Date(nowMs + 3_000).toUTCString() };
    default:
      return {};
  }
}
