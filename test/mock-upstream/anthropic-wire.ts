/**
 * Anthropic Messages dialect: request parsing, bodies, named SSE events and error envelopes, shaped
 * like api.anthropic.com so the real `@anthropic-ai/sdk` parses them without special cases.
 */
import type { ErrorKind, ParsedRequest, Reply, SseStream, Usage, Wire, WireError } from './wire';
import { chunkText, contentText, estimateTokens, isRecord, isReaskTurn, makeId } from './wire';
import { findTask } from '../../shared/tasks';
import type { ToolsAsked } from './tools';

const isKeelSchema = (name: string): boolean =>
  name === 'injection_check' ||
  name === 'verify_answer' ||
  findTask(name.replace(/_/g, '-')) !== undefined;

/**
 * The request's tools and tool choice, and the tool results of its last turn. A forced tool
 * named after one of Keel's tasks is Keel asking for structured output, not a caller's tool.
 */
function toolsOf(
  body: Record<string, unknown>,
  records: Record<string, unknown>[],
  schemaName: string | undefined,
): ToolsAsked | undefined {
  if (!Array.isArray(body['tools'])) return undefined;
  const tools = body['tools']
    .filter(isRecord)
    .flatMap((t) =>
      typeof t['name'] === 'string'
        ? [{ name: t['name'], schema: isRecord(t['input_schema']) ? t['input_schema'] : {} }]
        : [],
    );
  if (schemaName !== undefined && isKeelSchema(schemaName)) return undefined;
  const c = body['tool_choice'];
  const type = isRecord(c) ? c['type'] : 'auto';
  const choice =
    type === 'any'
      ? ('required' as const)
      : type === 'none'
        ? ('none' as const)
        : type === 'tool' && isRecord(c) && typeof c['name'] === 'string'
          ? { name: c['name'] }
          : ('auto' as const);
  const last = records.at(-1);
  const blocks = last?.['role'] === 'user' && Array.isArray(last['content']) ? last['content'] : [];
  const results = blocks
    .filter((b): b is Record<string, unknown> => isRecord(b) && b['type'] === 'tool_result')
    .map((b) => contentText(b['content']));
  return { tools, choice, ...(results.length ? { results: results.join('\n') } : {}) };
}

const ERRORS: Record<ErrorKind, { status: number; type: string; message: string }> = {
  'rate-limit': {
    status: 429,
    type: 'rate_limit_error',
    message: 'Number of requests has exceeded your per-minute rate limit.',
  },
  server: { status: 500, type: 'api_error', message: 'Internal server error' },
  unavailable: { status: 503, type: 'api_error', message: 'Service unavailable' },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  context: {
    status: 400,
    type: 'invalid_request_error',
    message: 'prompt is too long: 250000 tokens > 200000 maximum',
  },
  auth: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  'model-not-found': { status: 404, type: 'not_found_error', message: 'model: ' },
  'invalid-body': {
    status: 400,
    type: 'invalid_request_error',
    message: 'There was an issue with the request body: the body is not valid JSON.',
  },
};

function parse(body: unknown): ParsedRequest | string {
  if (!isRecord(body)) return 'The request body must be a JSON object.';
  const { model, messages, system } = body;
  if (typeof model !== 'string') return 'model: Field required';
  if (!Array.isArray(messages)) return 'messages: Field required';
  const records = messages.filter(isRecord);
  const users = records.filter((m) => m['role'] === 'user');
  // A re-ask appends the rejected answer and a correction; the task input is in the first turn.
  const lastUser =
    [...users].reverse().find((m) => contentText(m['content']).includes('<input>')) ?? users.at(-1);
  const choice = body['tool_choice'];
  // Only a forced tool counts: that is how Keel asks Anthropic for structured output.
  const schemaName =
    isRecord(choice) && choice['type'] === 'tool' && typeof choice['name'] === 'string'
      ? choice['name']
      : undefined;
  const allText = [contentText(system), ...records.map((m) => contentText(m['content']))];
  const tools = toolsOf(body, records, schemaName);
  return {
    api: 'anthropic',
    model,
    stream: body['stream'] === true,
    messages,
    ...(system === undefined ? {} : { system }),
    lastUserText: contentText(lastUser?.['content']),
    // A re-ask follows the turn with the input: a correction, with or without the rejected answer.
    reask:
      (lastUser !== undefined && records.indexOf(lastUser) < records.length - 1) ||
      isReaskTurn(contentText(users.at(-1)?.['content'])),
    ...(schemaName === undefined || tools ? {} : { schemaName }),
    ...(tools ? { tools } : {}),
    includeUsage: false,
    inputTokens: estimateTokens(allText.join('\n')),
  };
}

