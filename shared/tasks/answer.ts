import { z } from 'zod';
import { defineTask, renderInput, type BusinessRule, type Violation } from './task-definition';
import { answerFromDocuments, MAX_QUOTE_CHARS } from './local/answer-retrieval';
import { createQuoteMatcher, excerpt, normaliseForGrounding } from './grounding';
import { ANSWER_MAX_DOCUMENT_CHARS } from '../policy/long-document-limits';

export const AnswerDocument = z
  .object({
    id: z.string().min(1).max(100).describe('Unique within the request; citations name it.'),
    text: z.string().min(1).max(ANSWER_MAX_DOCUMENT_CHARS),
  })
  .strict();

export const AnswerInput = z
  .object({
    question: z.string().trim().min(1).max(2_000),
    documents: z.array(AnswerDocument).min(1).max(20).describe('What the answer may rely on.'),
  })
  .strict()
  .superRefine(uniqueDocumentIds);

/** Citations name documents by id: within one request each id names one document. */
export function uniqueDocumentIds(
  input: { documents: ReadonlyArray<{ id: string }> },
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  input.documents.forEach((doc, i) => {
    if (seen.has(doc.id))
      ctx.addIssue({
        code: 'custom',
        path: ['documents', i, 'id'],
        message: `duplicate document id "${doc.id}"`,
      });
    seen.add(doc.id);
  });
}

export const AnswerCitation = z
  .object({
    documentId: z.string().min(1).max(100),
    quote: z
      .string()
      .min(1)
      .max(MAX_QUOTE_CHARS)
      .describe('Copied word for word from the document.'),
  })
  .strict();

export const AnswerOutput = z
  .object({
    answer: z.string().min(1).max(10_000),
    citations: z.array(AnswerCitation).max(10),
  })
  .strict();

type Input = z.output<typeof AnswerInput>;
type Output = z.output<typeof AnswerOutput>;

/** At most this many words, and phrased as not knowing: such an answer needs no citation. */
const ABSTENTION_MAX_WORDS = 30;
const ABSTENTION =
  /\b(?:i (?:do not|dont|cannot|cant) know|(?:the )?(?:provided )?documents? (?:do|does|did) not (?:answer|say|mention|contain|cover|address|state|specify|include|provide)|not (?:found|mentioned|stated|covered|specified|addressed|given) in the (?:provided )?documents?|no (?:relevant )?information|(?:cannot|cant|unable to) (?:be )?(?:answer|determine|find|tell)|not enough information|insufficient information)\b/;

/** "I don't know" in its common phrasings, short enough not to hide an actual answer. */
export function isAbstention(answer: string): boolean {
  const text = normaliseForGrounding(answer);
  return text.split(' ').length <= ABSTENTION_MAX_WORDS && ABSTENTION.test(text);
}

const hasCitations: BusinessRule<Input, Output> = {
  id: 'answer-has-citations',
  description: 'An answer that is not "I don\'t know" cites at least one document.',
  action: 're-ask',
  check: (output) =>
    output.citations.length > 0 || output.answer.trim() === '' || isAbstention(output.answer)
      ? []
      : [
          {
            field: 'citations',
            message: 'the answer cites no document; quote the sentences it relies on',
            rule: 'answer-has-citations',
          },
        ],
};

/** Every citation names a document of the input and quotes it word for word. */
export function answerGrounding(output: Output, input: Input): Violation[] {
  const matchers = new Map<string, (quote: string) => boolean>();
  const matcherFor = (id: string): ((quote: string) => boolean) | undefined => {
    const doc = input.documents.find((d) => d.id === id);
    if (doc === undefined) return undefined;
    const existing = matchers.get(id) ?? createQuoteMatcher(doc.text);
    matchers.set(id, existing);
    return existing;
  };
  return output.citations.flatMap((c, i): Violation[] => {
    const found = matcherFor(c.documentId);
    if (found === undefined)
      return [
        {
          field: `citations.${i}.documentId`,
          message: `cites document "${excerpt(c.documentId, 40)}", which is not among the documents`,
          rule: 'grounding',
        },
      ];
    return found(c.quote)
      ? []
      : [
          {
            field: `citations.${i}.quote`,
            message: `the quote is not found in document "${excerpt(c.documentId, 40)}"`,
            rule: 'grounding',
          },
        ];
  });
}

export const answer = defineTask({
  name: 'answer',
  description: 'Answer a question from the given documents only, quoting them as citations.',
  input: AnswerInput,
  output: AnswerOutput,
  prompt: {
    version: 'answer@1',
    system:
      'You answer questions using only the documents provided. Answer with JSON: ' +
      '{"answer": string, "citations": [{"documentId": string, "quote": string}]}. Rules: every ' +
      'citation names the id of one of the documents and quotes it word for word (one or two ' +
      'sentences, at most 1000 characters); an answer must cite at least one document; use at ' +
      'most 10 citations; if the documents do not answer the question, say "The documents do ' +
      'not answer this question." and cite nothing. Never use outside knowledge.',
    render: (input) =>
      `Answer the question in <input> from its documents.\n\n${renderInput(input)}`,
  },
  envelope: { fastMs: 3_000, maxSyncMs: 15_000, hardTimeoutMs: 60_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  maxOutputTokens: 1024,
  fallback: (input) => answerFromDocuments(input),
  rules: [hasCitations],
  grounding: answerGrounding,
  example: {
    question: 'How long until a refund appears on my statement?',
    documents: [
      {
        id: 'refund-policy',
        text: 'Refunds are issued to the original payment method. Refunds usually take 5 to 10 business days to appear on your statement. Gift cards cannot be refunded.',
      },
      {
        id: 'shipping',
        text: 'Orders ship within 2 business days. Express delivery is available in most countries.',
      },
    ],
  },
});
