import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';

/**
 * Keel's own Python client (clients/python, installed with pip into the venv
 * test/clients/install-python-keel.sh fills) against a running Keel: a task answered with its typed
 * output, a 202 the client waits for (on the event stream, then by polling), an idempotency key,
 * and problems raised as their named errors. test/clients/python_keel_check.py makes the calls.
 */
let stack: EmbeddedStack;
/** What python_keel_check.py saw (see the script for the fields). */
let seen: Record<string, any>;

beforeAll(async () => {
  // CI installs in .ci/run; here it installs the working tree's client again (about a second).
  const python = execFileSync('bash', [path.join(ROOT, 'test/clients/install-python-keel.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
  stack = await startEmbeddedStack();
  const { stdout } = await promisify(execFile)(
    python,
    [path.join(ROOT, 'test/clients/python_keel_check.py')],
    {
      env: { PATH: process.env.PATH, KEEL_BASE_URL: stack.baseUrl, KEEL_API_KEY: stack.apiKey },
      timeout: 120_000,
    },
  );
  seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
}, 240_000);
afterAll(async () => {
  await stack?.stop();
});

describe('the keel_client Python package', () => {
  it('is the one pip installed into the venv, not the source tree', () => {
    expect(seen.version).toBe('0.1.0');
    expect(seen.module).toContain(`${path.sep}site-packages${path.sep}keel_client${path.sep}`);
  });

  it('classify_ticket returns the typed output, the job id and the meta', () => {
    expect(seen.answered.raised).toBeUndefined();
    expect(seen.answered).toMatchObject({
      output_class: 'ClassifyTicketOutput',
      output: { category: 'BILLING' },
      waited: false,
      meta: {
        provider: 'local',
        model: 'keel-local-1',
        prompt_version: 'classify-ticket@1',
        path: 'primary',
        latency_ms_is_int: true,
      },
    });
    expect(seen.answered.output.confidence).toBeGreaterThanOrEqual(0);
    expect(seen.answered.output.confidence).toBeLessThanOrEqual(1);
    expect(seen.answered.output.rationale.length).toBeGreaterThan(0);
    expect(seen.answered.job_id).toMatch(/^classify-ticket-[0-9a-f-]{36}$/);
  });

  it('jobs.get reads the same job back, its output typed by its task', () => {
    expect(seen.answered.job).toMatchObject({
      status: 'completed',
      task: 'classify-ticket',
      output_class: 'ClassifyTicketOutput',
      same_output: true,
    });
    expect(seen.answered.job.steps).toContain('call');
  });

  it('a 202 (maxSyncMs 0) is waited for on the event stream and returns the output', () => {
    expect(seen.waited_on_events).toEqual({
      waited: true,
      category: 'ACCOUNT',
      job_id: expect.stringMatching(/^classify-ticket-/),
      // The task call only: the stream told the end, no GET /v1/jobs/{id} poll.
      requests: ['POST /v1/tasks/classify-ticket'],
    });
  });

  it('a 202 through run_task with dicts, waited for by polling', () => {
    expect(seen.waited_by_polling.raised).toBeUndefined();
    expect(seen.waited_by_polling.waited).toBe(true);
    expect(seen.waited_by_polling.key_points).toBeGreaterThan(0);
    expect(seen.waited_by_polling.summary_words).toBeLessThanOrEqual(20);
  });

  it('sends an Idempotency-Key: its own when given (same job), a new one otherwise', () => {
    expect(seen.idempotent).toEqual({ same_job: true, default_key_new_job: true });
  });

  it('a bad input raises ValidationError carrying the problem naming input.body', () => {
    expect(seen.invalid).toMatchObject({
      class: 'ValidationError',
      is_keel_error: true,
      status: 400,
      slug: 'invalid-request',
      fields: ['input.body'],
    });
  });

  it('an unknown job raises NotFoundError, a bad key AuthError', () => {
    expect(seen.job_not_found).toMatchObject({
      class: 'NotFoundError',
      status: 404,
      slug: 'job-not-found',
    });
    expect(seen.bad_key).toMatchObject({ class: 'AuthError', status: 401, slug: 'unauthorized' });
  });
});
