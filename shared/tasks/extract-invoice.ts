import { z } from 'zod';
import { defineTask, renderInput, type BusinessRule, type Violation } from './task-definition';
import { extractInvoicePlainText } from './local/invoice-extract';
import { isRealDate, parseIsoDate, MAX_YEAR, MIN_YEAR } from './local/dates';
import { isIso4217 } from './local/iso-4217';
import { createQuoteMatcher, excerpt } from './grounding';

/** Longest invoice text accepted, in characters. */
export const INVOICE_MAX_TEXT_CHARS = 50_000;
/** Money compares to the cent. */
const CENT = 0.01 + 1e-9;

export const ExtractInvoiceInput = z
  .object({
    text: z
      .string()
      .trim()
      .min(1)
      .max(INVOICE_MAX_TEXT_CHARS)
      .describe('The invoice as plain text (from a PDF, an e-mail or OCR).'),
  })
  .strict();

export const InvoiceLineItem = z
  .object({
    description: z.string().min(1).max(500),
    quantity: z.number().positive(),
    unitPrice: z.number().min(0),
    amount: z.number().describe('quantity × unitPrice, to the cent.'),
  })
  .strict();

export const ExtractInvoiceOutput = z
  .object({
    vendor: z.string().min(1).max(200).describe('Who issued the invoice, as written in it.'),
    invoiceNumber: z.string().min(1).max(100).describe('As written in the invoice.'),
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .describe('Issue date, YYYY-MM-DD.'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .describe('ISO 4217 code, e.g. EUR.'),
    lineItems: z.array(InvoiceLineItem).min(1).max(200),
    total: z.number().describe('The sum of the line amounts, to the cent.'),
  })
  .strict();

type Input = z.output<typeof ExtractInvoiceInput>;
type Output = z.output<typeof ExtractInvoiceOutput>;

const violation = (rule: string, field: string, message: string): Violation => ({
  field,
  message,
  rule,
});

export const INVOICE_RULES: ReadonlyArray<BusinessRule<Input, Output>> = [
  {
    id: 'amount-is-qty-times-price',
    description: 'Each line amount is its quantity times its unit price, to the cent.',
    action: 're-ask',
    check: (output) =>
      output.lineItems.flatMap((item, i) => {
        const expected = item.quantity * item.unitPrice;
        return Math.abs(item.amount - expected) <= CENT
          ? []
          : [
              violation(
                'amount-is-qty-times-price',
                `lineItems.${i}.amount`,
                `amount ${item.amount} is not quantity ${item.quantity} × unit price ${item.unitPrice} (${Math.round(expected * 100) / 100})`,
              ),
            ];
      }),
  },
  {
    id: 'total-is-sum-of-amounts',
    description: 'The total is the sum of the line amounts, to the cent.',
    action: 're-ask',
    check: (output) => {
      const sum = output.lineItems.reduce((s, item) => s + item.amount, 0);
      return Math.abs(output.total - sum) <= CENT
        ? []
        : [
            violation(
              'total-is-sum-of-amounts',
              'total',
              `total ${output.total} is not the sum of the line amounts (${Math.round(sum * 100) / 100})`,
            ),
          ];
    },
  },
  {
    id: 'currency-iso-4217',
    description: 'The currency is an ISO 4217 code.',
    action: 're-ask',
    check: (output) =>
      isIso4217(output.currency)
        ? []
        : [
            violation(
              'currency-iso-4217',
              'currency',
              `"${excerpt(output.currency, 10)}" is not an ISO 4217 currency code`,
            ),
          ],
  },
  {
    id: 'date-is-real',
    description: `The date is a real calendar date between ${MIN_YEAR} and ${MAX_YEAR}.`,
    action: 're-ask',
    check: (output) => {
      const date = parseIsoDate(output.date);
      return date !== undefined && isRealDate(date)
        ? []
        : [
            violation(
              'date-is-real',
              'date',
              `"${excerpt(output.date, 20)}" is not a real calendar date between ${MIN_YEAR} and ${MAX_YEAR}`,
            ),
          ];
    },
  },
];

/** The vendor and the invoice number must be read from the text, not made up. */
export function extractInvoiceGrounding(output: Output, input: Input): Violation[] {
  const inText = createQuoteMatcher(input.text);
  return (['vendor', 'invoiceNumber'] as const)
    .filter((field) => !inText(output[field]))
    .map((field) =>
      violation(
        'grounding',
        field,
        `${field} "${excerpt(output[field])}" does not occur in the invoice`,
      ),
    );
}

export const extractInvoice = defineTask({
  name: 'extract-invoice',
  description: 'Extract vendor, number, date, currency, line items and total from an invoice.',
  input: ExtractInvoiceInput,
  output: ExtractInvoiceOutput,
  prompt: {
    version: 'extract-invoice@1',
    system:
      'You extract structured data from invoices. Answer with JSON: {"vendor": string, ' +
      '"invoiceNumber": string, "date": "YYYY-MM-DD", "currency": string, "lineItems": ' +
      '[{"description": string, "quantity": number, "unitPrice": number, "amount": number}], ' +
      '"total": number}. Rules: copy the vendor name and the invoice number exactly as written ' +
      'in the invoice; the date is the issue date (not the due date) and must be a real date; ' +
      'the currency is an ISO 4217 code such as USD or EUR; every amount equals quantity times ' +
      'unit price; list tax, shipping and fees as their own line items with quantity 1, so the ' +
      'amounts add up to the total; the total is the sum of the amounts, to the cent. Numbers ' +
      'are plain JSON numbers, without currency symbols or thousands separators.',
    render: (input) => `Extract the invoice in <input> as JSON.\n\n${renderInput(input)}`,
  },
  envelope: { fastMs: 3_000, maxSyncMs: 15_000, hardTimeoutMs: 60_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  maxOutputTokens: 2048,
  fallback: (input) => extractInvoicePlainText(input),
  rules: INVOICE_RULES,
  grounding: extractInvoiceGrounding,
  example: {
    text: [
      'Acme Supplies Ltd',
      '12 Harbour Road, Bristol',
      'Invoice No: INV-2024-0042',
      'Invoice date: 5 March 2024',
      '',
      'Description        Qty   Unit price   Amount',
      'Copy paper A4        10       £4.50     £45.00',
      'Toner cartridge       2      £62.00    £124.00',
      'VAT 20%                                 £33.80',
      '',
      'Total due: £202.80',
    ].join('\n'),
  },
});
