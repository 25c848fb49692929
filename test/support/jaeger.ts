import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findGo, isExecutable } from '../../temporal/cluster/install';
import { freePort } from './free-port';
import { ROOT, stop, waitFor, type RunningProcess } from './processes';

/**
 * Jaeger for the traces test (test/e2e/traces.test.ts): v1.75's `jaeger` binary, the v2
 * all-in-one built on the OpenTelemetry Collector, from the Go module proxy into
 * `.keel/bin/jaeger-v1.75.0` (`npm run jaeger:install`; .ci/run calls it). Started on free
 * loopback ports with in-memory storage, an OTLP/HTTP receiver and the query API.
 */
export const JAEGER_VERSION = '1.75.0';
const MODULE = 'github.com/jaegertracing/jaeger';

export function jaegerBinary(dataDir = path.join(ROOT, '.keel')): string {
  return path.join(dataDir, 'bin', `jaeger-v${JAEGER_VERSION}`);
}

/**
 * The binary, built now if missing. `go install pkg@version` refuses this module (its go.mod has
 * a replace directive), so: download the module, then `go build ./cmd/jaeger` inside it.
 */
export function ensureJaeger(log: (line: string) => void = () => undefined): string {
  const binary = jaegerBinary();
  if (isExecutable(binary)) return binary;
  const go = findGo();
  const started = Date.now();
  log(`building ${MODULE}/cmd/jaeger@v${JAEGER_VERSION} (several minutes the first time)`);
  const download = spawnSync(go, ['mod', 'download', '-json', `${MODULE}@v${JAEGER_VERSION}`], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    // Outside any module: -mod flags from the environment would only get in the way.
    env: { ...process.env, GOFLAGS: '' },
  });
  if (download.status !== 0)
    throw new Error(`go mod download ${MODULE}@v${JAEGER_VERSION} failed:\n${download.stderr}`);
  const dir = (JSON.parse(download.stdout) as { Dir: string }).Dir;
  mkdirSync(path.dirname(binary), { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  const build = spawnSync(go, ['build', '-trimpath', '-o', tmp, './cmd/jaeger'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (build.status !== 0) throw new Error(`go build ./cmd/jaeger failed:\n${build.stderr}`);
  spawnSync('mv', [tmp, binary]);
  log(`  built ${path.relative(ROOT, binary)} in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/** Jaeger's query API answer for one trace (`/api/traces/{id}`), the fields the test reads. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export interface RunningJaeger {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  otlpEndpoint: string;
  /** The query service (UI and `/api/...`). */
  queryUrl: string;
  /** One trace by id, or undefined while Jaeger has none. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  stop(): Promise<void>;
}

/** Jaeger on free loopback ports, keeping spans in memory; `stop` ends it and its files. */
export async function startJaeger(): Promise<RunningJaeger> {
  const binary = ensureJaeger();
  const [otlp, query, queryGrpc, health] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-jaeger-'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${health}
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  child.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running: RunningProcess = { child, output: () => out, exited };
  const queryUrl = `http://127.0.0.1:${query}`;
  const stopAll = async (): Promise<void> => {
    await stop(running);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'jaeger',
      async () => (await fetch(`${queryUrl}/api/services`)).ok && (await otlpReady(otlp)),
      { timeoutMs: 30_000, process: running },
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${otlp}`,
    queryUrl,
    async trace(traceId) {
      const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`jaeger /api/traces/${traceId}: ${res.status}`);
      const body = (await res.json()) as { data?: JaegerTrace[] };
      return body.data?.[0];
    },
    stop: stopAll,
  };
}

/** The OTLP receiver answers (an empty export is accepted). */
async function otlpReady(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceSpans":[]}',
  });
  return res.ok;
}
