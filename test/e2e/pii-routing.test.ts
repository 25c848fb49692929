import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startStack, type Stack } from '../support/stack';
import { startTs, stop } from '../support/processes';

/**
 * Whether input leaves the process is decided by the provider's type, never its name: the
 * built-in `local` is the only in-process provider, and no config may reuse its name for an
 * external endpoint (issue 21, item 1: such a config sent raw PII to the endpoint).
 */
let mock: MockUpstream;
let dir: string;

const PRICE = { input: 0, output: 0 };
const TICKET = {
  subject: 'Refund',
  body: 'My card 4111 1111 1111 1111 was charged twice. Write to sam.lee@example.org.',
};

function writeConfig(name: string, provider: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      providers: [{ name: provider, type: 'openai-compatible', baseUrl: `${mock.url}/v1` }],
      models: [
        { provider: 'local', name: 'keel-local-1', price: PRICE },
        { provider, name: 'ok', price: PRICE },
      ],
    }),
  );
  return file;
}

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-pii-routing-'));
});
afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => mock.clearAttempts());

describe('an external endpoint never gets raw PII, whatever it is called', () => {
  it.each(['worker/main.ts', 'server/main.ts'])(
    '%s refuses to boot with a provider named "local", naming the key',
    async (entry) => {
      const config = writeConfig('named-local.json', 'local');
      const proc = startTs(entry, {
        KEEL_CONFIG: config,
        KEEL_DATA_DIR: dir,
        KEEL_DEMO_TENANT: 'true',
        KEEL_INPUT_KEY_SECRET: 'test-secret-for-input-keys-0123456789',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      });
      const timeout = new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000));
      const outcome = await Promise.race([proc.exited, timeout]);
      if (outcome === 'running') await stop(proc, 'SIGKILL');
      expect(outcome, proc.output()).not.toBe('running');
      expect(outcome).not.toBe(0);
      expect(proc.output()).toContain('providers[0].name');
      expect(proc.output()).toContain('built-in in-process provider');
      expect(mock.attempts()).toHaveLength(0);
    },
  );

  describe('a self-hosted OpenAI-compatible server under its own name', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ KEEL_CONFIG: writeConfig('onprem.json', 'onprem') });
    });
    afterAll(async () => stack?.stop());

    it('gets placeholders, not the card number or the e-mail address', async () => {
      const res = await stack.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({ input: TICKET, options: { route: ['onprem:ok'] } }),
      });
      const body = (await res.json()) as { meta: { provider: string; path: string } };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.meta).toMatchObject({ provider: 'onprem', path: 'primary' });
      const sent = JSON.stringify(mock.attempts().map((a) => a.request));
      expect(mock.attempts().length).toBeGreaterThan(0);
      expect(sent).toContain('[CARD_1]');
      expect(sent).toContain('[EMAIL_1]');
      expect(sent).not.toContain('4111 1111');
      expect(sent).not.toContain('sam.lee@example.org');
    });
  });
});
