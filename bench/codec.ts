/**
 * `npx tsx bench/codec.ts`: what the payload codec (shared/platform/payload-codec.ts: brotli
 * from 1 KiB, then AES-256-GCM) adds, on this machine. Per payload: encode and decode of a 10 KB task input
 * (realistic mixed text from the guards' corpora). Per task: every payload of a recorded
 * external-model job (test/fixtures/histories/run-task-external-input-once.json) with its input
 * body replaced by the same 10 KB text wherever it appears, each encoded once (by whoever writes
 * it) and decoded once (by whoever reads it). Pure CPU, after a warm-up. Writes
 * bench/results/codec-latest.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  defaultPayloadConverter,
  type Payload,
  type SerializationContext,
} from '@temporalio/common';
import { EncryptionCodec } from '../shared/platform/payload-codec';
import { TenantBindings } from '../shared/platform/tenant-bindings';
import { TenantKeyring } from '../shared/platform/tenant-keys';
import { latencyStats } from './lib/stats';
import { loadSummarizeCase } from './lib/summarize-case';

const ROOT = path.resolve(__dirname, '..');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2_000);
const FIXTURE = path.join(ROOT, 'test/fixtures/histories/run-task-external-input-once.json');
/** The recorded input body, replaced by the 10 KB text in every payload that carries it. */
const RECORDED_BODY = 'I was charged twice for my subscription this month';

const deploymentKey = { id: 'bench', key: randomBytes(32) };
const codec = new EncryptionCodec([deploymentKey]);
/** Per-tenant data keys on, the tenant's key in memory (the hot path: no store read). */
const bindings = new TenantBindings();
const tenantKey = { tenantId: 'bench', version: 1, key: randomBytes(32) };
const tenantCodec = new EncryptionCodec([deploymentKey], {
  keyring: new TenantKeyring(
    () =>
      Promise.resolve({
        current: () => Promise.resolve(tenantKey),
        get: () => Promise.resolve(tenantKey),
      }),
    3_600_000,
  ),
  bindings,
  encode: true,
});
const CONTEXT: SerializationContext = {
  type: 'workflow',
  namespace: 'default',
  workflowId: 'classify-ticket-bench',
};
bindings.bind(CONTEXT.workflowId, 'bench');
const text = loadSummarizeCase().text;
const input = defaultPayloadConverter.toPayload({
  task: 'classify-ticket',
  tenantId: 'bench',
  input: { subject: 'Refund', body: text },
});

/** Every payload of the recorded job, its input body swapped for the 10 KB text. */
function taskPayloads(): Payload[] {
  const found: Payload[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const v = value as { metadata?: Record<string, string>; data?: string };
      if (v.metadata && typeof v.data === 'string') {
        const data = Buffer.from(v.data, 'base64')
          .toString('utf8')
          .replaceAll(RECORDED_BODY, JSON.stringify(text).slice(1, -1));
        found.push({
          metadata: Object.fromEntries(
            Object.entries(v.metadata).map(([k, m]) => [k, Buffer.from(m, 'base64')]),
          ),
          data: Buffer.from(data),
        });
      } else Object.values(value).forEach(walk);
    }
  };
  walk(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  return found;
}

function measure(payloads: Payload[]): { encode: number[]; decode: number[]; both: number[] } {
  const out = { encode: [] as number[], decode: [] as number[], both: [] as number[] };
  for (let i = 0; i < WARMUP + ITERATIONS; i += 1) {
    const t0 = performance.now();
    const encoded = payloads.map((p) => codec.encodeOne(p));
    const t1 = performance.now();
    for (const p of encoded) codec.decodeOne(p);
    const t2 = performance.now();
    if (i < WARMUP) continue;
    out.encode.push(t1 - t0);
    out.decode.push(t2 - t1);
    out.both.push(t2 - t0);
  }
  return out;
}

/**
 * The same round trip as the SDK drives it: one awaited `encode`/`decode` call per payload, with
 * the workflow's serialization context (deployment key vs the tenant's data key).
 */
async function measureAsync(
  c: EncryptionCodec,
  payloads: Payload[],
): Promise<{ encode: number[]; decode: number[]; both: number[] }> {
  const out = { encode: [] as number[], decode: [] as number[], both: [] as number[] };
  for (let i = 0; i < WARMUP + ITERATIONS; i += 1) {
    const t0 = performance.now();
    const encoded: Payload[] = [];
    for (const p of payloads) encoded.push(...(await c.encode([p], CONTEXT)));
    const t1 = performance.now();
    for (const p of encoded) await c.decode([p], CONTEXT);
    const t2 = performance.now();
    if (i < WARMUP) continue;
    out.encode.push(t1 - t0);
    out.decode.push(t2 - t1);
    out.both.push(t2 - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const single = measure([input]);
  const task = taskPayloads();
  const perTask = measure(task);
  // Interleaved runs, so both see the same load on a shared machine.
  const viaSdk = { deployment: [] as number[], tenant: [] as number[] };
  for (let run = 0; run < 3; run += 1) {
    viaSdk.deployment.push(...(await measureAsync(codec, task)).both);
    viaSdk.tenant.push(...(await measureAsync(tenantCodec, task)).both);
  }
  const encoded = codec.encodeOne(input);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    iterations: ITERATIONS,
    payload: {
      inputBytes: input.data!.length,
      storedBytes: encoded.data!.length,
      encodeMs: latencyStats(single.encode),
      decodeMs: latencyStats(single.decode),
      roundTripMs: latencyStats(single.both),
    },
    task: {
      fixture: path.relative(ROOT, FIXTURE),
      payloads: task.length,
      plainBytes: task.reduce((n, p) => n + p.data!.length, 0),
      storedBytes: task.reduce((n, p) => n + codec.encodeOne(p).data!.length, 0),
      encodeMs: latencyStats(perTask.encode),
      decodeMs: latencyStats(perTask.decode),
      addedMs: latencyStats(perTask.both),
      targetP50Ms: 0.5,
    },
    /** The task's payloads one awaited call each, as the SDK calls the codec, 3 interleaved runs. */
    taskViaSdk: {
      deploymentKeyMs: latencyStats(viaSdk.deployment),
      tenantDataKeyMs: latencyStats(viaSdk.tenant),
    },
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(ROOT, 'bench/results/codec-latest.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(JSON.stringify(result, null, 2));
}

void main();