/** A call's arguments as `tool_use.input`: an object (JSON the mock broke becomes `{}`). */
function inputOf(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** A structured reply to a forced tool becomes tool_use; anything else stays a text block. */
function blocksFor(req: ParsedRequest, reply: Reply): { blocks: Block[]; stopReason: string } {
  if (reply.finish === 'content_filter') return { blocks: [], stopReason: 'refusal' };
  if (reply.toolCalls?.length) {
    const calls = reply.toolCalls.map((c): Block => ({
      type: 'tool_use',
      id: c.id,
      name: c.name,
      input: inputOf(c.arguments),
    }));
    const text: Block[] = reply.text ? [{ type: 'text', text: reply.text }] : [];
    return { blocks: [...text, ...calls], stopReason: 'tool_use' };
  }
  if (req.schemaName !== undefined && reply.json !== undefined) {
    const block: Block = {
      type: 'tool_use',
      id: makeId('toolu_'),
      name: req.schemaName,
      input: reply.json,
    };
    return { blocks: [block], stopReason: 'tool_use' };
  }
  const stopReason = reply.finish === 'length' ? 'max_tokens' : 'end_turn';
  return { blocks: [{ type: 'text', text: reply.text }], stopReason };
}

function usageBody(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function message(req: ParsedRequest, reply: Reply, usage: Usage): unknown {
  const { blocks, stopReason } = blocksFor(req, reply);
  return {
    id: makeId('msg_'),
    type: 'message',
    role: 'assistant',
    model: req.model,
    content: blocks,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usageBody(usage),
  };
}

const event = (name: string, data: unknown): string =>
  `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function stream(req: ParsedRequest, reply: Reply, usage: Usage): SseStream {
  const { blocks, stopReason } = blocksFor(req, reply);
  const start = { id: makeId('msg_'), type: 'message', role: 'assistant', model: req.model };
  const frames = [
    event('message_start', {
      type: 'message_start',
      message: {
        ...start,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageBody({ ...usage, outputTokens: 1 }),
      },
    }),
    event('ping', { type: 'ping' }),
  ];
  blocks.forEach((block, index) => {
    const empty = block.type === 'text' ? { ...block, text: '' } : { ...block, input: {} };
    frames.push(
      event('content_block_start', { type: 'content_block_start', index, content_block: empty }),
    );
    const pieces = chunkText(block.type === 'text' ? block.text : JSON.stringify(block.input));
    for (const piece of pieces) {
      const delta =
        block.type === 'text'
          ? { type: 'text_delta', text: piece }
          : { type: 'input_json_delta', partial_json: piece };
      frames.push(event('content_block_delta', { type: 'content_block_delta', index, delta }));
    }
    frames.push(event('content_block_stop', { type: 'content_block_stop', index }));
  });
  frames.push(
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    }),
  );
  return {
    frames,
    done: event('message_stop', { type: 'message_stop' }),
    malformed:
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated\n\n',
  };
}

export const anthropicWire: Wire = {
  api: 'anthropic',
  parse,
  error(kind: ErrorKind, detail: { model: string; requestId: string }): WireError {
    const spec = ERRORS[kind];
    const message = kind === 'model-not-found' ? spec.message + detail.model : spec.message;
    return {
      status: spec.status,
      body: { type: 'error', error: { type: spec.type, message }, request_id: detail.requestId },
    };
  },
  headers(requestId: string, _processingMs: number, limited: boolean): Record<string, string> {
    const reset = new Date(Date.now() + (limited ? 2_000 : 1_000)).toISOString();
    return {
      'request-id': requestId,
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': limited ? '0' : '3999',
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-tokens-limit': '400000',
      'anthropic-ratelimit-tokens-remaining': limited ? '0' : '399000',
      'anthropic-ratelimit-tokens-reset': reset,
    };
  },
  completion: message,
  stream,
};
