import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';

/**
 * A method a path does not have answers 405 `method-not-allowed` with an `Allow` header listing
 * the methods it does have (RFC 9110 §15.5.6); a path nothing serves stays 404 `not-found`.
 * Against the default deployment, over plain HTTP.
 */
let stack: EmbeddedStack;

beforeAll(async () => {
  stack = await startEmbeddedStack();
});
afterAll(async () => {
  await stack?.stop();
});

const send = (method: string, path: string, key?: string): Promise<Response> =>
  fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });

describe('methods a path does not have', () => {
  it.each([
    ['PUT', '/v1/jobs/classify-ticket-0a1b', 'GET, HEAD'],
    ['DELETE', '/v1/tasks/summarize', 'POST'],
    ['PUT', '/v1/webhooks/wh_123', 'DELETE, GET, HEAD, PATCH'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s: 405 problem+json, Allow: %s', async (method, path, allow) => {
    for (const key of [undefined, stack.apiKey]) {
      const res = await send(method, path, key);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toEqual({
        type: 'https://keel.dev/problems/method-not-allowed',
        title: 'Method not allowed',
        status: 405,
        detail: `${path} has no ${method}; it answers ${allow}.`,
        instance: path,
      });
    }
  });

  it('HEAD on a path that only takes POST: 405 and Allow, no body', async () => {
    const res = await send('HEAD', '/v1/tasks/summarize');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.text()).toBe('');
  });

  it('the OpenAI-compatible paths answer it in OpenAI’s error shape', async () => {
    const res = await send('DELETE', '/v1/models', stack.apiKey);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const body = (await res.json()) as { error: { code: string; problem: { status: number } } };
    expect(body.error).toMatchObject({ code: 'method-not-allowed', problem: { status: 405 } });
  });

  it('a path no route serves is still 404, and a declared method still works', async () => {
    const missing = await send('GET', '/v1/no-such-thing', stack.apiKey);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('allow')).toBeNull();
    expect(((await missing.json()) as { type: string }).type).toBe(
      'https://keel.dev/problems/not-found',
    );
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('HEAD', '/healthz')).status).toBe(200);
  });
});
