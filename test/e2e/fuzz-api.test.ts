import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';

/**
 * Schemathesis (PyPI, pinned by test/clients/install-python-schemathesis.sh) against a running
 * Keel's own `/openapi.json` with the demo key (every role): generated valid and invalid requests
 * for every operation, each answer checked against the spec. See docs/testing.md, "Fuzzing".
 */

/** Examples per operation in the fuzzing phase (the coverage phase adds its boundary cases). */
const MAX_EXAMPLES = 20;
/** Fixed, so a failure in CI replays locally with the same requests. */
const SEED = 20261207;
/** No 5xx; status, content type, headers and body as the spec says; the rest as RFC 9110 asks. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'missing_required_header',
  'ignored_auth',
  'use_after_free',
  'ensure_resource_availability',
  'unsupported_method',
];
/**
 * Left out, each for its reason: the SSE streams (`…/events`) hold the connection open until the
 * job, batch or queue changes, so a request never ends within schemathesis' timeout;
 * `/v1/admin/…` runs in a pass of its own, last, because it may suspend the demo tenant, set its
 * plan's budget to 0 or revoke the very key the fuzzer uses (everything after would be a 401).
 */
const STREAMS = '/events$';
const ADMIN = '^/v1/admin/';

let stack: EmbeddedStack;
let schemathesis: string;
let workDir: string;

beforeAll(async () => {
  // CI installs in .ci/run; here it only checks the pinned version is there.
  schemathesis = execFileSync(
    'bash',
    [path.join(ROOT, 'test/clients/install-python-schemathesis.sh')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
    .trim()
    .split('\n')
    .at(-1)!;
  // ignored_auth sends requests without a key: with the per-address limit on, the fuzzer's own
  // keyed requests would soon be refused (429 too-many-auth-failures) and test nothing.
  stack = await startEmbeddedStack({ KEEL_AUTH_FAILURES_PER_MINUTE: '0' });
  workDir = mkdtempSync(path.join(os.tmpdir(), 'keel-fuzz-'));
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  output: string;
  /** "Tested: N" of the summary: operations that ran. */
  operations: number;
  /** "N generated" of the summary: requests sent. */
  cases: number;
}

/** One `schemathesis run` against the stack's spec; never throws, the caller asserts. */
function fuzz(filter: string[]): Promise<Run> {
  const args = [
    'run',
    `${stack.baseUrl}/openapi.json`,
    '--header',
    `Authorization: Bearer ${stack.apiKey}`,
    '--checks',
    CHECKS.join(','),
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    String(SEED),
    '--workers',
    '1',
    // A debounced task (options.debounce.ms up to 10,000) answers only after its window.
    '--request-timeout',
    '30',
    '--generation-database',
    'none',
    '--no-color',
    ...filter,
  ];
  return new Promise((resolve) => {
    execFile(
      schemathesis,
      args,
      { cwd: workDir, env: { PATH: process.env.PATH }, maxBuffer: 64 << 20, timeout: 600_000 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({
          code,
          output,
          operations: Number(/Tested:\s+(\d+)/.exec(output)?.[1] ?? 0),
          cases: Number(/(\d+) generated/.exec(output)?.[1] ?? 0),
        });
      },
    );
  });
}

/** On failure the summary is the message: which check, which operation, the curl to replay. */
function expectClean(run: Run): void {
  if (run.code !== 0) expect.fail(`schemathesis exited ${run.code}:\n${run.output.slice(-20_000)}`);
}

describe('schemathesis against /openapi.json', () => {
  it('every operation but the streams and the admin API: no 5xx, every answer as the spec says', async () => {
    const run = await fuzz(['--exclude-path-regex', `(${STREAMS})|(${ADMIN})`]);
    console.log(`[fuzz] main pass: ${run.operations} operations, ${run.cases} requests`);
    expectClean(run);
    expect(run.operations).toBeGreaterThanOrEqual(30);
    expect(run.cases).toBeGreaterThan(1_000);
  }, 420_000);

  it('the admin API (tenants, keys, plans), last: no 5xx, every answer as the spec says', async () => {
    const run = await fuzz(['--include-path-regex', ADMIN]);
    console.log(`[fuzz] admin pass: ${run.operations} operations, ${run.cases} requests`);
    expectClean(run);
    expect(run.operations).toBeGreaterThanOrEqual(10);
    expect(run.cases).toBeGreaterThan(300);
  }, 300_000);
});
