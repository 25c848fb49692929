import { z } from 'zod';
import type { AnyTaskDefinition } from '../../shared/tasks';
import type { LocalProviderOptions } from './providers/local-provider';
import type { ChatMessage, ModelRequest, ResponseFormat } from './providers/model-provider';

/** A second chance: the model's previous answer and why it was rejected. */
export interface Reask {
  previous: string;
  problems: string[];
}

/** Longest previous answer echoed back in a re-ask, in characters. */
const REASK_MAX_PREVIOUS_CHARS = 16_000;

/** `classify-ticket` → `classify_ticket`: vendors want [A-Za-z0-9_] in schema and tool names. */
export const schemaName = (task: AnyTaskDefinition): string =>
  task.name.replace(/[^A-Za-z0-9_]/g, '_');

/** The conversation: system, the task's prompt, and for a re-ask the rejected answer and why. */
export function buildMessages(
  task: AnyTaskDefinition,
  input: unknown,
  reask?: Reask,
): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: task.prompt.system },
    { role: 'user', content: task.prompt.render(input) },
  ];
  if (!reask) return messages;
  return [
    ...messages,
    { role: 'assistant', content: reask.previous.slice(0, REASK_MAX_PREVIOUS_CHARS) },
    {
      role: 'user',
      content:
        'Your answer was rejected by validation:\n' +
        reask.problems.map((p) => `- ${p}`).join('\n') +
        '\nAnswer again with only the corrected JSON, fixing every problem listed.',
    },
  ];
}

/**
 * The task's output as a JSON response format: its zod output schema as draft-07 JSON Schema (the
 * same document the OpenAI SDK's `zodResponseFormat` sends), named after the task.
 */
export function taskResponseFormat(task: AnyTaskDefinition): ResponseFormat {
  return {
    type: 'json',
    schema: z.toJSONSchema(task.output, { target: 'draft-7' }),
    name: schemaName(task),
    description: task.description,
  };
}

/** Everything of a request that comes from the task; the caller adds model, limits and signal. */
export function renderTaskRequest(args: {
  task: AnyTaskDefinition;
  /** The validated task input. */
  input: unknown;
  reask?: Reask;
}): Pick<ModelRequest, 'messages' | 'responseFormat' | 'providerOptions'> {
  const local: LocalProviderOptions = { task: args.task.name, input: args.input };
  return {
    messages: buildMessages(args.task, args.input, args.reask),
    responseFormat: taskResponseFormat(args.task),
    // The in-process model answers with the task's deterministic algorithm, not from the prompt.
    providerOptions: { local: { ...local } },
  };
}
