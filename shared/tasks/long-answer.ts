/**
 * `answer` over documents past one call (docs/long-documents.md): the documents are cut into
 * pieces, the pieces packed into child `answer` jobs of at most one call's size, and the partial
 * answers' citations gathered as the excerpts the reduce job answers from. Pure: the long-document
 * activities run these, the workflow passes offsets.
 */
import { z } from 'zod';
import { isAbstention, uniqueDocumentIds } from './answer';
import { chunkText } from './chunking';
import { NO_ANSWER } from './local/answer-retrieval';
import {
  ANSWER_MAX_DOCUMENT_CHARS,
  ANSWER_MAX_TOTAL_CHARS,
  LONG_DOCUMENT_MAX_CHARS,
  LONG_DOCUMENT_TASKS,
} from '../policy/long-document-limits';

/** Documents one `answer` call takes at most (answer.ts's schema). */
export const ANSWER_MAX_DOCUMENTS = 20;

export interface AnswerDocumentText {
  id: string;
  text: string;
}

/** `answer`'s input with the long-document limits: documents up to 2,000,000 characters in all. */
export const LongAnswerInput = z
  .object({
    question: z.string().trim().min(1).max(2_000),
    documents: z
      .array(
        z
          .object({
            id: z
              .string()
              .min(1)
              .max(100)
              .describe('Unique within the request; citations name it.'),
            text: z.string().min(1).max(LONG_DOCUMENT_MAX_CHARS),
          })
          .strict(),
      )
      .min(1)
      .max(ANSWER_MAX_DOCUMENTS)
      .describe(
        `What the answer may rely on: at most ${LONG_DOCUMENT_MAX_CHARS} characters in all.`,
      ),
  })
  .strict()
  .superRefine((input, ctx) => {
    uniqueDocumentIds(input, ctx);
    const total = totalChars(input.documents);
    if (total > LONG_DOCUMENT_MAX_CHARS)
      ctx.addIssue({
        code: 'custom',
        path: ['documents'],
        message: `the documents hold ${total} characters; at most ${LONG_DOCUMENT_MAX_CHARS} in all`,
      });
  });

/** Characters over all documents. */
export function totalChars(documents: ReadonlyArray<{ text: string }>): number {
  return documents.reduce((t, d) => t + d.text.length, 0);
}

/** Whether one `answer` call takes these documents: within both the per-document and total limit. */
export function fitsOneAnswerCall(documents: ReadonlyArray<{ text: string }>): boolean {
  return (
    documents.length <= ANSWER_MAX_DOCUMENTS &&
    totalChars(documents) <= ANSWER_MAX_TOTAL_CHARS &&
    documents.every((d) => d.text.length <= ANSWER_MAX_DOCUMENT_CHARS)
  );
}

/** A piece of one document: `documents[doc].text.slice(start, end)`, cited under its id. */
export interface PieceRef {
  doc: number;
  start: number;
  end: number;
}

/**
 * The documents' pieces packed into child jobs, first fit in document order: a child takes at
 * most `ANSWER_MAX_TOTAL_CHARS` and 20 pieces, and at most one piece of a document, since each
 * piece is passed under its document's own id (ids are unique within a call).
 */
export function packAnswerPieces(documents: readonly AnswerDocumentText[]): PieceRef[][] {
  const limits = LONG_DOCUMENT_TASKS['answer']!;
  const packs: Array<{ pieces: PieceRef[]; chars: number; docs: Set<number> }> = [];
  documents.forEach((document, doc) => {
    const chunks = chunkText(document.text, {
      maxChars: limits.chunkChars,
      overlapChars: limits.overlapChars,
    });
    for (const { start, end } of chunks) {
      const size = end - start;
      let pack = packs.find(
        (p) =>
          !p.docs.has(doc) &&
          p.pieces.length < ANSWER_MAX_DOCUMENTS &&
          p.chars + size <= limits.singleCallChars,
      );
      if (!pack) {
        pack = { pieces: [], chars: 0, docs: new Set() };
        packs.push(pack);
      }
      pack.pieces.push({ doc, start, end });
      pack.chars += size;
      pack.docs.add(doc);
    }
  });
  return packs.map((p) => p.pieces);
}

/** What the reduce step answers from, built from the partial answers. */
export interface AnswerExcerpts {
  /** Per document, in document order, the quotes the answering partials cited, once each. */
  documents: AnswerDocumentText[];
  /** Partial answers that answered (cited something and did not abstain). */
  answering: number;
  /** Whether `documents` fit one call (else the workflow maps them once more). */
  fits: boolean;
  /** When no partial answered: the job's answer, with no reduce call. */
  abstention?: string;
}

/**
 * The reduce input's documents: the answering partials' quotes grouped under the original
 * document ids (each quote verbatim in its document, so a quote of an excerpt is one of the
 * document), joined by blank lines. Abstaining partials are dropped.
 */
export function answerExcerpts(args: {
  documentIds: readonly string[];
  partials: ReadonlyArray<{
    answer: string;
    citations: ReadonlyArray<{ documentId: string; quote: string }>;
  }>;
}): AnswerExcerpts {
  const answering = args.partials.filter((p) => p.citations.length > 0 && !isAbstention(p.answer));
  const quotes = new Map<string, string[]>(args.documentIds.map((id) => [id, []]));
  for (const partial of answering) {
    for (const { documentId, quote } of partial.citations) {
      const list = quotes.get(documentId);
      const text = quote.trim();
      if (list && text !== '' && !list.includes(text)) list.push(text);
    }
  }
  const documents = [...quotes]
    .filter(([, list]) => list.length > 0)
    .map(([id, list]) => ({ id, text: list.join('\n\n') }));
  return {
    documents,
    answering: answering.length,
    fits: fitsOneAnswerCall(documents),
    ...(documents.length === 0 ? { abstention: NO_ANSWER } : {}),
  };
}
