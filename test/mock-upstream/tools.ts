/**
 * The mock model's tool calls. A request that offers tools gets a call when its tool choice
 * requires one (OpenAI `required` or a named function, Anthropic `any` or `tool`) or when the
 * scenario is `tool-call`, unless the conversation's last turn already is a tool's result: then
 * it answers in text, quoting the results. The call is the named tool (else the first) with the
 * smallest arguments its schema accepts, string arguments filled with the first redaction
 * placeholder (`[EMAIL_1]`) the conversation holds, so a test sees Keel put values back.
 * `rule-violation` breaks the arguments' schema and `invalid-json` their JSON, on a first answer.
 */
import { exampleOf } from '../../shared/tasks/json-example';
import type { ContentFault } from './content';
import type { ParsedRequest, Reply, ToolCallReply } from './wire';
import { isRecord, makeId } from './wire';

/** What a request says about tools, normalised across the two dialects. */
export interface ToolsAsked {
  tools: Array<{ name: string; schema: Record<string, unknown> }>;
  /** `required` for OpenAI's `required` and Anthropic's `any`; a name for a forced tool. */
  choice: 'auto' | 'none' | 'required' | { name: string };
  /** The last turn carries tool results: their text. */
  results?: string;
}

const PLACEHOLDER = /\[[A-Z]+(?:_[A-Z]+)*_\d+\]/;

function argumentsFor(
  schema: Record<string, unknown>,
  conversation: string,
): Record<string, unknown> {
  const example = exampleOf(schema);
  const args = isRecord(example) ? example : {};
  const placeholder = PLACEHOLDER.exec(conversation)?.[0];
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  if (!placeholder) return args;
  return Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      const sub = properties[key];
      const plain =
        isRecord(sub) && sub['type'] === 'string' && !('enum' in sub) && !('format' in sub);
      return [key, plain ? placeholder : value];
    }),
  );
}

/** Arguments off their schema: the first one's type changed (a string for a number, else 12345). */
function breakArguments(args: Record<string, unknown>): Record<string, unknown> {
  const [first] = Object.keys(args);
  if (first === undefined) return { unexpected: 12345 };
  return { ...args, [first]: typeof args[first] === 'number' ? 'not a number' : 12345 };
}

/** The tool-calling reply, or undefined when this request gets an ordinary one. */
export function toolReply(
  parsed: ParsedRequest,
  scenario: string,
  fault: ContentFault | undefined,
): Reply | undefined {
  const asked = parsed.tools;
  if (!asked || asked.tools.length === 0 || asked.choice === 'none') return undefined;
  const forced = asked.choice !== 'auto';
  if (asked.results !== undefined && !forced)
    return { text: `The tools answered: ${asked.results}`, finish: 'stop' };
  if (!forced && scenario !== 'tool-call') return undefined;
  const choice = asked.choice;
  const tool =
    typeof choice === 'object' ? asked.tools.find((t) => t.name === choice.name) : asked.tools[0];
  if (!tool) return undefined;
  const conversation = JSON.stringify(parsed.messages);
  let args = argumentsFor(tool.schema, conversation);
  const first = !parsed.reask;
  if (first && fault === 'rule-violation') args = breakArguments(args);
  const call: ToolCallReply = {
    id: makeId(parsed.api === 'anthropic' ? 'toolu_' : 'call_'),
    name: tool.name,
    arguments: JSON.stringify(args),
  };
  if (first && fault === 'invalid-json') call.arguments = call.arguments.slice(0, -1);
  return { text: '', toolCalls: [call], finish: 'tool_calls' };
}
