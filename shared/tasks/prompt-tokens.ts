import { countTokens } from 'gpt-tokenizer';
import { renderTemplate } from './prompt-template';
import type { AnyTaskDefinition } from './task-definition';

/**
 * The prompt a task sends for an input, as the o200k tokenizer counts it: the estimate behind a
 * request's token-limit reservation (at the API), adaptive timeouts, hedge delays and lowest-cost
 * routing (at admission). Budgets reserve a larger upper bound over every vendor's tokenizer
 * (`worstCaseInputTokens`, activities/models/billing.ts).
 */
export function promptTokens(
  task: AnyTaskDefinition,
  input: unknown,
  /** A registry version the job runs with instead of the built-in prompt. */
  prompt?: { system: string; userTemplate: string },
): number {
  return countTokens(
    prompt
      ? `${prompt.system}\n${renderTemplate(prompt.userTemplate, input)}`
      : `${task.prompt.system}\n${task.prompt.render(input)}`,
  );
}
