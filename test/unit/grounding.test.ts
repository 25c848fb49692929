import { describe, expect, it } from 'vitest';
import { TASKS, findTask, type RuleContext, type Violation } from '../../shared/tasks';
import { summarize, summarizeGrounding } from '../../shared/tasks/summarize';
import { classifyTicket, classifyTicketGrounding } from '../../shared/tasks/classify-ticket';
import {
  extractClaims,
  indexSource,
  numberReadings,
  unsupportedClaims,
} from '../../shared/tasks/claims';
import { quotedPhrases } from '../../shared/tasks/grounding';
import { summarizeExtractive } from '../../shared/tasks/local/summarize-extractive';
import { classifyTicketLexicon } from '../../shared/tasks/local/classify-ticket-lexicon';
import { buildReply, CONTENT_FAULTS, INJECTED, type ContentFault } from '../mock-upstream/content';
import { ARTICLE } from '../fixtures/texts';

const CTX: RuleContext = { maxDiscountPercent: 30, minConfidence: 0.5 };

/** PARK: another text the extractive summariser is tested on. */
const PARK =
  'The city council approved the new park budget on Tuesday. Construction starts in spring. The park will include a playground, a pond and walking trails.';
const REPORT = `Acme Corp reported revenue of $1,200.50 million for Q3 2024, up 12% from a year earlier.
CEO Dana Whitfield said on March 5, 2024 that the Berlin plant would open in twelve weeks.
The board approved a dividend of 0.45 per share, payable on 05/06/2024.`;
const TEXTS = [ARTICLE, PARK, REPORT, String(summarize.example.text)];

const summaryViolations = (text: string, output: { summary: string; keyPoints: string[] }) =>
  summarizeGrounding(output, { text, maxWords: 500 });

describe('summarize grounding', () => {
  it('always passes the extractive summariser, on every test text and budget', () => {
    for (const text of TEXTS) {
      for (let maxWords = 10; maxWords <= 200; maxWords += 7) {
        const output = summarizeExtractive({ text, maxWords });
        expect(
          summarizeGrounding(output, { text, maxWords }),
          `${maxWords}: ${output.summary}`,
        ).toEqual([]);
      }
    }
  });

  it("catches the mock's fabricated sentence: both the 42% and the name", () => {
    for (const text of TEXTS) {
      const output = summarizeExtractive({ text, maxWords: 60 });
      const violations = summaryViolations(text, {
        ...output,
        summary: `${output.summary} ${INJECTED.fabricatedSentence}`,
      });
      expect(violations).toEqual([
        {
          field: 'summary',
          message: 'the number "42%" does not occur in the source',
          rule: 'grounding',
        },
        {
          field: 'summary',
          message: 'the name "CEO Margaret Okafor" does not occur in the source',
          rule: 'grounding',
        },
      ]);
    }
  });

  it('checks key points too, naming the one at fault', () => {
    const violations = summaryViolations(PARK, {
      summary: 'The council approved the park budget.',
      keyPoints: ['Construction starts in spring.', 'Mayor Jonas Berg opened it in 2021.'],
    });
    expect(violations.map((v) => [v.field, v.message])).toEqual([
      ['keyPoints.1', 'the number "2021" does not occur in the source'],
      ['keyPoints.1', 'the name "Mayor Jonas Berg" does not occur in the source'],
    ]);
  });

  it('compares numbers by value: separators, trailing zeros, percent signs and number words', () => {
    const ok = [
      'Revenue was 1200.5 million dollars.',
      'Revenue reached $1,200.50 million.',
      'Growth was 12 percent.',
      'The plant opens in 12 weeks.',
      'The dividend is 0.450 per share.',
    ];
    for (const summary of ok)
      expect(summaryViolations(REPORT, { summary, keyPoints: [summary] }), summary).toEqual([]);
    const bad = unsupportedClaims('Revenue was $1,300.50 and growth 13%.', indexSource(REPORT));
    expect(bad.map((c) => c.text)).toEqual(['$1,300.50', '13%']);
  });

  it('compares dates as dates, in any notation', () => {
    const source = indexSource(REPORT);
    for (const claim of [
      'on 5 March 2024',
      'on 2024-03-05',
      'on March 5',
      'payable 5 June 2024',
      'payable 2024-05-06',
    ])
      expect(unsupportedClaims(claim, source), claim).toEqual([]);
    expect(unsupportedClaims('on March 6, 2024', source).map((c) => c.kind)).toEqual(['date']);
    expect(unsupportedClaims('on 2023-02-28', source).map((c) => c.kind)).toEqual(['date']);
  });

  it('checks names case-insensitively, skips sentence-initial and common capitalised words', () => {
    const source = indexSource(REPORT);
    for (const claim of [
      'Revenue rose. The Berlin plant opens soon.',
      'According to dana whitfield, ACME CORP grew.',
      "Whitfield's plan: Acme Corp's plant in Berlin.",
      'However, In Q3 the board met.',
      'Profits rose.',
    ])
      expect(unsupportedClaims(claim, source), claim).toEqual([]);
    expect(unsupportedClaims('The plant is in Munich.', source).map((c) => c.text)).toEqual([
      'Munich',
    ]);
    expect(unsupportedClaims('Jonas Berg said so.', source).map((c) => c.text)).toEqual([
      'Jonas Berg',
    ]);
    // A lone capitalised word opening a sentence is just capitalisation.
    expect(unsupportedClaims('Munich is far. Meanwhile profits rose.', source)).toEqual([]);
  });

  it('extracts claims and number readings as documented', () => {
    expect(
      extractClaims('Dr. Alvarez of the U.S. Energy Department said 3.5% on 5 Mar 2024.'),
    ).toEqual([
      { kind: 'date', text: '5 Mar 2024' },
      { kind: 'number', text: '3.5%' },
      { kind: 'name', text: 'Dr. Alvarez' },
      { kind: 'name', text: 'U.S. Energy Department' },
    ]);
    expect(numberReadings('1,200')).toEqual(['1200', '1.2']);
    expect(numberReadings('1.234,56')).toEqual(['1234.56']);
    expect(numberReadings('$0.30')).toEqual(['0.3']);
  });
});

