import { describe, expect, it } from 'vitest';
import {
  AnswerInput,
  AnswerOutput,
  answer,
  answerGrounding,
  isAbstention,
} from '../../shared/tasks/answer';
import {
  NO_ANSWER,
  answerFromDocuments,
  rankPassages,
  tokenize,
} from '../../shared/tasks/local/answer-retrieval';
import {
  normaliseForGrounding,
  quoteIsInDocument,
  termIsInText,
} from '../../shared/tasks/grounding';
import type { RuleContext } from '../../shared/tasks';

const CTX: RuleContext = { maxDiscountPercent: 30, minConfidence: 0.5 };

const DOCS = [
  {
    id: 'refunds',
    text: `Refund policy

Refunds are issued to the original payment method within 14 days of the request. Annual plans can be refunded pro rata during the first 30 days. Gift cards and setup fees are not refundable. To request a refund, email support with your order number.`,
  },
  {
    id: 'shipping',
    text: `Shipping

Orders placed before 2 p.m. ship the same business day. Standard delivery within the EU takes 3 to 5 business days. Express delivery arrives the next business day and costs €12. We do not ship to P.O. boxes. International orders outside the EU may be charged customs duties by the destination country.`,
  },
  {
    id: 'security',
    text: `Security overview

All customer data is encrypted at rest with AES-256 and in transit with TLS 1.3. Backups are taken every 6 hours and kept for 35 days. Two-factor authentication can be enforced for every member of a workspace. Our data centres are located in Frankfurt and Dublin.`,
  },
  {
    id: 'pricing',
    text: `Plans and pricing

The Starter plan costs $9 per user per month and includes 10 GB of storage. The Pro plan costs $29 per user per month, with unlimited storage and priority support. Enterprise pricing is quoted individually. Nonprofits receive a 50% discount on all plans.`,
  },
  {
    id: 'history',
    text: `Company history

Keel was founded in 2019 by two engineers in Lisbon. The first customer signed in March 2020. In 2023 the company opened an office in Toronto.`,
  },
];

/** Question, the document that answers it, and a phrase of the sentence that does. */
const QA: Array<[question: string, documentId: string, phrase: string]> = [
  ['Within how many days are refunds issued?', 'refunds', 'within 14 days'],
  ['Can I get a refund on a gift card?', 'refunds', 'Gift cards'],
  ['How much does express delivery cost?', 'shipping', 'costs €12'],
  ['Do you ship to PO boxes?', 'shipping', 'P.O. boxes'],
  ['How is customer data encrypted?', 'security', 'AES-256'],
  ['How often are backups taken?', 'security', 'every 6 hours'],
  ['Where are your data centres?', 'security', 'Frankfurt and Dublin'],
  ['What does the Pro plan cost?', 'pricing', 'Pro plan costs $29'],
  ['Is there a discount for nonprofits?', 'pricing', '50% discount'],
  ['When was Keel founded?', 'history', 'founded in 2019'],
  ['How long does standard shipping take within the EU?', 'shipping', '3 to 5 business days'],
  ['Can two-factor authentication be enforced?', 'security', 'Two-factor'],
  ['Who pays customs duties on international orders?', 'shipping', 'customs duties'],
];

const run = (question: string) => answerFromDocuments({ question, documents: DOCS });

