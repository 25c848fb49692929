/**
 * A fault-injecting LLM upstream speaking the OpenAI and Anthropic wire formats over real HTTP.
 * Tests and benchmarks point the real vendor SDKs at it and pick a misbehaviour by model name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicWire } from './anthropic-wire';
import { keyHash, keyQuotas, requestKey } from './key-quota';
import { openaiWire } from './openai-wire';
import type { EngineState } from './respond';
import { respond } from './respond';
import { DEFAULT_DRIFT_AFTER_CALLS } from './drift';
import { SCENARIOS, isScenario, seededRandom, type ScenarioName } from './scenarios';
import type { Attempt, MockUpstream, MockUpstreamOptions } from './types';
import type { ErrorKind, Wire } from './wire';
import { makeId } from './wire';

export type { Attempt, MockUpstream, MockUpstreamOptions } from './types';

interface ServedAs {
  scenario: ScenarioName;
  latencyMs: number;
}
export { SCENARIOS } from './scenarios';
export { INJECTED } from './content';

const ROUTES: Record<string, Wire> = {
  'POST /v1/chat/completions': openaiWire,
  'POST /v1/messages': anthropicWire,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

/** Reads the whole body; undefined if the client gave up first. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Header `x-mock-drift-after`: a whole number of calls, else undefined. */
function headerDriftAfter(req: IncomingMessage): number | undefined {
  const value = Number(req.headers['x-mock-drift-after']);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

function headerMs(req: IncomingMessage): number {
  const value = Number(req.headers['x-mock-latency-ms']);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const now = options.now ?? Date.now;
  const state: EngineState = {
    latencyMs: options.latencyMs ?? 0,
    slow: options.slow ?? { medianMs: 1_500, p99Ms: 4_000 },
    flapPeriodMs: options.flapPeriodMs ?? 2_000,
    ttftMs: options.ttftMs ?? 3_000,
    trickleMs: options.trickleMs ?? 20_000,
    // Without a seed, jitter still needs to differ between runs.
    random: seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32)),
    now,
    startedMs: now(),
    seenBodies: new Set(),
    driftAfterCalls: options.driftAfterCalls ?? DEFAULT_DRIFT_AFTER_CALLS,
    driftCalls: new Map(),
  };
  let attempts: Attempt[] = [];
  /** Models served as another scenario until cleared (a provider that breaks, then recovers). */
  const servedAs = new Map<string, ServedAs>();
  const quotas = keyQuotas(options.keyQuotas ?? {});
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  async function handleLlm(wire: Wire, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedMs = Date.now();
    const attempt: Attempt = {
      at: new Date(now()).toISOString(),
      api: wire.api,
      model: '',
      scenario: 'invalid-request',
      status: 0,
      stream: false,
      latencyMs: 0,
      inputTokens: 0,
      outputTokens: 0,
      billed: false,
      requestId: makeId('req_'),
      request: { messages: [] },
    };
    const key = requestKey(req);
    if (key) attempt.keyHash = keyHash(key);
    attempts.push(attempt);
    // Per-request abort: the client leaving or close() must end every wait of this request.
    const aborter = new AbortController();
    const abort = (): void => aborter.abort();
    closing.signal.addEventListener('abort', abort, { once: true });
    res.on('close', () => {
      attempt.latencyMs = Date.now() - receivedMs;
      // Closed before the response was complete: by the mock itself (close()), else the client.
      if (!res.writableFinished)
        attempt.closedBy ??= closing.signal.aborted ? 'upstream' : 'client';
      closing.signal.removeEventListener('abort', abort);
      abort();
    });
    const raw = await readBody(req);
    if (raw === undefined) return;
    const fail = (kind: ErrorKind, model: string, headers: Record<string, string> = {}): void => {
      const { status, body } = wire.error(kind, { model, requestId: attempt.requestId });
      attempt.status = status;
      const sent = { ...wire.headers(attempt.requestId, 1, kind === 'rate-limit'), ...headers };
      for (const [name, value] of Object.entries(sent)) res.setHeader(name, value);
      sendJson(res, status, body);
    };
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return fail('invalid-body', '');
    }
    const parsed = wire.parse(body);
    if (typeof parsed === 'string') return fail('invalid-body', '');
    Object.assign(attempt, {
      model: parsed.model,
      stream: parsed.stream,
      inputTokens: parsed.inputTokens,
      request: {
        messages: parsed.messages,
        ...(parsed.system === undefined ? {} : { system: parsed.system }),
        ...(parsed.tools ? { tools: parsed.tools.tools.map((t) => t.name) } : {}),
      },
    });
    const override = servedAs.get(parsed.model);
    const scenario = override?.scenario ?? parsed.model;
    if (!isScenario(scenario)) {
      attempt.scenario = 'unknown-model';
      return fail('model-not-found', parsed.model);
    }
    const quota = quotas.take(key, wire.api, now());
    if (quota?.limited) {
      attempt.scenario = 'key-quota';
      return fail('rate-limit', parsed.model, quota.headers);
    }
    attempt.scenario = scenario;
    const extraLatencyMs = headerMs(req) + (override?.latencyMs ?? 0);
    const driftAfterCalls = headerDriftAfter(req);
    const exchange = {
      wire,
      res,
      parsed,
      scenario,
      rawBody: raw,
      extraLatencyMs,
      attempt,
      ...(quota ? { extraHeaders: quota.headers } : {}),
      ...(driftAfterCalls !== undefined ? { driftAfterCalls } : {}),
    };
    await respond({ ...exchange, receivedMs, signal: aborter.signal }, state);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = `${req.method ?? 'GET'} ${path}`;
    const wire = ROUTES[route];
    if (wire) {
      handleLlm(wire, req, res).catch((error: unknown) => {
        // A bug in the mock must surface as a loud 500, never as a silent hang in a test.
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
        else res.destroy();
      });
      return;
    }
    if (route === 'GET /_mock/scenarios') return sendJson(res, 200, { scenarios: SCENARIOS });
    if (route === 'GET /_mock/attempts') return sendJson(res, 200, { attempts });
    if (route === 'PUT /_mock/latency') {
      // Benchmarks change the base latency between passes without restarting the process.
      readBody(req)
        .then((raw) => {
          const ms = Number((JSON.parse(raw ?? '{}') as { latencyMs?: unknown }).latencyMs);
          if (!Number.isFinite(ms) || ms < 0 || ms > 600_000)
            return sendJson(res, 400, { error: { message: 'latencyMs: 0..600000' } });
          state.latencyMs = ms;
          sendJson(res, 200, { latencyMs: ms });
        })
        .catch(() => sendJson(res, 400, { error: { message: 'expected {"latencyMs": n}' } }));
      return;
    }
    if (path.startsWith('/_mock/models/')) return serveAsRoute(req, res, path);
    if (route === 'DELETE /_mock/attempts') {
      attempts = [];
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 404, { error: { message: `No route ${route}`, type: 'invalid_request_error' } });
  }

  /**
   * `PUT /_mock/models/<model>` `{"scenario": "503", "latencyMs"?: n}` serves the model as that
   * scenario (n ms later than the scenario would); `DELETE` ends it.
   */
  function serveAsRoute(req: IncomingMessage, res: ServerResponse, path: string): void {
    const model = decodeURIComponent(path.slice('/_mock/models/'.length));
    if (req.method === 'DELETE') {
      servedAs.delete(model);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'PUT' || !model)
      return sendJson(res, 404, { error: { message: `No route ${req.method} ${path}` } });
    readBody(req)
      .then((raw) => {
        const body = JSON.parse(raw ?? '{}') as { scenario?: unknown; latencyMs?: unknown };
        const { scenario, latencyMs = 0 } = body;
        if (typeof scenario !== 'string' || !isScenario(scenario))
          return sendJson(res, 400, {
            error: { message: 'scenario: one of GET /_mock/scenarios' },
          });
        if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= 600_000))
          return sendJson(res, 400, { error: { message: 'latencyMs: 0..600000' } });
        servedAs.set(model, { scenario, latencyMs });
        sendJson(res, 200, { model, scenario, latencyMs });
      })
      .catch(() => sendJson(res, 400, { error: { message: 'expected {"scenario": name}' } }));
  }

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        attempts: () => attempts.map((a) => ({ ...a })),
        clearAttempts: () => {
          attempts = [];
        },
        serveAs: (model, scenario, latencyMs = 0) => {
          if (scenario === undefined) servedAs.delete(model);
          else servedAs.set(model, { scenario, latencyMs });
        },
        close: () =>
          new Promise<void>((done) => {
            closing.abort();
            server.close(() => done());
            // Hanging and stalled exchanges never end on their own; close() must not wait on them.
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}
