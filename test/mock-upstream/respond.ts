/**
 * The scenario engine: given a parsed request and its scenario, produce exactly one outcome on the
 * socket (a body, an SSE stream, an error, a reset or silence) and record it on the attempt.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ContentFault } from './content';
import { buildReply, isContentFault, refusalReply } from './content';
import { driftReply } from './drift';
import type { ScenarioName } from './scenarios';
import { toolReply } from './tools';
import { flapIsDown, lognormalMs, retryHeaders } from './scenarios';
import type { Attempt } from './types';
import type { ErrorKind, ParsedRequest, Reply, Usage, Wire } from './wire';
import { estimateTokens } from './wire';

/** Settings and memory shared by all requests of one mock instance. */
export interface EngineState {
  latencyMs: number;
  slow: { medianMs: number; p99Ms: number };
  flapPeriodMs: number;
  ttftMs: number;
  /** `trickle`: from the first bytes of the body to its last. */
  trickleMs: number;
  random: () => number;
  now: () => number;
  startedMs: number;
  /** Body hashes that already got their one 500 (`500-once`). */
  seenBodies: Set<string>;
  /** Calls of a drift scenario answered as `ok` before it drifts (options.driftAfterCalls). */
  driftAfterCalls: number;
  /** Calls so far per drift scenario. */
  driftCalls: Map<string, number>;
}

export interface Exchange {
  wire: Wire;
  res: ServerResponse;
  parsed: ParsedRequest;
  scenario: ScenarioName;
  rawBody: string;
  /** Header `x-mock-latency-ms`, already parsed. */
  extraLatencyMs: number;
  /** Header `x-mock-drift-after`, already parsed: overrides options.driftAfterCalls. */
  driftAfterCalls?: number;
  attempt: Attempt;
  /** Wall-clock arrival (Date.now), for processing-time headers. */
  receivedMs: number;
  /** Aborted when the client goes away or the mock closes: every wait must end then. */
  signal: AbortSignal;
  /** Sent with the response whatever it is (a key's rate-limit counters, options.keyQuotas). */
  extraHeaders?: Record<string, string>;
}

type Delivery = 'full' | 'cut' | 'stall' | 'malformed' | 'no-done' | 'trickle' | 'stall-midway';

/** `trickle` sends its next few bytes this often. */
const TRICKLE_TICK_MS = 200;

/** Resolves after `ms` or as soon as `signal` aborts; never rejects, callers check the signal. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Waits until the client aborts or the mock closes: the behaviour of a hung upstream. */
function forever(signal: AbortSignal): Promise<void> {
  return sleep(Number.MAX_SAFE_INTEGER >>> 1, signal);
}

/** Resolves once `chunk` is handed to the kernel, so a following destroy cannot drop it. */
function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => res.write(chunk, () => resolve()));
}

function sendError(x: Exchange, kind: ErrorKind, headers: Record<string, string> = {}): void {
  const { status, body } = x.wire.error(kind, {
    model: x.parsed.model,
    requestId: x.attempt.requestId,
  });
  x.attempt.status = status;
  const payload = JSON.stringify(body);
  x.res.writeHead(status, {
    ...x.wire.headers(x.attempt.requestId, 1, kind === 'rate-limit'),
    ...x.extraHeaders,
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
  });
  x.res.end(payload);
}

/**
 * The body's bytes at a slow pace, after headers already sent at once. `trickle`: a first piece
 * now, then a piece every TRICKLE_TICK_MS, the last one `trickleMs` later; the pieces split frames
 * and UTF-8 sequences wherever they fall, as a slow link does. `stall-midway`: the first half,
 * then nothing until the client hangs up. Either stops writing as soon as the client leaves.
 */