describe('summarize rule: summary-within-max-words', () => {
  const rule = summarize.rules![0]!;

  it('re-asks when the summary is over maxWords', () => {
    expect(rule.id).toBe('summary-within-max-words');
    expect(rule.action).toBe('re-ask');
    const input = summarize.input.parse({ text: PARK, maxWords: 10 });
    const ten = 'one two three four five six seven eight nine ten';
    expect(rule.check({ summary: ten, keyPoints: ['x'] }, input, CTX)).toEqual([]);
    expect(rule.check({ summary: `${ten} eleven`, keyPoints: ['x'] }, input, CTX)).toEqual([
      {
        field: 'summary',
        message: 'the summary has 11 words, more than the maximum of 10',
        rule: 'summary-within-max-words',
      },
    ]);
  });

  it('never fires on the extractive summariser', () => {
    for (const text of TEXTS)
      for (const maxWords of [10, 25, 60, 200]) {
        const input = summarize.input.parse({ text, maxWords });
        expect(rule.check(summarizeExtractive(input), input, CTX)).toEqual([]);
      }
  });
});

const TICKETS: Array<[string, string]> = [
  ['Refund', 'I was charged twice for my subscription'],
  ['Double charge on my card', 'My bank statement shows two identical transactions this month.'],
  ['Webhook not firing', 'Our webhook stopped working after we rotated the secret.'],
  [
    'API timeout',
    'Requests to the /v2/orders endpoint time out after 30 seconds. Timeout every time.',
  ],
  ['', "The login page doesn't load at all, just a white screen."],
  ['Locked out', 'I am locked out of my account after too many attempts.'],
  ['', 'I cant log in even though my password is correct.'],
  ['Question', 'This is not a billing question: the export crashes with an error.'],
  ['Pricing', 'Do you offer a discount for nonprofits or an annual pricing option?'],
  ['Hello', 'Just wanted to say hi.'],
  ['Charges', 'Two charges appeared, and the app STOPS WORKING when I open the invoice.'],
  ['Help', 'I am locked out. My password reset goes to jane.doe+billing@example.com.'],
];

