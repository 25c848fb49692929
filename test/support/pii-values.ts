import type { PiiType } from '../../shared/guards/types';
import { TASKS } from '../../shared/tasks';

/**
 * PII values whose detectors are reliable, each in a sentence of the kind a customer writes: the
 * checksum types (cards, IBANs), e-mails, phones, SSNs, secrets, VAT and national ids, passports,
 * and the names and addresses the heuristic detectors find in these sentences (taken from
 * test/corpora/pii-realistic/tune.jsonl, where they are labelled). The leak tests look for each
 * value, as written, wherever an operator reads without the codec.
 */
export const PII: ReadonlyArray<{ type: PiiType; value: string; sentence: string }> = [
  {
    type: 'email',
    value: 'sam.lee@example.org',
    sentence: 'Write to sam.lee@example.org about it.',
  },
  {
    type: 'email',
    value: 'marta.kowalska@gmail.com',
    sentence: 'Reply to marta.kowalska@gmail.com please.',
  },
  { type: 'email', value: 'j.dupont@orange.fr', sentence: 'Contact j.dupont@orange.fr.' },
  { type: 'phone', value: '(512) 555-0187', sentence: 'Call me back at (512) 555-0187 today.' },
  { type: 'phone', value: '+1 415 555 0132', sentence: 'My number is +1 415 555 0132.' },
  { type: 'phone', value: '0044 161 496 0752', sentence: 'Ring 0044 161 496 0752 after 5.' },
  { type: 'phone', value: '+49 30 90182043', sentence: 'Tel. +49 30 90182043.' },
  {
    type: 'credit-card',
    value: '4111 1111 1111 1111',
    sentence: 'My card 4111 1111 1111 1111 was charged twice.',
  },
  {
    type: 'credit-card',
    value: '5500 0000 0000 0004',
    sentence: 'The card 5500 0000 0000 0004 was declined.',
  },
  { type: 'credit-card', value: '378282246310005', sentence: 'Amex 378282246310005 on file.' },
  {
    type: 'iban',
    value: 'DE89 3704 0044 0532 0130 00',
    sentence: 'Refund to IBAN DE89 3704 0044 0532 0130 00.',
  },
  {
    type: 'iban',
    value: 'GB82 WEST 1234 5698 7654 32',
    sentence: 'Account GB82 WEST 1234 5698 7654 32 please.',
  },
  {
    type: 'iban',
    value: 'FR1420041010050500013M02606',
    sentence: 'IBAN FR1420041010050500013M02606.',
  },
  { type: 'ssn', value: '536-22-1947', sentence: 'My SSN is 536-22-1947.' },
  {
    type: 'secret',
    value: 'sk-proj-Q3v8XkP2mZt7LwR9bN4cY6dF1hJ5sA0e',
    sentence: 'I pasted my key sk-proj-Q3v8XkP2mZt7LwR9bN4cY6dF1hJ5sA0e by mistake.',
  },
  {
    type: 'secret',
    value: 'AKIAIOSFODNN7EXAMPLE',
    sentence: 'AWS key AKIAIOSFODNN7EXAMPLE leaked.',
  },
  { type: 'vat-id', value: 'DE626018158', sentence: 'Our VAT id is DE626018158.' },
  {
    type: 'national-id',
    value: '2 49 03 06 831 240 54',
    sentence: 'Numéro INSEE 2 49 03 06 831 240 54.',
  },
  { type: 'passport', value: 'C01X00T47', sentence: 'Passport C01X00T47.' },
  {
    type: 'person-name',
    value: 'Sarah Connor',
    sentence: 'My name is Sarah Connor and my order never arrived.',
  },
  {
    type: 'person-name',
    value: 'Annegret Vogel',
    sentence: 'Please ask for Annegret Vogel at the desk.',
  },
  {
    type: 'street-address',
    value: '1428 Elm St, Apt 5B, Springfield, IL 62704',
    sentence: 'Ship the replacement to 1428 Elm St, Apt 5B, Springfield, IL 62704 please.',
  },
  {
    type: 'street-address',
    value: '27 Wellington Road, Stockport SK4 1AB',
    sentence: 'Send it to 27 Wellington Road, Stockport SK4 1AB.',
  },
];

/** Every sentence, one text. */
export const PII_TEXT = PII.map((p) => p.sentence).join(' ');

/**
 * Values the default policy replaces with placeholders before an external model: every type but
 * names and addresses, which are flagged, not rewritten (shared/policy/resolve-policy.ts).
 */
export const REDACTED_FOR_PROVIDERS: ReadonlySet<string> = new Set(
  PII.filter((p) => p.type !== 'person-name' && p.type !== 'street-address').map((p) => p.value),
);

/**
 * The values that appear in `text`, also with their spaces and dashes gone or JSON-escaped
 * (a card number written `4111111111111111`, a quote escaped inside a JSON string).
 */
export function leaked(text: string): string[] {
  const squeezed = text.replace(/[\s-]/g, '');
  return PII.map((p) => p.value).filter((v) => {
    if (text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1))) return true;
    const bare = v.replace(/[\s-]/g, '');
    return bare.length >= 9 && squeezed.includes(bare);
  });
}

/**
 * `text` with each base64-looking run decoded after it: Temporal Core's debug lines show payloads
 * as base64 (their first and last 32 bytes), which the text checks above would not see through.
 */
export function withBase64Decoded(text: string): string {
  const decoded = [...text.matchAll(/[A-Za-z0-9+/]{12,}={0,2}/g)].map((m) =>
    Buffer.from(m[0], 'base64').toString('utf8'),
  );
  return [text, ...decoded].join('\n');
}

/** Each task's example input (shared/tasks) with the PII sentences in its free text. */
export function taskInputs(): Record<string, unknown> {
  const inputs: Record<string, unknown> = {
    'classify-ticket': { subject: 'Refund for Sarah Connor', body: PII_TEXT },
    summarize: { text: `${PII_TEXT} We will refund the order this week.`, maxWords: 60 },
    'extract-invoice': {
      text: [
        'Acme Supplies Ltd',
        '12 Harbour Road, Bristol',
        'Invoice No: INV-2024-0042',
        'Invoice date: 5 March 2024',
        ...PII.map((p) => p.sentence),
        '',
        'Description        Qty   Unit price   Amount',
        'Copy paper A4        10       £4.50     £45.00',
        'Toner cartridge       2      £62.00    £124.00',
        'VAT 20%                                 £33.80',
        '',
        'Total due: £202.80',
      ].join('\n'),
    },
    answer: {
      question: `How long until my refund appears? ${PII[0]!.sentence}`,
      documents: [
        { id: 'ticket', text: PII_TEXT },
        {
          id: 'refund-policy',
          text: 'Refunds usually take 5 to 10 business days to appear on your statement.',
        },
      ],
    },
    'suggest-discount': {
      customer: { tenureMonths: 26, plan: 'pro', monthlySpend: 640, churnRisk: 'high' },
      context: PII_TEXT,
    },
  };
  // A task added to TASKS without an input here fails the test rather than going unchecked.
  for (const name of Object.keys(TASKS))
    if (!(name in inputs)) throw new Error(`no PII input for task ${name}`);
  return inputs;
}
