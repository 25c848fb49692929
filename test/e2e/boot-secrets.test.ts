import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FILE_CONFIG } from '../../shared/platform/config-file';
import { freePort } from '../support/free-port';
import { startTs, stop, waitFor, type RunningProcess } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * A production deployment (`npm run server` / `npm run worker`) has no demo tenant unless asked
 * for, no built-in input-key secret, and `npm start` never prints a key the operator supplied.
 */
const dirs: string[] = [];
const running: RunningProcess[] = [];
let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
  await Promise.all(running.map((p) => stop(p)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-boot-'));
  dirs.push(dir);
  return dir;
}

function start(entry: string, env: NodeJS.ProcessEnv): RunningProcess {
  const p = startTs(entry, env);
  running.push(p);
  return p;
}

/** A process that must refuse to boot: its exit code and what it printed. */
async function bootFailure(entry: string, env: NodeJS.ProcessEnv): Promise<string> {
  const p = start(entry, env);
  await waitFor(`${entry} to stop at boot`, () => p.child.exitCode !== null, {
    timeoutMs: 30_000,
  });
  expect(await p.exited).toBe(1);
  return p.output();
}

const ticket = JSON.stringify({
  input: { subject: 'Refund', body: 'I was charged twice for my subscription' },
});
const classify = (baseUrl: string, key: string): Promise<Response> =>
  fetch(`${baseUrl}/v1/tasks/classify-ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: ticket,
  });

describe('no demo tenant outside the embedded default', () => {
  it('serves only the configured tenants and generates no demo key', async () => {
    const tenantKey = `acme_${randomUUID()}`;
    const config = path.join(tempDir(), 'keel.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        ...DEFAULT_FILE_CONFIG,
        tenants: [
          {
            id: 'acme',
            keys: [
              {
                name: 'ops',
                sha256: createHash('sha256').update(tenantKey).digest('hex'),
                roles: ['caller'],
              },
            ],
          },
        ],
      }),
    );
    // KEEL_DEMO_TENANT and KEEL_DEMO_API_KEY unset: as `npm run server` in production.
    stack = await startStack({ KEEL_DEMO_TENANT: '', KEEL_DEMO_API_KEY: '', KEEL_CONFIG: config });
    const res = await classify(stack.baseUrl, tenantKey);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { output: { category: string } }).output.category).toBe(
      'BILLING',
    );
    // No demo key was generated (the server used to make one and serve it with every role).
    expect(existsSync(path.join(String(stack.env.KEEL_DATA_DIR), 'demo-api-key'))).toBe(false);
    expect((await classify(stack.baseUrl, stack.apiKey)).status).toBe(401);
  }, 120_000);

  it('a demo key without KEEL_DEMO_TENANT=true stops the server at boot', async () => {
    const output = await bootFailure('server/main.ts', {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KEEL_DATA_DIR: tempDir(),
      PORT: String(await freePort()),
      KEEL_DEMO_TENANT: '',
      KEEL_DEMO_API_KEY: `demo_${randomUUID()}`,
    });
    expect(output).toContain('KEEL_DEMO_API_KEY: set while KEEL_DEMO_TENANT is off');
  });
});

describe('no built-in input-key secret', () => {
  it.each([
    ['worker/main.ts', {}],
    ['server/main.ts', { KEEL_EMBEDDED_WORKER: 'true' }],
  ])('%s without KEEL_INPUT_KEY_SECRET stops at boot naming it', async (entry, extra) => {
    const dataDir = tempDir();
    const output = await bootFailure(entry, {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KEEL_TASK_QUEUE: `boot-${randomUUID()}`,
      KEEL_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      KEEL_INPUT_KEY_SECRET: '',
      ...extra,
    });
    expect(output).toContain('KEEL_INPUT_KEY_SECRET: required to run a worker');
    // It did not quietly make up a secret of its own either.
    expect(existsSync(path.join(dataDir, 'input-key-secret'))).toBe(false);
  });
});

describe('npm start with the operator’s own secrets', () => {
  it('uses them and never prints them', async () => {
    const demoKey = `operator_demo_${randomUUID()}`;
    const inputSecret = `operator_input_${randomUUID()}`;
    const dataDir = tempDir();
    const port = await freePort();
    const p = start('temporal/start-all.ts', {
      // An existing Temporal (the suite's), so no second dev server starts.
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KEEL_TASK_QUEUE: `boot-${randomUUID()}`,
      KEEL_DATA_DIR: dataDir,
      PORT: String(port),
      KEEL_DEMO_TENANT: '',
      KEEL_DEMO_API_KEY: demoKey,
      KEEL_INPUT_KEY_SECRET: inputSecret,
      LOG_LEVEL: 'info',
    });
    await waitFor('"Keel is running"', () => p.output().includes('Keel is running'), {
      timeoutMs: 90_000,
      process: p,
    });
    // The embedded default turns the demo tenant on, and the operator's key is the one it serves.
    expect((await classify(`http://127.0.0.1:${port}`, demoKey)).status).toBe(200);
    expect(p.output()).toContain('Demo API key from KEEL_DEMO_API_KEY (not printed)');
    expect(p.output()).toContain('Bearer $KEEL_DEMO_API_KEY');
    expect(existsSync(path.join(dataDir, 'demo-api-key'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'input-key-secret'))).toBe(false);
    expect(await stop(p)).toBe(0);
    // Nothing it or its processes printed, start to stop, holds either secret.
    expect(p.output()).not.toContain(demoKey);
    expect(p.output()).not.toContain(inputSecret);
  }, 120_000);
});