describe('classify-ticket grounding', () => {
  it.each(TICKETS)("passes the lexicon's own rationale: %s | %s", (subject, body) => {
    const output = classifyTicketLexicon({ subject, body });
    expect(classifyTicketGrounding(output, { subject, body })).toEqual([]);
  });

  it("catches the mock's fabricated quoted term", () => {
    const [subject, body] = TICKETS[0]!;
    const output = classifyTicketLexicon({ subject, body });
    const rationale = `${output.rationale} The customer cites "${INJECTED.fabricatedTerm}".`;
    expect(classifyTicketGrounding({ ...output, rationale }, { subject, body })).toEqual([
      {
        field: 'rationale',
        message: `the quoted phrase "${INJECTED.fabricatedTerm}" is not found in the ticket`,
        rule: 'grounding',
      },
    ]);
  });

  it('accepts curly quotes, case and punctuation differences; ignores unquoted text', () => {
    const ticket = { subject: 'Refund', body: 'My card was charged twice — please help!' };
    const ok = (rationale: string): Violation[] =>
      classifyTicketGrounding({ category: 'BILLING', confidence: 0.9, rationale }, ticket);
    expect(ok('Mentions “Charged Twice” and "please help".')).toEqual([]);
    expect(ok('Looks like a duplicate payment.')).toEqual([]);
    expect(ok('Mentions “a chargeback”.')).toHaveLength(1);
    expect(quotedPhrases('a "b" c “d e” "f')).toEqual(['b', 'd e']);
  });
});

describe('classify-ticket rule: confidence-at-least-tenant-minimum', () => {
  const rule = classifyTicket.rules![0]!;
  const input = classifyTicket.input.parse({ subject: 'Refund', body: 'Charged twice' });

  it('moves on to the next candidate below the tenant minimum', () => {
    expect(rule.id).toBe('confidence-at-least-tenant-minimum');
    expect(rule.action).toBe('next');
    const out = (confidence: number) => ({
      category: 'BILLING' as const,
      confidence,
      rationale: 'r',
    });
    expect(rule.check(out(0.5), input, CTX)).toEqual([]);
    expect(rule.check(out(0.49), input, CTX)).toEqual([
      expect.objectContaining({ field: 'confidence', rule: 'confidence-at-least-tenant-minimum' }),
    ]);
    expect(rule.check(out(0.49), input, { ...CTX, minConfidence: 0.3 })).toEqual([]);
    expect(rule.check(out(0.49), input, CTX)[0]?.message).toMatch(/confidence/);
  });
});

/** What the mock upstream answers for `task` under `fault`, as Keel would receive it. */
function mockAnswer(taskName: string, input: unknown, fault?: ContentFault): any {
  const task = findTask(taskName)!;
  const prompt = task.prompt.render(task.input.parse(input));
  return buildReply(taskName.replace(/-/g, '_'), prompt, fault).json;
}

interface Verdict {
  rules: string[];
  grounding: string[];
}
function verdict(taskName: string, input: unknown, output: unknown): Verdict {
  const task = TASKS[taskName]!;
  const parsedInput = task.input.parse(input);
  const parsed = task.output.parse(output);
  return {
    rules: (task.rules ?? [])
      .flatMap((r) => r.check(parsed, parsedInput, CTX))
      .map((v) => `${v.rule} ${v.field}`),
    grounding: (task.grounding?.(parsed, parsedInput) ?? []).map((v) => v.field),
  };
}

const INPUTS: Record<string, unknown> = Object.fromEntries(
  Object.values(TASKS).map((t) => [t.name, t.example]),
);

