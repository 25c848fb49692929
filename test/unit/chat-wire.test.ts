import { describe, expect, it } from 'vitest';
import { parseChatBody } from '../../server/chat/chat-body';
import { resolveChatModel, listChatModels } from '../../server/chat/chat-models';
import { openAIErrorBody } from '../../server/chat/openai-errors';
import { ProblemError } from '../../server/problem';
import { loadConfig } from '../../shared/platform/config';
import { chat } from '../../shared/tasks/chat';
import { exampleOf } from '../../shared/tasks/json-example';
import type { Tenant } from '../../shared/tenancy/directory';

const tenant: Tenant = { id: 't', roles: ['caller'], keyName: 'k' };

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseChatBody: OpenAI’s request as the chat task’s input', () => {
  it('maps roles, content parts, max tokens, temperature and response formats', () => {
    const call = parseChatBody({
      model: 'keel/fast',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi ' },
            { type: 'text', text: 'there' },
          ],
        },
        { role: 'assistant', content: null },
      ],
      max_tokens: 50,
      max_completion_tokens: 40,
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object' } },
      },
      top_p: 0.9,
    });
    expect(call.input.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi there' },
      { role: 'assistant', content: '' },
    ]);
    expect(call.input.maxTokens).toBe(40);
    expect(call.input.temperature).toBe(0.2);
    expect(call.stream).toBe(true);
    expect(call.includeUsage).toBe(true);
    expect(call.input.responseFormat).toEqual({
      type: 'json_schema',
      name: 'x',
      schema: { type: 'object' },
    });
  });

  it('refuses what Keel does not do by name, and unknown fields, with the field', () => {
    const fields = (body: unknown) =>
      refusal(() => parseChatBody(body))
        .toProblem()
        .errors?.map((e) => e.field);
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect(fields({ ...base, functions: [] })).toEqual(['functions']);
    expect(fields({ ...base, n: 2 })).toEqual(['n']);
    expect(fields({ ...base, bogus: 1 })).toEqual(['bogus']);
    expect(fields({ ...base, messages: [{ role: 'tool', content: 'x' }] })?.[0]).toMatch(
      /^messages\.0/,
    );
    expect(fields({ ...base, temperature: 3 })).toEqual(['temperature']);
    // A schema that is not a JSON Schema is named as the caller wrote it.
    expect(
      fields({
        ...base,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { type: 'no-such-type' } },
        },
      }),
    ).toEqual(['response_format.json_schema.schema']);
    expect(fields({ ...base, messages: [{ role: 'system', content: 'only rules' }] })).toEqual([
      'messages',
    ]);
  });
});

describe('the chat task', () => {
  const hooks = chat.conversation!;
  const input = (responseFormat?: unknown) =>
    chat.input.parse({
      messages: [{ role: 'user', content: 'hi' }],
      ...(responseFormat ? { responseFormat } : {}),
    });

  it('reads text as text, and JSON leniently, keeping the model’s own text when it parses', () => {
    expect(hooks.parseText('Hello', input())).toMatchObject({
      ok: true,
      value: { content: 'Hello' },
    });
    expect(hooks.parseText('', input()).ok).toBe(false);
    const json = input({ type: 'json_object' });
    expect(hooks.parseText('{"a": 1}', json)).toMatchObject({
      ok: true,
      value: { content: '{"a": 1}' },
    });
    expect(hooks.parseText('Sure: ```json\n{"a": 1}\n```', json)).toMatchObject({
      ok: true,
      value: { content: '{"a":1}' },
    });
    expect(hooks.parseText('no json here', json).ok).toBe(false);
  });

  it('checks a JSON answer against the caller’s schema, naming the field', () => {
    const rule = chat.rules![0]!;
    const schema = {
      type: 'object',
      properties: { n: { type: 'integer' } },
      required: ['n'],
    };
    const asked = input({ type: 'json_schema', name: 's', schema });
    const ctx = { maxDiscountPercent: 0, minConfidence: 0 };
    expect(rule.check({ content: '{"n": 2}' }, asked, ctx)).toEqual([]);
    expect(rule.check({ content: '{"n": "two"}' }, asked, ctx)[0]!.field).toBe('content.n');
    expect(rule.check({ content: 'free text' }, input(), ctx)).toEqual([]);
  });

  it('its local answer is valid JSON for the schema, or says plainly it is local', () => {
    const schema = {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 2 },
        size: { $ref: '#/$defs/size' },
      },
      required: ['tags', 'size'],
      $defs: { size: { type: 'number', exclusiveMinimum: 3 } },
    };
    expect(exampleOf(schema)).toEqual({ tags: ['a', 'a'], size: 4 });
    expect(chat.fallback(input()).content).toMatch(/built-in local model/);
  });
});

describe('models and errors', () => {
  const config = loadConfig({});

  it('an alias is its route without the vendors this deployment has no key for', () => {
    expect(resolveChatModel('keel/fast', tenant, config)).toEqual(['local:keel-local-1']);
    expect(resolveChatModel('local:keel-local-1', tenant, config)).toEqual(['local:keel-local-1']);
    expect(refusal(() => resolveChatModel('openai:gpt-4o-mini', tenant, config)).slug).toBe(
      'model-not-found',
    );
    const planned: Tenant = {
      ...tenant,
      terms: { aliases: { 'acme/cheap': ['local:keel-local-1'] }, routes: {} } as never,
    };
    expect(listChatModels(planned, config)).toEqual(
      expect.arrayContaining(['acme/cheap', 'keel/default', 'local:keel-local-1']),
    );
  });

  it('a problem in OpenAI’s shape keeps Keel’s problem, and a budget is insufficient_quota', () => {
    const body = openAIErrorBody(
      ProblemError.of('budget-exceeded', 'Spent.', {
        errors: [{ field: 'x', message: 'y' }],
      }).toProblem(),
    );
    expect(body.error).toMatchObject({
      type: 'insufficient_quota',
      code: 'budget-exceeded',
      param: 'x',
    });
    expect(body.error.problem.status).toBe(402);
  });
});