async function sendPaced(
  x: Exchange,
  bytes: Buffer,
  delivery: 'trickle' | 'stall-midway',
  trickleMs: number,
): Promise<void> {
  if (delivery === 'stall-midway') {
    await write(x.res, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return forever(x.signal);
  }
  const ticks = Math.max(1, Math.round(trickleMs / TRICKLE_TICK_MS));
  const size = Math.max(1, Math.ceil(bytes.length / (ticks + 1)));
  await write(x.res, bytes.subarray(0, size));
  for (let sent = size; sent < bytes.length; sent += size) {
    await sleep(TRICKLE_TICK_MS, x.signal);
    if (x.signal.aborted) return;
    await write(x.res, bytes.subarray(sent, sent + size));
  }
  x.res.end();
}

async function sendReply(
  x: Exchange,
  reply: Reply,
  delivery: Delivery,
  trickleMs = 0,
): Promise<void> {
  const { res, parsed, attempt, wire } = x;
  const usage: Usage = {
    inputTokens: parsed.inputTokens,
    outputTokens: estimateTokens(
      reply.finish === 'content_filter'
        ? (reply.refusal ?? '')
        : reply.text + JSON.stringify(reply.toolCalls ?? ''),
    ),
  };
  attempt.status = 200;
  attempt.billed = true;
  attempt.outputTokens = usage.outputTokens;
  const headers = {
    ...wire.headers(attempt.requestId, Date.now() - x.receivedMs, false),
    ...x.extraHeaders,
  };
  if (!parsed.stream) {
    const body = JSON.stringify(wire.completion(parsed, reply, usage));
    // A non-stream "cut" or "stall" still promises the full length, like a proxy mid-transfer.
    const half = body.slice(0, Math.floor(body.length / 2));
    const sent = delivery === 'malformed' ? body.slice(0, -1) : body;
    res.writeHead(200, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(sent)),
    });
    if (delivery === 'stall-midway') attempt.outputTokens = Math.ceil(usage.outputTokens / 2);
    if (delivery === 'trickle' || delivery === 'stall-midway')
      return sendPaced(x, Buffer.from(sent), delivery, trickleMs);
    if (delivery === 'cut' || delivery === 'stall') {
      attempt.outputTokens = Math.ceil(usage.outputTokens / 2);
      await write(res, half);
      if (delivery === 'cut') {
        attempt.closedBy = 'upstream';
        res.destroy();
      } else await forever(x.signal);
      return;
    }
    res.end(sent);
    return;
  }
  const sse = wire.stream(parsed, reply, usage);
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  if (delivery === 'trickle' || delivery === 'stall-midway') {
    if (delivery === 'stall-midway') attempt.outputTokens = Math.ceil(usage.outputTokens / 2);
    return sendPaced(x, Buffer.from([...sse.frames, sse.done].join('')), delivery, trickleMs);
  }
  if (delivery === 'cut' || delivery === 'stall') {
    const keep = Math.max(1, Math.floor(sse.frames.length / 2));
    attempt.outputTokens = Math.ceil((usage.outputTokens * keep) / sse.frames.length);
    await write(res, sse.frames.slice(0, keep).join(''));
    // Destroying without the terminating chunk is what a dropped upstream connection looks like.
    if (delivery === 'cut') {
      attempt.closedBy = 'upstream';
      res.destroy();
    } else await forever(x.signal);
    return;
  }
  const frames = [...sse.frames];
  if (delivery === 'malformed') frames.splice(Math.floor(frames.length / 2), 0, sse.malformed);
  if (delivery !== 'no-done') frames.push(sse.done);
  res.end(frames.join(''));
}

function bodyHash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * Content faults hit the first answer of a conversation. Told what was wrong (a re-ask), the mock
 * model corrects itself, as capable models usually do; stubborn models are a workflow-test case.
 */
const replyFor = (x: Exchange, fault?: ContentFault): Reply =>
  toolReply(x.parsed, x.scenario, fault) ??
  buildReply(x.parsed.schemaName, x.parsed.lastUserText, x.parsed.reask ? undefined : fault);

/** Runs the request's scenario to completion (or until the client / mock gives up). */
export async function respond(x: Exchange, state: EngineState): Promise<void> {
  const { scenario, signal } = x;
  await sleep(state.latencyMs + x.extraLatencyMs, signal);
  if (signal.aborted) return;
  if (isContentFault(scenario)) return sendReply(x, replyFor(x, scenario), 'full');
  switch (scenario) {
    case 'ok':
    case 'tool-call':
      return sendReply(x, replyFor(x), 'full');
    case 'slow':
      await sleep(lognormalMs(state.random, state.slow.medianMs, state.slow.p99Ms), signal);
      return signal.aborted ? undefined : sendReply(x, replyFor(x), 'full');
    case 'slow-ttft':
      await sleep(state.ttftMs, signal);
      return signal.aborted ? undefined : sendReply(x, replyFor(x), 'full');
    case '429-retry-after':
    case '429-retry-after-ms':
    case '429-http-date':
    case '429-bare':
      return sendError(x, 'rate-limit', retryHeaders(scenario, x.wire.api, state.now()));
    case '500-once': {
      const hash = bodyHash(x.rawBody);
      if (state.seenBodies.has(hash)) return sendReply(x, replyFor(x), 'full');
      state.seenBodies.add(hash);
      return sendError(x, 'server');
    }
    case '503':
      return sendError(x, 'unavailable');
    case '529':
      return sendError(x, 'overloaded');
    case '401':
      return sendError(x, 'auth');
    case '400-context':
      return sendError(x, 'context');
    case 'flap':
      return flapIsDown(state.now(), state.startedMs, state.flapPeriodMs)
        ? sendError(x, 'unavailable')
        : sendReply(x, replyFor(x), 'full');
    case 'reset':
      // RST instead of FIN: the client sees ECONNRESET, as with a crashed load balancer.
      x.attempt.closedBy = 'upstream';
      x.res.socket?.resetAndDestroy();
      return;
    case 'hang':
      return forever(signal);
    case 'content-filter':
      return sendReply(x, refusalReply(), 'full');
    case 'stream-cut':
      return sendReply(x, replyFor(x), 'cut');
    case 'stream-stall':
      return sendReply(x, replyFor(x), 'stall');
    case 'malformed-chunk':
      return sendReply(x, replyFor(x), 'malformed');
    case 'no-done':
      return sendReply(x, replyFor(x), 'no-done');
    case 'trickle':
      return sendReply(x, replyFor(x), 'trickle', state.trickleMs);
    case 'stall-midway':
      return sendReply(x, replyFor(x), 'stall-midway');
    case 'drift-refusals':
    case 'drift-longer':
    case 'drift-categories':
    case 'drift-unfaithful': {
      const call = (state.driftCalls.get(scenario) ?? 0) + 1;
      state.driftCalls.set(scenario, call);
      const after = x.driftAfterCalls ?? state.driftAfterCalls;
      return sendReply(
        x,
        toolReply(x.parsed, scenario, undefined) ?? driftReply(scenario, call, after, x.parsed),
        'full',
      );
    }
  }
}
