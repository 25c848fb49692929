import { z } from 'zod';
import { defineTask, renderInput, type BusinessRule, type Violation } from './task-definition';
import { TICKET_CATEGORIES, classifyTicketLexicon } from './local/classify-ticket-lexicon';
import { excerpt, quotedPhrases, termIsInText } from './grounding';

export const ClassifyTicketInput = z
  .object({
    subject: z.string().trim().max(300).default('').describe('Ticket subject line.'),
    body: z.string().trim().min(1).max(20_000).describe('Ticket body as the customer wrote it.'),
  })
  .strict();

export const ClassifyTicketOutput = z
  .object({
    category: z.enum(TICKET_CATEGORIES),
    confidence: z.number().min(0).max(1),
    rationale: z.string().min(1).max(1_000),
  })
  .strict();

type Input = z.output<typeof ClassifyTicketInput>;
type Output = z.output<typeof ClassifyTicketOutput>;

const confidentEnough: BusinessRule<Input, Output> = {
  id: 'confidence-at-least-tenant-minimum',
  description: "The confidence reaches the tenant's minimum; a less sure answer is not trusted.",
  action: 'next',
  check(output, _input, ctx) {
    return output.confidence >= ctx.minConfidence
      ? []
      : [
          {
            field: 'confidence',
            message: `confidence ${output.confidence} is below the tenant minimum of ${ctx.minConfidence}`,
            rule: 'confidence-at-least-tenant-minimum',
          },
        ];
  },
};

/**
 * A phrase the rationale puts in double quotes claims to come from the ticket: it must occur in
 * the subject or body. Inflections count (the lexicon quotes its term "charge" for "charges").
 */
export function classifyTicketGrounding(output: Output, input: Input): Violation[] {
  const ticket = `${input.subject ?? ''}\n${input.body}`;
  return quotedPhrases(output.rationale)
    .filter((phrase) => !termIsInText(phrase, ticket))
    .map((phrase) => ({
      field: 'rationale',
      message: `the quoted phrase "${excerpt(phrase)}" is not found in the ticket`,
      rule: 'grounding',
    }));
}

export const classifyTicket = defineTask({
  name: 'classify-ticket',
  description: 'Route a support ticket to BILLING, TECHNICAL, ACCOUNT or OTHER, with a confidence.',
  input: ClassifyTicketInput,
  output: ClassifyTicketOutput,
  prompt: {
    version: 'classify-ticket@1',
    system:
      'You classify customer support tickets. Categories: BILLING, TECHNICAL, ACCOUNT, OTHER. ' +
      'Answer with JSON: {"category": string, "confidence": number between 0 and 1, "rationale": string}.',
    render: (input) => `Classify the support ticket in <input>.\n\n${renderInput(input)}`,
  },
  envelope: { fastMs: 1_500, maxSyncMs: 8_000, hardTimeoutMs: 30_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  maxOutputTokens: 512,
  fallback: (input) => classifyTicketLexicon(input),
  rules: [confidentEnough],
  grounding: classifyTicketGrounding,
  example: { subject: 'Refund', body: 'I was charged twice for my subscription' },
});
