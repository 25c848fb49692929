import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The Python client (clients/python) against a scripted Keel in the same Python process
 * (clients/python/tests/test_client.py): Retry-After waited (seconds, an HTTP date, the cap), the
 * idempotency key kept across retries, a 202 waited on the event stream or by polling, a failed
 * job, a wait timeout, an unreachable Keel. Standard library only: the system python3.
 */
describe('python client behaviour', () => {
  it('passes its unittest suite', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-v', '-s', 'tests'], {
      cwd: path.resolve(__dirname, '../../clients/python'),
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const results = new Map(
      [...run.stderr.matchAll(/^(test_\w+) .*\.\.\. (.+)$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(results.size).toBe(9);
    expect([...results.values()].every((r) => r === 'ok')).toBe(true);
    expect(results.get('test_429_waits_retry_after_then_succeeds_with_the_same_key')).toBe('ok');
    expect(results.get('test_202_waited_on_the_event_stream')).toBe('ok');
  });
});
