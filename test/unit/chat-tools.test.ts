import { describe, expect, it } from 'vitest';
import { parseChatBody } from '../../server/chat/chat-body';
import { parseMessagesBody } from '../../server/chat/messages-body';
import { ProblemError } from '../../server/problem';
import { chat, type ChatInput } from '../../shared/tasks/chat';
import { readToolCalls } from '../../shared/tasks/chat-tools';

/** Tool calling on both wires: one internal shape, the checks every call passes. */

const WEATHER = {
  type: 'object',
  properties: { city: { type: 'string', minLength: 1 }, days: { type: 'integer', minimum: 1 } },
  required: ['city'],
  additionalProperties: false,
};

function fieldsOf(parse: () => unknown, url: string): string[] {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return ((err as ProblemError).toProblem(url).errors ?? []).map((e) => e.field);
  }
  throw new Error('the body was accepted');
}

describe('OpenAI’s tools → the chat task’s input', () => {
  const base = { model: 'keel/fast' };
  const tools = [
    {
      type: 'function',
      function: { name: 'get_weather', description: 'Weather', parameters: WEATHER },
    },
    { type: 'function', function: { name: 'now' } },
  ];

  it('maps tools, tool_choice, parallel_tool_calls, tool calls and tool results', () => {
    const call = parseChatBody({
      ...base,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '12 °C' },
      ],
    });
    expect(call.input.tools).toEqual([
      { name: 'get_weather', description: 'Weather', parameters: WEATHER },
      { name: 'now', parameters: { type: 'object', properties: {} } },
    ]);
    expect(call.input.toolChoice).toEqual({ name: 'get_weather' });
    expect(call.input.parallelToolCalls).toBe(false);
    expect(call.input.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      },
      { role: 'tool', content: '12 °C', toolCallId: 'call_1' },
    ]);
  });

  it('names the field of a bad tool as the caller wrote it', () => {
    const user = [{ role: 'user', content: 'hi' }];
    const fields = (body: Record<string, unknown>) =>
      fieldsOf(() => parseChatBody({ ...base, messages: user, ...body }), '/v1/chat/completions');
    const fn = (f: Record<string, unknown>) => [{ type: 'function', function: f }];
    expect(fields({ tools: fn({ name: 'f', parameters: { type: 'no-such-type' } }) })).toEqual([
      'tools.0.function.parameters',
    ]);
    expect(fields({ tools: fn({ name: 'f', parameters: { type: 'string' } }) })).toEqual([
      'tools.0.function.parameters',
    ]);
    expect(fields({ tools: fn({ name: 'bad name!' }) })).toEqual(['tools.0.function.name']);
    expect(fields({ tools: fn({ name: 'x'.repeat(65) }) })).toEqual(['tools.0.function.name']);
    const many = Array.from({ length: 129 }, (_, i) => fn({ name: `f${i}` })[0]);
    expect(fields({ tools: many })).toEqual(['tools']);
    const big = { type: 'object', description: 'x'.repeat(20_001) };
    expect(fields({ tools: fn({ name: 'f', parameters: big }) })).toEqual([
      'tools.0.function.parameters',
    ]);
    expect(
      fields({ tools, tool_choice: { type: 'function', function: { name: 'nope' } } }),
    ).toEqual(['tool_choice.function.name']);
    expect(fields({ tool_choice: 'required' })).toEqual(['tool_choice']);
    expect(fields({ functions: [] })).toEqual(['functions']);
    expect(fields({ messages: [...user, { role: 'tool', content: 'x' }] })[0]).toMatch(
      /^messages\.1/,
    );
  });
});

