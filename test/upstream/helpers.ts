/**
 * Shared fixtures for the upstream tests: real SDK clients pointed at the mock over loopback, and
 * requests shaped the way Keel sends them (task input rendered into `<input>`, structured output
 * named after the task).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ModelRequest } from '../../activities/models/providers/model-provider';
import { renderTaskRequest } from '../../activities/models/render-request';
import { parseFileConfig } from '../../shared/platform/config-file';
import { findModel } from '../../shared/platform/model-registry';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { summarize } from '../../shared/tasks/summarize';

export const TICKET = { subject: 'Refund', body: 'I was charged twice for my subscription' };
export const TICKET_PROMPT =
  'Classify the support ticket in <input>.\n\n<input>{"subject":"Refund","body":"I was charged twice for my subscription"}</input>';

export const SUMMARY_INPUT = {
  text: 'The city council approved the new park budget on Tuesday. Construction starts in spring. The park will include a playground, a pond and walking trails.',
  maxWords: 20,
};
export const SUMMARY_PROMPT = summarize.prompt.render(summarize.input.parse(SUMMARY_INPUT));

/** A registry of the mock's `models` (scenario names) under both vendors, at a price of 1. */
export function vendorRegistry(models: readonly string[]) {
  return parseFileConfig(
    {
      providers: [
        { name: 'openai', type: 'openai' },
        { name: 'anthropic', type: 'anthropic' },
      ],
      models: models.flatMap((name) => [
        { provider: 'openai', name, price: { input: 1, output: 1 } },
        { provider: 'anthropic', name, price: { input: 1, output: 1 } },
      ]),
    },
    'test',
  );
}

/** The ticket's `classify-ticket` request to `provider:model`, as `callModel` hands it over. */
export function ticketRequest(
  registry: ReturnType<typeof vendorRegistry>,
  provider: string,
  model: string,
  opts: { timeoutMs?: number; maxOutputTokens?: number } = {},
): ModelRequest {
  const entry = findModel(registry, provider, model);
  if (!entry) throw new Error(`no ${provider}:${model}`);
  return {
    ...renderTaskRequest({ task: classifyTicket, input: TICKET }),
    model: entry,
    maxOutputTokens: opts.maxOutputTokens ?? 512,
    timeoutMs: opts.timeoutMs ?? 5_000,
    // Nothing else holds the caller's controller: only the signal travels with the request.
    signal: new AbortController().signal,
  };
}

// logLevel off: the SDKs log malformed SSE to stderr, which would only be noise next to assertions.
export function openai(url: string, timeout = 5_000): OpenAI {
  return new OpenAI({
    apiKey: 'test',
    baseURL: `${url}/v1`,
    maxRetries: 0,
    timeout,
    logLevel: 'off',
  });
}

export function anthropic(url: string, timeout = 5_000): Anthropic {
  return new Anthropic({ apiKey: 'test', baseURL: url, maxRetries: 0, timeout, logLevel: 'off' });
}

type Task = 'classify_ticket' | 'summarize';
const promptFor = (task: Task): string => (task === 'summarize' ? SUMMARY_PROMPT : TICKET_PROMPT);
const systemFor = (task: Task): string =>
  task === 'summarize' ? summarize.prompt.system : classifyTicket.prompt.system;

/** An OpenAI request the way Keel sends one: json_schema response format named after the task. */
export function openaiParams(
  model: string,
  task: Task = 'classify_ticket',
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    messages: [
      { role: 'system', content: systemFor(task) },
      { role: 'user', content: promptFor(task) },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: task, schema: { type: 'object' }, strict: true },
    },
  };
}

/** An Anthropic request the way Keel sends one: a forced tool named after the task. */
export function anthropicParams(
  model: string,
  task: Task = 'classify_ticket',
): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model,
    max_tokens: 1024,
    system: systemFor(task),
    messages: [{ role: 'user', content: promptFor(task) }],
    tools: [{ name: task, description: 'Return the answer.', input_schema: { type: 'object' } }],
    tool_choice: { type: 'tool', name: task },
  };
}

/** The rejection of `promise`, or a failure if it resolved: keeps status checks explicit. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