describe('mock upstream content faults meet the layer meant to catch them', () => {
  it.each(Object.keys(INPUTS))('%s: the ok answer passes rules and grounding', (name) => {
    expect(verdict(name, INPUTS[name], mockAnswer(name, INPUTS[name]))).toEqual({
      rules: [],
      grounding: [],
    });
  });

  it.each([
    ['summarize', ['summary-within-max-words summary']],
    ['classify-ticket', ['confidence-at-least-tenant-minimum confidence']],
    ['extract-invoice', ['total-is-sum-of-amounts total']],
    ['answer', ['answer-has-citations citations']],
    ['suggest-discount', []], // 60% is within a 100% maximum; see the clamp test below
  ])('rule-violation on %s breaks the rules, not the grounding', (name, rules) => {
    const output = mockAnswer(name, INPUTS[name], 'rule-violation');
    const v = verdict(name, INPUTS[name], output);
    expect(v.grounding).toEqual([]);
    if (name === 'suggest-discount') {
      expect(output.discountPercent).toBe(60);
      expect(TASKS[name]!.rules![0]!.check(output, INPUTS[name], CTX)).toHaveLength(1);
    } else expect(v.rules).toEqual(rules);
  });

  it('rule-violation on classify-ticket is a 0.2 "guess"', () => {
    expect(mockAnswer('classify-ticket', INPUTS['classify-ticket'], 'rule-violation')).toEqual({
      category: 'OTHER',
      confidence: 0.2,
      rationale: 'Just a guess; nothing in the ticket decides it.',
    });
  });

  it.each([
    ['summarize', ['summary', 'summary']],
    ['classify-ticket', ['rationale']],
    ['extract-invoice', ['vendor']],
    ['answer', ['citations.0.quote', 'citations.1.documentId']],
  ])('fabricated-citation on %s is caught by grounding', (name, fields) => {
    const output = mockAnswer(name, INPUTS[name], 'fabricated-citation');
    expect(verdict(name, INPUTS[name], output)).toEqual({ rules: [], grounding: fields });
  });

  it('fabricated-citation on answer: the injected quote and the missing document', () => {
    const output = mockAnswer('answer', INPUTS['answer'], 'fabricated-citation');
    expect(output.citations[0].quote).toBe(INJECTED.fabricatedQuote);
    expect(output.citations[1]).toEqual({
      documentId: INJECTED.missingDocumentId,
      quote: INJECTED.fabricatedQuote,
    });
    expect(
      mockAnswer('extract-invoice', INPUTS['extract-invoice'], 'fabricated-citation').vendor,
    ).toBe(INJECTED.fabricatedVendor);
  });

  it.each([
    ['answer', (o: any) => o.answer],
    ['suggest-discount', (o: any) => o.reason],
    ['extract-invoice', (o: any) => o.lineItems[0].description],
    ['summarize', (o: any) => o.summary],
    ['classify-ticket', (o: any) => o.rationale],
  ])('pii-output and toxic-output on %s are planted in the main text field', (name, field) => {
    const pii = mockAnswer(name, INPUTS[name], 'pii-output');
    expect(field(pii)).toContain(INJECTED.email);
    expect(TASKS[name]!.output.safeParse(pii).success).toBe(true);
    const toxic = mockAnswer(name, INPUTS[name], 'toxic-output');
    expect(field(toxic)).toContain(INJECTED.profanity);
    expect(TASKS[name]!.output.safeParse(toxic).success).toBe(true);
  });

  it('every content fault yields schema-valid JSON or none at all, for every task', () => {
    for (const name of Object.keys(INPUTS))
      for (const fault of CONTENT_FAULTS) {
        const json = mockAnswer(name, INPUTS[name], fault);
        if (json !== undefined)
          expect(TASKS[name]!.output.safeParse(json).success, `${name} ${fault}`).toBe(true);
      }
  });

  it('recognises an invoice by its input shape when no schema is named (JSON mode)', () => {
    const task = TASKS['extract-invoice']!;
    const prompt = task.prompt.render(task.input.parse(INPUTS['extract-invoice']));
    const reply = buildReply(undefined, prompt);
    expect(reply.json).toMatchObject({ vendor: 'Acme Supplies Ltd' });
  });
});