describe('Anthropic’s tools → the same input', () => {
  const base = { model: 'keel/fast', max_tokens: 100 };

  it('maps tools, tool_choice, tool_use and tool_result blocks', () => {
    const call = parseMessagesBody({
      ...base,
      system: 'Be brief.',
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: WEATHER }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '12 °C' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect(call.input.tools).toEqual([
      { name: 'get_weather', description: 'Weather', parameters: WEATHER },
    ]);
    expect(call.input.toolChoice).toBe('required');
    expect(call.input.parallelToolCalls).toBe(false);
    expect(call.input.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Oslo?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      },
      { role: 'tool', content: '12 °C', toolCallId: 'toolu_1' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
    const named = parseMessagesBody({
      ...base,
      tools: [{ name: 'get_weather', input_schema: WEATHER }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(named.input.toolChoice).toEqual({ name: 'get_weather' });
  });

  it('names a bad tool’s field as the caller wrote it, past turns that became several', () => {
    const fields = (body: Record<string, unknown>) =>
      fieldsOf(() => parseMessagesBody({ ...base, ...body }), '/v1/messages');
    const user = [{ role: 'user', content: 'hi' }];
    expect(
      fields({ messages: user, tools: [{ name: 'f', input_schema: { type: 'nope' } }] }),
    ).toEqual(['tools.0.input_schema']);
    expect(
      fields({
        messages: user,
        tools: [{ name: 'f', input_schema: WEATHER }],
        tool_choice: { type: 'tool', name: 'g' },
      }),
    ).toEqual(['tool_choice.name']);
    expect(
      fields({
        messages: user,
        tools: [{ type: 'web_search_20250305', name: 'web_search', input_schema: {} }],
      })[0],
    ).toMatch(/^tools\.0\.type/);
    // Turn 1 became a tool turn and a user turn: turn 2's error is still named messages.2.
    expect(
      fields({
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: 'ok' },
              { type: 'text', text: 'more' },
            ],
          },
          { role: 'assistant', content: 'y'.repeat(100_001) },
        ],
      }),
    ).toEqual(['messages.2.content']);
  });
});

describe('the chat task’s check of tool calls', () => {
  const hooks = chat.conversation!;
  const rule = chat.rules!.find((r) => r.id === 'calls-offered-tools')!;
  const ctx = { maxDiscountPercent: 0, minConfidence: 0 };
  const input = (extra: Partial<ChatInput> = {}): ChatInput =>
    chat.input.parse({
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ name: 'get_weather', parameters: WEATHER }],
      ...extra,
    });
  const answer = (name: string, args: Record<string, unknown>) => ({
    content: '',
    toolCalls: [{ id: 'c1', name, arguments: args }],
  });

  it('reads the calls’ arguments, and refuses arguments that are not a JSON object', () => {
    const ok = hooks.parseText('', input(), [
      { id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    expect(ok).toMatchObject({ ok: true, value: answer('get_weather', { city: 'Oslo' }) });
    expect(readToolCalls([{ id: 'c1', name: 'f', arguments: '' }])).toMatchObject({
      ok: true,
      calls: [{ arguments: {} }],
    });
    const broken = hooks.parseText('', input(), [
      { id: 'c1', name: 'get_weather', arguments: '{"city":' },
    ]);
    expect(broken.ok).toBe(false);
    expect(readToolCalls([{ id: 'c1', name: 'f', arguments: '[1]' }]).ok).toBe(false);
  });

  it('names an unknown tool, arguments off the schema, and a tool_choice disobeyed', () => {
    expect(rule.check(answer('get_weather', { city: 'Oslo' }), input(), ctx)).toEqual([]);
    expect(rule.check(answer('launch', {}), input(), ctx)[0]).toMatchObject({
      field: 'toolCalls.0.name',
      message: '"launch" is not one of the tools offered',
    });
    expect(rule.check(answer('get_weather', { city: 7 }), input(), ctx)[0]!.field).toBe(
      'toolCalls.0.arguments.city',
    );
    expect(rule.check(answer('get_weather', {}), input(), ctx)[0]!.field).toBe(
      'toolCalls.0.arguments',
    );
    expect(
      rule.check({ content: 'Sunny.' }, input({ toolChoice: 'required' }), ctx)[0]!.field,
    ).toBe('toolCalls');
    expect(rule.check({ content: 'Sunny.' }, input(), ctx)).toEqual([]);
    expect(
      rule.check(answer('get_weather', { city: 'Oslo' }), input({ toolChoice: 'none' }), ctx),
    ).toHaveLength(1);
  });

  it('the local model calls the first tool with example arguments when a call is required', () => {
    const out = chat.fallback(input({ toolChoice: 'required' }));
    expect(out.toolCalls).toEqual([
      { id: 'call_keel_local_1', name: 'get_weather', arguments: { city: 'example', days: 1 } },
    ]);
    expect(rule.check(out, input({ toolChoice: 'required' }), ctx)).toEqual([]);
    expect(chat.fallback(input()).toolCalls).toBeUndefined();
  });
});