describe('answerFromDocuments: retrieval', () => {
  it.each(QA)('%s', (question, documentId, phrase) => {
    const result = run(question);
    expect(result.citations[0]).toMatchObject({ documentId });
    expect(result.citations[0]?.quote).toContain(phrase);
    expect(result.answer.startsWith(result.citations[0]!.quote)).toBe(true);
  });

  it.each([
    'Who is the CEO of Keel?',
    'What is the capital of France?',
    'Does the mobile app support dark mode?',
    'How many employees work in Toronto?',
    'What?',
  ])('abstains when nothing answers: %s', (question) => {
    expect(run(question)).toEqual({ answer: NO_ANSWER, citations: [] });
  });

  it('answers with one to three sentences, each an exact substring of its cited document', () => {
    for (const [question] of QA) {
      const result = run(question);
      expect(result.citations.length).toBeGreaterThanOrEqual(1);
      expect(result.citations.length).toBeLessThanOrEqual(3);
      expect(result.answer).toBe(result.citations.map((c) => c.quote).join(' '));
      for (const c of result.citations)
        expect(DOCS.find((d) => d.id === c.documentId)!.text).toContain(c.quote);
      expect(AnswerOutput.safeParse(result).success).toBe(true);
      expect(answerGrounding(result, { question, documents: DOCS })).toEqual([]);
    }
  });

  it('adds further sentences only when they cover the question as well as the best one', () => {
    const docs = [
      { id: 'a', text: 'Invoices are emailed on the first day of each month. The sky is blue.' },
      { id: 'b', text: 'Invoices are emailed to the billing contact on file.' },
    ];
    const result = answerFromDocuments({ question: 'When are invoices emailed?', documents: docs });
    expect(result.citations.map((c) => c.documentId).sort()).toEqual(['a', 'b']);
    expect(result.answer).not.toContain('sky');
  });

  it('prefers a sentence over a heading that repeats the question words', () => {
    const result = run('What is the refund policy for annual plans?');
    expect(result.citations[0]?.quote).toBe(
      'Annual plans can be refunded pro rata during the first 30 days.',
    );
  });

  it('cuts a sentence longer than a citation may be into verbatim passages', () => {
    const long = `${Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ')} warranty lasts five years`;
    const result = answerFromDocuments({
      question: 'How long does the warranty last?',
      documents: [{ id: 'w', text: long }],
    });
    expect(result.citations).toHaveLength(1);
    expect(result.citations[0]!.quote.length).toBeLessThanOrEqual(1000);
    expect(long).toContain(result.citations[0]!.quote);
    expect(result.citations[0]!.quote).toContain('warranty lasts five years');
  });

  it('tokenises with stopwords, question phrases and light stemming', () => {
    expect(tokenize('How long are the refunds being processed?')).toEqual(['refund', 'process']);
    expect(tokenize('Refunded, REFUNDING; refunds')).toEqual(['refund', 'refund', 'refund']);
  });

  it('ranks deterministically', () => {
    expect(rankPassages({ question: 'storage plan', documents: DOCS })).toEqual(
      rankPassages({ question: 'storage plan', documents: DOCS }),
    );
  });
});

describe('quoteIsInDocument and the normaliser', () => {
  const doc = 'The “Pro” plan—billed yearly—costs $29 per user. Café opening hours: 9–17.';

  it('accepts a quote differing only in case, whitespace, quotes, dashes, punctuation or accents', () => {
    for (const quote of [
      'the "pro" plan - billed yearly - costs $29 per user',
      'THE   PRO PLAN\nbilled yearly costs 29 per user.',
      "The 'Pro' plan–billed yearly–costs $29 per user",
      'cafe opening hours 9-17',
      'Ｃａｆé opening hours',
    ])
      expect(quoteIsInDocument(quote, doc), quote).toBe(true);
  });

  it('rejects a changed word, a partial word or an empty quote', () => {
    for (const quote of ['The Pro plan costs $39 per user', 'billed monthly', 'ro plan', '...', ''])
      expect(quoteIsInDocument(quote, doc), quote).toBe(false);
  });

  it('normalises to lower-case words separated by single spaces', () => {
    expect(normaliseForGrounding('  Don’t  “Stop”—now!  Ｆｕｌｌ ﬁle Crème ')).toBe(
      'dont stop now full file creme',
    );
  });

  it('termIsInText also accepts inflections of a short term', () => {
    expect(termIsInText('charge', 'I see two charges on my card')).toBe(true);
    expect(termIsInText('stopped working', 'the app stops working at night')).toBe(true);
    expect(termIsInText('refund', 'I want my money back')).toBe(false);
  });
});

