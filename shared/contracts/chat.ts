/**
 * The shape of one model conversation, shared by the model layer (activities/models) and the
 * tasks that speak it directly (the chat task definition). Nothing here knows a vendor.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** An assistant turn's calls of the caller's tools (its `content` may then be empty). */
  toolCalls?: ToolCall[];
  /** A `tool` turn: the call whose result `content` is. */
  toolCallId?: string;
}

/** A tool the model may call: a function with a JSON Schema for its arguments. */
export interface ToolDefinition {
  /** `^[a-zA-Z0-9_-]{1,64}$`, as both vendors take it. */
  name: string;
  description?: string;
  /** The arguments' JSON Schema (an object schema). */
  parameters: JsonSchema;
}

/**
 * Whether the model must call a tool: `auto` (it decides), `none`, `required` (at least one),
 * or one named tool.
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** One call of a tool, as a model answered it: `arguments` is its JSON text. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What a request offers the model besides the conversation. */
export interface ToolsRequest {
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  /** Whether several calls may come in one answer. @default the vendor's (true) */
  parallelToolCalls?: boolean;
}

/** A JSON Schema object (draft-07, as vendors' structured-output APIs take it). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** How the answer comes back: free text, or one JSON value matching `schema`. */
export type ResponseFormat =
  | { type: 'text' }
  | {
      type: 'json';
      schema: JsonSchema;
      /** [A-Za-z0-9_]: OpenAI's json_schema name, Anthropic's forced tool name. */
      name: string;
      /** What the answer is, for vendors that take a description (Anthropic's tool). */
      description?: string;
      /** Whether the vendor must enforce the schema exactly (OpenAI's `strict`). @default true */
      strict?: boolean;
    };

/** The task behind `/v1/chat/completions` (the chat task definition), named where workflows can see. */
export const CHAT_TASK_NAME = 'chat';
