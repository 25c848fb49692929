import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import {
  startJaeger,
  type JaegerSpan,
  type JaegerTrace,
  type RunningJaeger,
} from '../support/jaeger';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, startStack, upstreamEnv, type EmbeddedStack } from '../support/stack';

/**
 * Traces as an operator sees them in Jaeger (docs/traces.md): Keel with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real Jaeger (v2, in memory), a caller sending its
 * own `traceparent`. One trace from the HTTP request through the workflow start, the workflow,
 * its activities, to the provider call with the GenAI attributes; the caller's trace id kept and
 * a `traceparent` answered; nothing of the ticket's text in any span. First the default
 * deployment (worker inside the API), then an API and a worker process (the context crosses
 * Temporal's headers between processes).
 */
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const SECRET = 'zebra-lantern-4417';
const ticket = {
  subject: `Refund ${SECRET}`,
  body: `I was charged twice for my subscription, my code is ${SECRET}.`,
};

let jaeger: RunningJaeger;
let mock: MockUpstream;
beforeAll(async () => {
  jaeger = await startJaeger();
  mock = await startMockUpstream({ port: 0 });
});
afterAll(async () => {
  await mock?.close();
  await jaeger?.stop();
});

const tracingEnv = (service: string): NodeJS.ProcessEnv => ({
  ...upstreamEnv(mock.url),
  OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
  OTEL_SERVICE_NAME: service,
  // Export within 100 ms rather than the SDK's 5 s, so the test does not wait on the batch.
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** The span's ancestors, nearest first (CHILD_OF references within the trace). */
function ancestors(trace: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const chain: JaegerSpan[] = [];
  let at: JaegerSpan | undefined = span;
  while (at) {
    const parent: JaegerSpan['references'][number] | undefined = at.references.find(
      (r) => r.refType === 'CHILD_OF',
    );
    at = parent ? byId.get(parent.spanID) : undefined;
    if (at) chain.push(at);
  }
  return chain;
}

/** Waits until Jaeger holds the trace with every span `ready` asks for. */
async function traceOf(traceId: string, ready: (t: JaegerTrace) => boolean): Promise<JaegerTrace> {
  let found: JaegerTrace | undefined;
  await waitFor(
    `trace ${traceId} in jaeger`,
    async () => {
      found = await jaeger.trace(traceId);
      return !!found && ready(found);
    },
    { timeoutMs: 30_000 },
  );
  return found!;
}

const named = (trace: JaegerTrace, pattern: RegExp): JaegerSpan[] =>
  trace.spans.filter((s) => pattern.test(s.operationName));

async function classifyTraced(stack: EmbeddedStack, service: string): Promise<void> {
  const traceId = hex(16);
  const callerSpan = hex(8);
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    body: JSON.stringify({ input: ticket, options: { route: ['openai:ok'] } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  // The answer names the same trace and the API's own span in it.
  const answered = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceparent')!);
  expect(answered?.[1]).toBe(traceId);
  const httpSpanId = answered![2]!;

  const trace = await traceOf(
    traceId,
    (t) =>
      named(t, /^chat /).length > 0 &&
      named(t, /^RunWorkflow:/).length > 0 &&
      named(t, /^RunActivity:/).length > 0 &&
      named(t, /^POST /).length > 0,
  );
  expect(trace.traceID).toBe(traceId);
  expect(new Set(Object.values(trace.processes).map((p) => p.serviceName))).toEqual(
    new Set([service]),
  );

  // The HTTP span: named by its route, under the caller's span, the one the answer named.
  const [http] = named(trace, /^POST /);
  expect(http!.operationName).toBe('POST /v1/tasks/:task');
  expect(http!.spanID).toBe(httpSpanId);
  expect(http!.references).toEqual([
    expect.objectContaining({ refType: 'CHILD_OF', spanID: callerSpan }),
  ]);
  expect(tag(http!, 'http.response.status_code')).toBe(200);

  // The provider call: GenAI attributes, under callModel's activity, under the workflow, under
  // its start, under the HTTP span.
  const [chat] = named(trace, /^chat /);
  expect(chat!.operationName).toBe('chat ok');
  expect(tag(chat!, 'span.kind')).toBe('client');
  expect(tag(chat!, 'gen_ai.operation.name')).toBe('chat');
  expect(tag(chat!, 'gen_ai.system')).toBe('openai');
  expect(tag(chat!, 'gen_ai.request.model')).toBe('ok');
  expect(tag(chat!, 'gen_ai.response.model')).toEqual(expect.any(String));
  expect(tag(chat!, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
  expect(tag(chat!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
  const chain = ancestors(trace, chat!).map((s) => s.operationName);
  const at = (pattern: RegExp): number => chain.findIndex((n) => pattern.test(n));
  expect(chain[0]).toBe('RunActivity:callModel');
  expect(at(/^RunWorkflow:/)).toBeGreaterThan(0);
  expect(at(/^StartWorkflow:/)).toBeGreaterThan(at(/^RunWorkflow:/));
  expect(at(/^POST \/v1\/tasks\/:task$/)).toBeGreaterThan(at(/^StartWorkflow:/));
  expect(chain.at(-1)).toBe('POST /v1/tasks/:task');
  // Every activity of the task is in the trace, under the workflow.
  for (const activity of named(trace, /^RunActivity:/))
    expect(ancestors(trace, activity).some((s) => /^RunWorkflow:/.test(s.operationName))).toBe(
      true,
    );

  // No prompt, input or answer text anywhere: tags, logs (events), process tags.
  expect(JSON.stringify(trace)).not.toContain(SECRET);
  expect(JSON.stringify(trace)).not.toContain('charged twice');
}

describe('traces in Jaeger, one API process with its worker inside', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack(tracingEnv('keel-traces-embedded'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('follows a classify-ticket request from the caller’s traceparent to the provider call', async () => {
    await classifyTraced(stack, 'keel-traces-embedded');
  });

  it('traces /v1/chat/completions to its provider call without the messages', async () => {
    const traceId = hex(16);
    const res = await stack.call('/v1/chat/completions', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
      body: JSON.stringify({
        model: 'openai:ok',
        messages: [{ role: 'user', content: `Hello, my code is ${SECRET}` }],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-`));
    // Spans reach Jaeger in several exports (the workflow's when its run ends): wait for the
    // provider call's whole chain, up to the HTTP span.
    const trace = await traceOf(traceId, (t) => {
      const [call] = named(t, /^chat /);
      return !!call && ancestors(t, call).at(-1)?.operationName === 'POST /v1/chat/completions';
    });
    const [chat] = named(trace, /^chat /);
    expect(tag(chat!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    expect(ancestors(trace, chat!).at(-1)!.operationName).toBe('POST /v1/chat/completions');
    expect(JSON.stringify(trace)).not.toContain(SECRET);
  });

  it('samples nothing of its own by default: a caller that sent no traceparent gets an unsampled one, and Jaeger never sees it', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: ticket, options: { route: ['openai:ok'] } }),
    });
    expect(res.status).toBe(200);
    const answered = /^00-([0-9a-f]{32})-[0-9a-f]{16}-00$/.exec(res.headers.get('traceparent')!);
    expect(answered, res.headers.get('traceparent')!).not.toBeNull();
    // A sampled request after it: once its trace is in Jaeger, the batch that would have carried
    // the first one's spans has gone too.
    await classifyTraced(stack, 'keel-traces-embedded');
    expect(await jaeger.trace(answered![1]!)).toBeUndefined();
  });
});

describe('traces in Jaeger, an API process and a worker process', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    // This deployment records every request (OTEL_TRACES_SAMPLER), not only sampled callers'.
    stack = await startStack({
      ...tracingEnv('keel-traces-split'),
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('carries the trace from the API to the worker through Temporal', async () => {
    await classifyTraced(stack, 'keel-traces-split');
  });

  it('with OTEL_TRACES_SAMPLER=parentbased_always_on, records a request whose caller sent no traceparent', async () => {
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({ input: ticket, options: { route: ['openai:ok'] } }),
    });
    expect(res.status).toBe(200);
    const answered = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceparent')!);
    expect(answered, res.headers.get('traceparent')!).not.toBeNull();
    const trace = await traceOf(
      answered![1]!,
      (t) => named(t, /^chat /).length > 0 && named(t, /^POST /).length > 0,
    );
    const [http] = named(trace, /^POST /);
    expect(http!.spanID).toBe(answered![2]);
    // Keel's own root: no parent.
    expect(http!.references).toEqual([]);
  });
});