describe('answer grounding', () => {
  const input = AnswerInput.parse({ question: 'How fast are refunds issued?', documents: DOCS });
  const good = run('Within how many days are refunds issued?');

  it('accepts the retrieval answer and a quote reformatted by a model', () => {
    expect(answerGrounding(good, input)).toEqual([]);
    const reformatted = {
      answer: 'Within 14 days.',
      citations: [
        {
          documentId: 'refunds',
          quote: 'refunds are issued to the ORIGINAL payment method, within 14 days of the request',
        },
      ],
    };
    expect(answerGrounding(reformatted, input)).toEqual([]);
  });

  it('catches a fabricated quote in an existing document', () => {
    const fabricated = {
      answer: 'Refunds take 42 minutes.',
      citations: [{ documentId: 'refunds', quote: 'Refunds are issued within 42 minutes.' }],
    };
    expect(answerGrounding(fabricated, input)).toEqual([
      expect.objectContaining({ field: 'citations.0.quote', rule: 'grounding' }),
    ]);
  });

  it('catches a citation of a document that does not exist, and a quote from the wrong one', () => {
    const output = {
      answer: 'Refunds take 14 days.',
      citations: [
        { documentId: 'refunds', quote: 'within 14 days of the request' },
        { documentId: 'doc-does-not-exist', quote: 'within 14 days of the request' },
        { documentId: 'shipping', quote: 'within 14 days of the request' },
      ],
    };
    expect(answerGrounding(output, input)).toEqual([
      expect.objectContaining({ field: 'citations.1.documentId', rule: 'grounding' }),
      expect.objectContaining({ field: 'citations.2.quote', rule: 'grounding' }),
    ]);
  });
});

describe('answer rules and schemas', () => {
  const rule = answer.rules![0]!;
  const input = AnswerInput.parse({ question: 'q?', documents: DOCS });

  it('answer-has-citations: an answer must cite, an "I don\'t know" need not', () => {
    expect(rule.id).toBe('answer-has-citations');
    expect(rule.action).toBe('re-ask');
    expect(rule.check({ answer: 'Refunds take 14 days.', citations: [] }, input, CTX)).toEqual([
      expect.objectContaining({ field: 'citations', rule: 'answer-has-citations' }),
    ]);
    for (const abstain of [
      NO_ANSWER,
      "I don't know.",
      'I do not know based on these documents.',
      'The provided documents do not mention a CEO.',
      'That is not stated in the documents.',
      'There is no information about that.',
    ]) {
      expect(isAbstention(abstain), abstain).toBe(true);
      expect(rule.check({ answer: abstain, citations: [] }, input, CTX)).toEqual([]);
    }
    expect(
      isAbstention(
        `Refunds take 14 days. ${'More detail here. '.repeat(10)} I don't know the rest.`,
      ),
    ).toBe(false);
    expect(rule.check(good(), input, CTX)).toEqual([]);
  });

  it('rejects duplicate document ids, naming the duplicate', () => {
    const bad = AnswerInput.safeParse({
      question: 'q',
      documents: [
        { id: 'a', text: 'x' },
        { id: 'b', text: 'y' },
        { id: 'a', text: 'z' },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({
        path: ['documents', 2, 'id'],
        message: expect.stringContaining('"a"'),
      }),
    ]);
  });

  it('bounds the input and the output', () => {
    const doc = { id: 'a', text: 'x' };
    expect(AnswerInput.safeParse({ question: '', documents: [doc] }).success).toBe(false);
    expect(AnswerInput.safeParse({ question: 'q', documents: [] }).success).toBe(false);
    expect(
      AnswerInput.safeParse({
        question: 'q',
        documents: Array.from({ length: 21 }, (_, i) => ({ id: `d${i}`, text: 'x' })),
      }).success,
    ).toBe(false);
    expect(
      AnswerInput.safeParse({ question: 'q', documents: [{ id: '', text: 'x' }] }).success,
    ).toBe(false);
    const citation = { documentId: 'a', quote: 'x' };
    expect(
      AnswerOutput.safeParse({ answer: 'a', citations: Array(11).fill(citation) }).success,
    ).toBe(false);
    expect(
      AnswerOutput.safeParse({ answer: 'a', citations: [{ documentId: 'a', quote: '' }] }).success,
    ).toBe(false);
  });

  function good() {
    return run('When was Keel founded?');
  }
});
