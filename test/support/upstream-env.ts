import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The shipped config that registers every upstream scenario as a model of both vendors. */
export const MOCK_UPSTREAM_CONFIG = path.join(
  __dirname,
  '../mock-upstream/keel.mock-upstream.json',
);

/** Environment pointing both vendors' SDKs at a mock upstream, with the scenario registry. */
export function upstreamEnv(mockUrl: string, config = MOCK_UPSTREAM_CONFIG): NodeJS.ProcessEnv {
  return {
    KEEL_CONFIG: config,
    OPENAI_API_KEY: 'sk-test-not-real',
    OPENAI_BASE_URL: `${mockUrl}/v1`,
    ANTHROPIC_API_KEY: 'sk-ant-test-not-real',
    ANTHROPIC_BASE_URL: mockUrl,
  };
}

/** A config file of the shipped registry with `extra` on top (e.g. `{policies}`); its path. */
export function mockUpstreamConfigWith(extra: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as Record<string, unknown>;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'keel-config-')), 'keel.json');
  writeFileSync(file, JSON.stringify({ ...base, ...extra }));
  return file;
}
