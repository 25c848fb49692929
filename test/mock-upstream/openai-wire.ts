/**
 * OpenAI Chat Completions dialect: request parsing, bodies, SSE chunks and error envelopes, shaped
 * like api.openai.com so the real `openai` SDK parses them without special cases.
 */
import type { ErrorKind, ParsedRequest, Reply, SseStream, Usage, Wire, WireError } from './wire';
import { chunkText, contentText, estimateTokens, isRecord, isReaskTurn, makeId } from './wire';
import type { ToolsAsked } from './tools';

/** The request's functions and tool choice, and the tool results its last turns carry. */
function toolsOf(
  body: Record<string, unknown>,
  records: Record<string, unknown>[],
): ToolsAsked | undefined {
  if (!Array.isArray(body['tools'])) return undefined;
  const tools = body['tools'].filter(isRecord).flatMap((t) => {
    const fn = t['function'];
    return isRecord(fn) && typeof fn['name'] === 'string'
      ? [{ name: fn['name'], schema: isRecord(fn['parameters']) ? fn['parameters'] : {} }]
      : [];
  });
  const c = body['tool_choice'];
  const fn = isRecord(c) ? c['function'] : undefined;
  const choice =
    c === 'none' || c === 'required'
      ? c
      : isRecord(fn) && typeof fn['name'] === 'string'
        ? { name: fn['name'] }
        : ('auto' as const);
  let i = records.length;
  while (i > 0 && records[i - 1]!['role'] === 'tool') i -= 1;
  const results = records.slice(i).map((m) => contentText(m['content']));
  return { tools, choice, ...(results.length ? { results: results.join('\n') } : {}) };
}

const ERRORS: Record<ErrorKind, { status: number; type: string; code: string | null }> = {
  'rate-limit': { status: 429, type: 'requests', code: 'rate_limit_exceeded' },
  server: { status: 500, type: 'server_error', code: null },
  unavailable: { status: 503, type: 'server_error', code: null },
  // OpenAI has no 529; its overload signal is a 503 whose message says so.
  overloaded: { status: 503, type: 'server_error', code: 'overloaded' },
  context: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
  auth: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  'model-not-found': { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  'invalid-body': { status: 400, type: 'invalid_request_error', code: null },
};

function errorMessage(kind: ErrorKind, model: string): string {
  switch (kind) {
    case 'rate-limit':
      return `Rate limit reached for ${model} on requests per min (RPM): Limit 10000, Used 10000, Requested 1. Please try again later.`;
    case 'server':
      return 'The server had an error while processing your request. Sorry about that!';
    case 'unavailable':
      return 'Service Unavailable';
    case 'overloaded':
      return 'The engine is currently overloaded, please try again later.';
    case 'context':
      return "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. Please reduce the length of the messages.";
    case 'auth':
      return 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.';
    case 'model-not-found':
      return `The model \`${model}\` does not exist or you do not have access to it.`;
    case 'invalid-body':
      return "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)";
  }
}

function parse(body: unknown): ParsedRequest | string {
  if (!isRecord(body)) return 'The request body must be a JSON object.';
  const { model, messages } = body;
  if (typeof model !== 'string') return 'you must provide a model parameter';
  if (!Array.isArray(messages)) return "Missing required parameter: 'messages'.";
  const records = messages.filter(isRecord);
  const users = records.filter((m) => m['role'] === 'user');
  // A re-ask appends the rejected answer and a correction; the task input is in the first turn.
  const lastUser =
    [...users].reverse().find((m) => contentText(m['content']).includes('<input>')) ?? users.at(-1);
  const format = body['response_format'];
  const schema = isRecord(format) ? format['json_schema'] : undefined;
  const schemaName =
    isRecord(schema) && typeof schema['name'] === 'string' ? schema['name'] : undefined;
  const options = body['stream_options'];
  const allText = records.map((m) => contentText(m['content'])).join('\n');
  const tools = toolsOf(body, records);
  return {
    api: 'openai',
    model,
    stream: body['stream'] === true,
    messages,
    lastUserText: contentText(lastUser?.['content']),
    // A re-ask follows the turn with the input: a correction, with or without the rejected answer.
    reask:
      (lastUser !== undefined && records.indexOf(lastUser) < records.length - 1) ||
      isReaskTurn(contentText(users.at(-1)?.['content'])),
    ...(schemaName === undefined ? {} : { schemaName }),
    ...(tools ? { tools } : {}),
    includeUsage: isRecord(options) && options['include_usage'] === true,
    inputTokens: estimateTokens(allText),
  };
}

function usageBody(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

const wireCall = (c: { id: string; name: string; arguments: string }) => ({
  id: c.id,
  type: 'function',
  function: { name: c.name, arguments: c.arguments },
});

function completion(req: ParsedRequest, reply: Reply, usage: Usage): unknown {
  const filtered = reply.finish === 'content_filter';
  const calls = reply.toolCalls?.length ? reply.toolCalls : undefined;
  return {
    id: makeId('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: filtered || (calls && !reply.text) ? null : reply.text,
          refusal: filtered ? (reply.refusal ?? null) : null,
          ...(calls ? { tool_calls: calls.map(wireCall) } : {}),
        },
        finish_reason: reply.finish,
        logprobs: null,
      },
    ],
    usage: usageBody(usage),
    system_fingerprint: null,
  };
}

function stream(req: ParsedRequest, reply: Reply, usage: Usage): SseStream {
  const id = makeId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const frame = (extra: Record<string, unknown>): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.model, system_fingerprint: null, ...extra })}\n\n`;
  const choice = (delta: unknown, finish: string | null): Record<string, unknown> => ({
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const frames = [frame(choice({ role: 'assistant', content: '', refusal: null }, null))];
  if (reply.finish === 'content_filter')
    frames.push(frame(choice({ refusal: reply.refusal }, null)));
  else
    for (const piece of chunkText(reply.text)) frames.push(frame(choice({ content: piece }, null)));
  // A call as OpenAI streams it: id, type and name first, then its arguments in pieces.
  (reply.toolCalls ?? []).forEach((c, index) => {
    const start = { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
    frames.push(frame(choice({ tool_calls: [start] }, null)));
    for (const piece of chunkText(c.arguments))
      frames.push(frame(choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null)));
  });
  frames.push(frame(choice({}, reply.finish)));
  if (req.includeUsage) frames.push(frame({ choices: [], usage: usageBody(usage) }));
  return {
    frames,
    done: 'data: [DONE]\n\n',
    // Cut mid-string, as a proxy that splits a frame would: the SDK must refuse to parse it.
    malformed: `data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"unterminated\n\n`,
  };
}

export const openaiWire: Wire = {
  api: 'openai',
  parse,
  error(kind: ErrorKind, detail: { model: string }): WireError {
    const spec = ERRORS[kind];
    const param = kind === 'context' ? 'messages' : kind === 'model-not-found' ? 'model' : null;
    return {
      status: spec.status,
      body: {
        error: {
          message: errorMessage(kind, detail.model),
          type: spec.type,
          param,
          code: spec.code,
        },
      },
    };
  },
  headers(requestId: string, processingMs: number, limited: boolean): Record<string, string> {
    return {
      'x-request-id': requestId,
      'openai-processing-ms': String(Math.round(processingMs)),
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': limited ? '0' : '9999',
      'x-ratelimit-reset-requests': limited ? '2s' : '6ms',
      'x-ratelimit-limit-tokens': '2000000',
      'x-ratelimit-remaining-tokens': limited ? '0' : '1999000',
      'x-ratelimit-reset-tokens': limited ? '2s' : '30ms',
    };
  },
  completion,
  stream,
};
