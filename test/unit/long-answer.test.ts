import { describe, expect, it } from 'vitest';
import { AnswerInput, answerGrounding } from '../../shared/tasks/answer';
import { NO_ANSWER } from '../../shared/tasks/local/answer-retrieval';
import {
  answerExcerpts,
  fitsOneAnswerCall,
  LongAnswerInput,
  packAnswerPieces,
  type AnswerDocumentText,
} from '../../shared/tasks/long-answer';
import { isLongDocument, longInputSchema } from '../../shared/tasks/long-document';
import {
  ANSWER_MAX_DOCUMENT_CHARS,
  ANSWER_MAX_TOTAL_CHARS,
  LONG_DOCUMENT_TASKS,
} from '../../shared/policy/long-document-limits';
import { operationsLog } from '../support/long-text';

const docs = (...sizes: number[]): AnswerDocumentText[] =>
  sizes.map((n, i) => ({ id: `doc-${i}`, text: operationsLog(n).slice(0, n) }));

/** The child inputs the workflow builds from the packs. */
const childInputs = (documents: AnswerDocumentText[]) =>
  packAnswerPieces(documents).map((pack) => ({
    question: 'q?',
    documents: pack.map(({ doc, start, end }) => ({
      id: documents[doc]!.id,
      text: documents[doc]!.text.slice(start, end),
    })),
  }));

describe('long answer: which inputs, and the limits', () => {
  it('one call takes ≤ 100,000 characters in all and ≤ 50,000 per document; past either is long', () => {
    expect(LONG_DOCUMENT_TASKS['answer']!.singleCallChars).toBe(ANSWER_MAX_TOTAL_CHARS);
    const input = (documents: AnswerDocumentText[]) => ({
      task: 'answer',
      input: { question: 'q?', documents },
    });
    expect(isLongDocument(input(docs(50_000, 50_000)))).toBe(false);
    expect(isLongDocument(input(docs(50_000, 50_000, 1)))).toBe(true);
    expect(isLongDocument(input(docs(50_001)))).toBe(true);
    expect(isLongDocument(input(docs(100_000, 100_000, 100_000)))).toBe(true);
    expect(fitsOneAnswerCall(docs(ANSWER_MAX_DOCUMENT_CHARS))).toBe(true);
  });

  it('accepts documents up to 2,000,000 characters in all; past that names the field', () => {
    expect(longInputSchema('answer')).toBe(LongAnswerInput);
    const big = (n: number) => 'word '.repeat(n / 5);
    const ok = LongAnswerInput.safeParse({
      question: 'q?',
      documents: [
        { id: 'a', text: big(1_000_000) },
        { id: 'b', text: big(1_000_000) },
      ],
    });
    expect(ok.success).toBe(true);
    const total = LongAnswerInput.safeParse({
      question: 'q?',
      documents: [
        { id: 'a', text: big(1_000_000) },
        { id: 'b', text: big(1_000_000) + 'x' },
      ],
    });
    expect(total.error?.issues.map((i) => i.path)).toEqual([['documents']]);
    const one = LongAnswerInput.safeParse({
      question: 'q?',
      documents: [{ id: 'a', text: big(2_000_000) + 'x' }],
    });
    expect(one.error?.issues[0]?.path).toEqual(['documents', 0, 'text']);
    const dup = LongAnswerInput.safeParse({
      question: 'q?',
      documents: [
        { id: 'a', text: 'x' },
        { id: 'a', text: 'y' },
      ],
    });
    expect(dup.error?.issues[0]?.path).toEqual(['documents', 1, 'id']);
  });
});

