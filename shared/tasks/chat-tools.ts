import { z } from 'zod';
import type { ToolCall, ToolChoice, ToolsRequest } from '../contracts/chat';
import { parseModelJson } from '../guards/parse-model-json';
import { compiles, schemaIssues } from './caller-schema';
import { exampleOf } from './json-example';

/**
 * The chat task's tools (function calling, docs/chat-completions.md#tools): what a request may
 * offer, what an answer's calls look like, and the check every call passes before it reaches the
 * caller: a tool that was offered, arguments that match its `parameters`, and the `tool_choice`
 * obeyed. A failure is a validation failure like a `json_schema` one (one re-ask, then an error).
 */

/** Limits of the tools of one request (documented in docs/chat-completions.md#limits). */
export const TOOL_LIMITS = {
  tools: 128,
  /** Characters of JSON of one tool's `parameters`. */
  schemaChars: 20_000,
  /** Characters of JSON of all the tools together. */
  toolsChars: 100_000,
  /** Calls in one assistant turn. */
  calls: 128,
  idChars: 256,
} as const;

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const NAME_RULE = 'letters, digits, _ or -, 1 to 64 of them';

const ToolName = z.string().regex(TOOL_NAME, NAME_RULE);

export const ToolSchema = z
  .object({
    name: ToolName,
    description: z.string().optional(),
    parameters: z
      .record(z.string(), z.unknown())
      .refine((s) => JSON.stringify(s).length <= TOOL_LIMITS.schemaChars, {
        message: `at most ${TOOL_LIMITS.schemaChars} characters of JSON`,
        abort: true,
      })
      .refine((s) => s['type'] === undefined || s['type'] === 'object', {
        message: 'must describe an object (type "object")',
        abort: true,
      })
      .refine((s) => compiles(s), { message: 'not a valid JSON Schema' }),
  })
  .strict();

export const ToolsSchema = z
  .array(ToolSchema)
  .max(TOOL_LIMITS.tools)
  .refine((ts) => JSON.stringify(ts).length <= TOOL_LIMITS.toolsChars, {
    message: `at most ${TOOL_LIMITS.toolsChars} characters of JSON in all`,
  })
  .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, {
    message: 'tool names must be unique',
  });

export const ToolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ name: ToolName }).strict(),
]);

/** A call in an assistant turn the caller sends back (its arguments as the JSON text it got). */
export const ToolCallSchema = z
  .object({
    id: z.string().min(1).max(TOOL_LIMITS.idChars),
    name: ToolName,
    arguments: z.string(),
  })
  .strict();

/** A call in the answer: arguments parsed, so that checks and PII restore reach each value. */
export const AnswerToolCall = z
  .object({
    id: z.string(),
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()),
  })
  .strict();
export type AnswerToolCall = z.output<typeof AnswerToolCall>;

type Tools = z.output<typeof ToolsSchema>;

/** What the chat task's input carries about tools (see ChatInput). */
export interface ToolInput {
  tools?: Tools;
  toolChoice?: z.output<typeof ToolChoiceSchema>;
  parallelToolCalls?: boolean;
}

/** The request's tools for the model, or none. */
export function toolsRequest(input: ToolInput): ToolsRequest | undefined {
  if (!input.tools?.length) return undefined;
  return {
    tools: input.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters,
    })),
    toolChoice: input.toolChoice ?? 'auto',
    ...(input.parallelToolCalls !== undefined
      ? { parallelToolCalls: input.parallelToolCalls }
      : {}),
  };
}

/** Calls the tool choice requires, or none: a named tool, else the first for `required`. */
function requiredTool(input: ToolInput): Tools[number] | undefined {
  const choice: ToolChoice = input.toolChoice ?? 'auto';
  if (!input.tools?.length || choice === 'auto' || choice === 'none') return undefined;
  return choice === 'required' ? input.tools[0] : input.tools.find((t) => t.name === choice.name);
}

/**
 * The local model's calls: when the tool choice requires a call, the named tool (or the first)
 * with the smallest arguments its schema accepts (`exampleOf`); otherwise none.
 */
export function localToolCalls(input: ToolInput): AnswerToolCall[] | undefined {
  const tool = requiredTool(input);
  if (!tool) return undefined;
  const example = exampleOf(tool.parameters);
  const args =
    example && typeof example === 'object' && !Array.isArray(example)
      ? (example as Record<string, unknown>)
      : {};
  return [{ id: 'call_keel_local_1', name: tool.name, arguments: args }];
}

/**
 * A model's calls with their arguments read: an arguments text that is not a JSON object is an
 * unreadable answer (`message` says which call), like JSON the model broke.
 */
export function readToolCalls(
  calls: readonly ToolCall[],
): { ok: true; calls: AnswerToolCall[] } | { ok: false; message: string } {
  const read: AnswerToolCall[] = [];
  for (const [i, call] of calls.entries()) {
    const text = call.arguments.trim();
    const parsed = text === '' ? { ok: true as const, value: {} } : parseModelJson(text);
    if (
      !parsed.ok ||
      !parsed.value ||
      typeof parsed.value !== 'object' ||
      Array.isArray(parsed.value)
    )
      return {
        ok: false,
        message: `toolCalls.${i} (${call.name}): the arguments are not a JSON object`,
      };
    read.push({ id: call.id, name: call.name, arguments: parsed.value as Record<string, unknown> });
  }
  return { ok: true, calls: read };
}

/** Why an answer's calls are not what the request allows: each offending field, with why. */
export function toolCallIssues(
  calls: readonly AnswerToolCall[],
  input: ToolInput,
): Array<{ field: string; message: string }> {
  const choice = input.toolChoice ?? 'auto';
  const tools = new Map((input.tools ?? []).map((t) => [t.name, t]));
  const issues: Array<{ field: string; message: string }> = [];
  if (calls.length === 0) {
    if (requiredTool(input))
      issues.push({
        field: 'toolCalls',
        message:
          choice === 'required'
            ? 'tool_choice is required: the answer must call a tool'
            : `tool_choice names ${requiredTool(input)!.name}: the answer must call it`,
      });
    return issues;
  }
  if (choice === 'none')
    issues.push({ field: 'toolCalls', message: 'tool_choice is none: no tool may be called' });
  if (input.parallelToolCalls === false && calls.length > 1)
    issues.push({ field: 'toolCalls', message: 'parallel_tool_calls is false: one call at most' });
  for (const [i, call] of calls.entries()) {
    const tool = tools.get(call.name);
    if (!tool) {
      issues.push({
        field: `toolCalls.${i}.name`,
        message: `${JSON.stringify(call.name.slice(0, 64))} is not one of the tools offered`,
      });
      continue;
    }
    if (typeof choice === 'object' && call.name !== choice.name)
      issues.push({ field: `toolCalls.${i}.name`, message: `tool_choice names ${choice.name}` });
    issues.push(...schemaIssues(tool.parameters, call.arguments, `toolCalls.${i}.arguments`));
  }
  return issues;
}
