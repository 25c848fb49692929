/**
 * `npx tsx bench/peers/smoke.ts`: starts the mock upstream in-process and both peer gateways in
 * front of it, sends Keel's classify-ticket request along a few fault routes with the real
 * OpenAI SDK, and prints what each gateway did upstream (the mock's attempt log), so retries,
 * timeouts and fallbacks can be checked against the configured policy. Then times 200 sequential
 * `ok` requests through each peer and straight to the mock.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { openAIMessages } from '../../activities/models/providers/openai-provider';
import { buildMessages, schemaName } from '../../activities/models/render-request';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import type { AnyTaskDefinition } from '../../shared/tasks';
import { startMockUpstream, type Attempt, type MockUpstream } from '../../test/mock-upstream';
import { startLiteLLM } from './litellm';
import { startPortkey } from './portkey';
import { rssBytes } from './proc';
import type { Peer, PeerPolicy, PeerRoute } from './types';

const POLICY: PeerPolicy = {
  attemptsPerTarget: 2,
  timeoutMs: 2_000,
  retryOnStatus: [429, 500, 502, 503, 504],
};

const ROUTES: readonly PeerRoute[] = [
  { primary: 'ok', fallback: 'ok' },
  { primary: '503', fallback: 'ok' },
  { primary: '500-once', fallback: 'ok' },
  { primary: '429-bare', fallback: 'ok' },
  { primary: 'hang', fallback: 'ok' },
];

const TIMED_REQUESTS = 200;
const WARMUP = 20;
/** Well above the worst route (two 2 s timeouts, backoff, then the fallback). */
const CLIENT_TIMEOUT_MS = 30_000;
/** Keel's default for a model without an explicit limit (shared/platform/model-registry.ts). */
const MAX_OUTPUT_TOKENS = 4_096;

const TICKETS = [
  { subject: 'Refund', body: 'I was charged twice for my subscription' },
  { subject: 'App crash', body: 'The app crashes with error 500 when I open the dashboard' },
  { subject: 'Locked out', body: 'I cannot reset my password and my 2FA codes do not work' },
];

/**
 * The body Keel's OpenAI provider sends for classify-ticket. `n` makes each body unique: the
 * mock's `500-once` remembers bodies, and a body one peer already burnt must not let the next
 * peer succeed on its first attempt.
 */
function classifyBody(model: string, n: number): ChatCompletionCreateParamsNonStreaming {
  const ticket = TICKETS[n % TICKETS.length] ?? TICKETS[0]!;
  const input = classifyTicket.input.parse({ ...ticket, subject: `${ticket.subject} #${n}` });
  const task = classifyTicket as unknown as AnyTaskDefinition;
  return {
    model,
    messages: openAIMessages(buildMessages(task, input)),
    response_format: zodResponseFormat(classifyTicket.output, schemaName(task)),
    max_completion_tokens: MAX_OUTPUT_TOKENS,
  };
}

interface Target {
  name: string;
  client: OpenAI;
  request(route: PeerRoute): { model: string; headers: Record<string, string> };
}

const clientFor = (baseURL: string, apiKey: string): OpenAI =>
  new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: CLIENT_TIMEOUT_MS, logLevel: 'off' });

const toTarget = (peer: Peer): Target => ({
  name: `${peer.name} ${peer.version}`,
  client: clientFor(peer.baseURL, peer.apiKey),
  request: (route) => peer.request(route),
});

let counter = 0;

/** What the gateway says it did, from its response headers. */
const GATEWAY_HEADERS: Record<string, string> = {
  'x-portkey-last-used-option-index': 'target',
  'x-portkey-retry-attempt-count': 'retries',
  'x-litellm-model-group': 'group',
  'x-litellm-attempted-retries': 'retries',
  'x-litellm-attempted-fallbacks': 'fallbacks',
};