describe('long answer: packing pieces into child jobs', () => {
  it('3 documents of ~300,000 characters: every child input is one valid answer call', () => {
    const documents = docs(120_000, 90_000, 95_000);
    const inputs = childInputs(documents);
    for (const input of inputs) {
      // The single-call schema, unique ids included: a piece goes under its document's own id.
      expect(AnswerInput.safeParse(input).success).toBe(true);
      expect(fitsOneAnswerCall(input.documents)).toBe(true);
    }
    // Fewer children than pieces: small pieces share a child.
    const pieces = packAnswerPieces(documents).flat();
    expect(inputs.length).toBeLessThan(pieces.length);
    expect(inputs.length).toBeLessThanOrEqual(5);
  });

  it('covers every character of every document, each piece verbatim in its document', () => {
    const documents = docs(230_000, 7_000, 61_000);
    const pieces = packAnswerPieces(documents).flat();
    documents.forEach((document, doc) => {
      const mine = pieces.filter((p) => p.doc === doc).sort((a, b) => a.start - b.start);
      expect(mine[0]!.start).toBe(0);
      expect(mine[mine.length - 1]!.end).toBe(document.text.length);
      // Consecutive pieces meet or overlap (by at most the configured overlap): nothing is lost.
      for (let i = 1; i < mine.length; i++) {
        expect(mine[i]!.start).toBeLessThanOrEqual(mine[i - 1]!.end);
        expect(mine[i - 1]!.end - mine[i]!.start).toBeLessThanOrEqual(1_000);
      }
    });
  });

  it('many small documents share one child, at most 20 a child', () => {
    const documents = docs(...Array.from({ length: 20 }, () => 6_000));
    const packs = packAnswerPieces(documents);
    expect(packs.length).toBe(2);
    expect(packs.every((p) => p.length <= 20)).toBe(true);
  });
});

describe('long answer: the reduce input', () => {
  const documentIds = ['manual', 'log', 'faq'];

  it('drops abstaining partials; groups the quotes per document in document order, once each', () => {
    const excerpts = answerExcerpts({
      documentIds,
      partials: [
        { answer: NO_ANSWER, citations: [] },
        {
          answer: 'It holds 96 hours of fuel.',
          citations: [
            { documentId: 'faq', quote: 'The tank holds 96 hours of fuel.' },
            { documentId: 'manual', quote: 'Generator B is in building 7.' },
          ],
        },
        {
          answer: '96 hours.',
          citations: [{ documentId: 'faq', quote: ' The tank holds 96 hours of fuel. ' }],
        },
        { answer: 'I do not know.', citations: [] },
      ],
    });
    expect(excerpts.answering).toBe(2);
    expect(excerpts.documents).toEqual([
      { id: 'manual', text: 'Generator B is in building 7.' },
      { id: 'faq', text: 'The tank holds 96 hours of fuel.' },
    ]);
    expect(excerpts.fits).toBe(true);
    expect(excerpts.abstention).toBeUndefined();
  });

  it('every partial abstains: the abstention, no documents to reduce', () => {
    const excerpts = answerExcerpts({
      documentIds,
      partials: [
        { answer: NO_ANSWER, citations: [] },
        { answer: 'The documents do not mention it.', citations: [] },
      ],
    });
    expect(excerpts).toEqual({ documents: [], answering: 0, fits: true, abstention: NO_ANSWER });
  });

  it('excerpts past one call are not said to fit (the workflow maps them again)', () => {
    const quote = (i: number) => `Entry ${i} ${'x'.repeat(990)}.`;
    const excerpts = answerExcerpts({
      documentIds: ['big'],
      partials: Array.from({ length: 6 }, (_, p) => ({
        answer: 'yes',
        citations: Array.from({ length: 10 }, (_, c) => ({
          documentId: 'big',
          quote: quote(p * 10 + c),
        })),
      })),
    });
    expect(excerpts.documents[0]!.text.length).toBeGreaterThan(ANSWER_MAX_DOCUMENT_CHARS);
    expect(excerpts.fits).toBe(false);
  });

  it('the final check runs against the whole documents: a quote spanning two excerpts fails', () => {
    const text = operationsLog(200_000);
    // Two sentences of the document, each verbatim in it, far apart.
    const at = (n: number) => text.indexOf(`Entry ${n}. `);
    const a = text.slice(at(3), text.indexOf('.', at(3) + 10) + 1);
    const b = text.slice(at(400), text.indexOf('.', at(400) + 10) + 1);
    const input = { question: 'q?', documents: [{ id: 'log', text }] };
    const ok = answerGrounding(
      { answer: 'x', citations: [{ documentId: 'log', quote: a }] },
      input,
    );
    expect(ok).toEqual([]);
    expect(
      answerGrounding({ answer: 'x', citations: [{ documentId: 'log', quote: b }] }, input),
    ).toEqual([]);
    const spanning = answerGrounding(
      { answer: 'x', citations: [{ documentId: 'log', quote: `${a} ${b}` }] },
      input,
    );
    expect(spanning.map((v) => v.field)).toEqual(['citations.0.quote']);
  });
});
