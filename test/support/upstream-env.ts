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