function gatewayReport(headers: Headers): string {
  return Object.entries(GATEWAY_HEADERS)
    .flatMap(([header, label]) => {
      const value = headers.get(header);
      return value === null ? [] : [`${label}=${value}`];
    })
    .join(' ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function send(target: Target, route: PeerRoute) {
  const { model, headers } = target.request(route);
  const started = performance.now();
  try {
    const { data, response } = await target.client.chat.completions
      .create(classifyBody(model, counter++), { headers })
      .withResponse();
    const content = data.choices[0]?.message.content ?? '';
    const parsed = classifyTicket.output.safeParse(parseJson(content));
    return {
      status: response.status,
      model: data.model,
      answer: parsed.success ? parsed.data.category : `invalid: ${content.slice(0, 60)}`,
      gateway: gatewayReport(response.headers),
      ms: performance.now() - started,
    };
  } catch (err) {
    const status = err instanceof OpenAI.APIError ? (err.status ?? 0) : 0;
    const message = err instanceof Error ? err.message : String(err);
    return {
      status,
      model: '-',
      answer: message.slice(0, 80),
      gateway: '',
      ms: performance.now() - started,
    };
  }
}

/** `503:503 +1004ms 503:503 +2010ms ok:200`: model:status and the gap before each next attempt. */
function describeAttempts(attempts: Attempt[]): string {
  return attempts
    .map((a, i) => {
      const prev = attempts[i - 1];
      const gap = prev ? ` +${Date.parse(a.at) - Date.parse(prev.at)}ms ` : '';
      return `${gap}${a.model}:${a.status === 0 ? 'none' : a.status}(${a.latencyMs}ms)`;
    })
    .join('');
}

async function runRoutes(mock: MockUpstream, targets: readonly Target[]): Promise<void> {
  for (const route of ROUTES) {
    console.log(`\nroute ${route.primary} -> ${route.fallback}`);
    for (const target of targets) {
      mock.clearAttempts();
      const r = await send(target, route);
      // Let a gateway finish abandoning a timed-out attempt before the log is read.
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log(
        `  ${target.name.padEnd(18)} ${r.status} model=${r.model} ${Math.round(r.ms)}ms answer=${r.answer} [${r.gateway}]`,
      );
      console.log(`  ${''.padEnd(18)} upstream: ${describeAttempts(mock.attempts())}`);
    }
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function timeOk(target: Target): Promise<{ median: number; p95: number }> {
  const ok: PeerRoute = { primary: 'ok', fallback: 'ok' };
  const once = async (): Promise<number> => {
    const r = await send(target, ok);
    if (r.status !== 200) throw new Error(`${target.name}: ${r.status} ${r.answer}`);
    return r.ms;
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < TIMED_REQUESTS; i++) samples.push(await once());
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p95: percentile(samples, 95) };
}

async function timedStart(what: string, start: () => Promise<Peer>): Promise<Peer> {
  const t0 = performance.now();
  const peer = await start();
  const pids = peer.pids();
  console.log(
    `${what} ${peer.version} ready in ${Math.round(performance.now() - t0)} ms at ${peer.baseURL}` +
      ` (${pids.length} process${pids.length === 1 ? '' : 'es'}: ${pids.join(' ')})`,
  );
  return peer;
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

async function main(): Promise<void> {
  const mock = await startMockUpstream({ seed: 1 });
  const upstreamBaseURL = `${mock.url}/v1`;
  const peers: Peer[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= Promise.all(peers.map((p) => p.stop())).then(() => mock.close()));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    console.log(`mock upstream at ${mock.url}; policy ${JSON.stringify(POLICY)}`);
    peers.push(
      await timedStart('portkey', () => startPortkey({ upstreamBaseURL, policy: POLICY })),
    );
    const scenarios = [...new Set(ROUTES.flatMap((r) => [r.primary, r.fallback]))];
    peers.push(
      await timedStart('litellm', () =>
        startLiteLLM({ upstreamBaseURL, policy: POLICY, scenarios, routes: ROUTES }),
      ),
    );
    const targets = peers.map(toTarget);
    await runRoutes(mock, targets);

    const direct: Target = {
      name: 'direct to mock',
      client: clientFor(upstreamBaseURL, 'mock'),
      request: (route) => ({ model: route.primary, headers: {} }),
    };
    console.log(`\n${TIMED_REQUESTS} sequential ok requests (after ${WARMUP} warm-up):`);
    for (const target of [direct, ...targets]) {
      const { median, p95 } = await timeOk(target);
      console.log(
        `  ${target.name.padEnd(18)} median ${median.toFixed(2)} ms  p95 ${p95.toFixed(2)} ms`,
      );
    }
    mock.clearAttempts();
    console.log('\nmemory after the runs (RSS of every process of the peer):');
    for (const peer of peers) {
      const pids = peer.pids();
      console.log(`  ${peer.name.padEnd(8)} ${mib(rssBytes(pids))} in ${pids.length} process(es)`);
    }
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
