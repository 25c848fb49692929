/**
 * The shape of one model conversation, shared by the model layer (activities/models) and the
 * tasks that speak it directly (the chat task definition). Nothing here knows a vendor.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
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
