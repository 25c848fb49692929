/**
 * Plain-text invoice extractor behind the built-in `local` provider for `extract-invoice`.
 * Labels and line shapes, no model: deterministic, and bundled into workflow code (no I/O, no
 * clock, no randomness).
 *
 * Decisions worth knowing:
 * - Vendor: a `From:`/`Vendor:`/`Seller:` label, else the first line that is not a heading
 *   ("INVOICE") or a labelled field.
 * - Date: the first date labelled as the issue date, else the first date not labelled as a due
 *   date. `05/03/2024` is day-first (5 March) unless the invoice is in US dollars (a `$` or
 *   `USD`), where it is month-first (May 3); dotted dates (`05.03.2024`) are always day-first.
 *   A part above 12 settles it either way.
 * - Currency: a `Currency:` label, else the ISO code written most often next to an amount, else
 *   the most frequent symbol ($ USD, € EUR, £ GBP, ¥ JPY, ₹ INR; `C$`, `A$`... by prefix), else USD.
 * - Amounts: `1,234.56`, `1.234,56`, `1'234.56`; a single `.` is a decimal point and a single
 *   `,` before exactly three digits groups thousands (`1,200` = 1200, `12,50` = 12.5).
 * - Line items: the numbers at the end of a line (`Widget A  2 x 15.00  30.00`,
 *   `2  Widget A  @ 15.00  30.00`, `| Widget A | 2 | 15.00 | 30.00 |`), read by a table header
 *   when there is one (`Qty`, `Unit price`, `Amount`), else by markers (`x`, `@`, `=`, `hrs`) and
 *   position. Tax, shipping and fees become items of quantity 1, so the amounts add up to the
 *   grand total. Discounts, credits and payments are skipped: the schema has no negative line.
 *   When a line's amount is not quantity × unit price, the amount (what is billed) wins and the
 *   unit price is derived from it.
 * - Total: the items' sum. A stated total ("Grand total", "Total", "Amount due"; never
 *   "Subtotal") is trusted only when it equals that sum: otherwise a line was missed or misread,
 *   and the sum is the figure the line items vouch for. With no line items, the stated total
 *   becomes a single line.
 * - Missing fields: invoice number `UNKNOWN` and date `0000-00-00` (and, for text with no usable
 *   line, vendor `Unknown vendor`), which the grounding check and the `date-is-real` rule then
 *   flag: the output always fits the schema, and a degraded answer never passes silently.
 */
import { findDates, formatDate, type DateMention } from './dates';
import { isIso4217 } from './iso-4217';
import { readLineItems, round, type InvoiceLineItem } from './invoice-lines';

export type { InvoiceLineItem } from './invoice-lines';
export { parseAmount } from './invoice-lines';

export interface InvoiceText {
  text: string;
}

export interface ExtractedInvoice {
  vendor: string;
  invoiceNumber: string;
  date: string;
  currency: string;
  lineItems: InvoiceLineItem[];
  total: number;
}

export const MISSING_INVOICE_NUMBER = 'UNKNOWN';
export const MISSING_DATE = '0000-00-00';
const MAX_VENDOR_CHARS = 200;
const MAX_ITEMS = 200;

const VENDOR_LABEL =
  /^\s*(?:from|vendor|seller|supplier|sold\s+by|bill(?:ed)?\s+from|issued\s+by|payee|company(?:\s+name)?)\s*[:–-]\s*(\S.*)$/im;
const HEADING =
  /^\W*(?:(?:tax|commercial|pro-?forma|sales|vat)\s+)?(?:invoice|bill|receipt|statement|quote|estimate)\b/i;
const FIELD_LABEL = /^\s*[\p{L}][\p{L} .#/]{0,30}:/u;
const INVOICE_NUMBER = [
  /\b(?:invoice|inv|bill|receipt|rechnung|facture|factura|fattura)\.?\s*(?:#|no\.?|nr\.?|number|num\.?|n°|n\.?º|№|id)\s*[:.#]?\s*#?\s*([A-Z0-9][A-Z0-9/._-]*)/gi,
  /\b(?:invoice|inv)\s*#?\s*:\s*#?\s*([A-Z0-9][A-Z0-9/._-]*)/gi,
  /\b(INV[-/_]?\d[A-Z0-9/_-]*)/gi,
  /\binvoice\s+#?([A-Z]*\d[A-Z0-9/_-]*)/gi,
];
const ISSUE_LABEL = /\b(?:invoice\s+date|date\s+of\s+issue|issue\s+date|issued|dated|date)\b/i;
const DUE_LABEL = /\b(?:due|pay(?:able)?\s+by|expires?|valid\s+until)\b/i;

const SYMBOLS: ReadonlyArray<[RegExp, string]> = [
  [/US\$/g, 'USD'],
  [/(?:CA|C)\$/g, 'CAD'],
  [/(?:AU|A)\$/g, 'AUD'],
  [/NZ\$/g, 'NZD'],
  [/HK\$/g, 'HKD'],
  [/S\$/g, 'SGD'],
  [/R\$/g, 'BRL'],
  [/(?<![A-Z])\$/g, 'USD'],
  [/€/g, 'EUR'],
  [/£/g, 'GBP'],
  [/¥/g, 'JPY'],
  [/₹/g, 'INR'],
];
const COMMON_CODES =
  /\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|CNY|HKD|SGD|ZAR|BRL|MXN)\b/g;

const nonEmptyLines = (text: string): string[] =>
  text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');

/** The first cell of a line: columns are separated by tabs, pipes or runs of spaces. */
const firstCell = (line: string): string =>
  (
    line
      .trim()
      .replace(/^\|+/, '')
      .split(/\s*[|\t]\s*|\s{2,}|\s+[–—]\s+/)[0] ?? ''
  )
    .replace(/[\s,;:]+$/, '')
    .trim();

function findVendor(text: string): string {
  const labelled = VENDOR_LABEL.exec(text)?.[1];
  // An e-mail header ("From: Billing <billing@…>") names a mailbox, not the vendor.
  if (labelled !== undefined && !labelled.includes('@')) {
    const name =
      firstCell(labelled)
        .split(/,\s*(?=\d)/)[0]
        ?.trim() ?? '';
    if (/\p{L}/u.test(name)) return name.slice(0, MAX_VENDOR_CHARS);
  }
  const lines = nonEmptyLines(text);
  const named = lines.find(
    (l) =>
      !HEADING.test(l) &&
      !FIELD_LABEL.test(l) &&
      !/\b(?:total|amount|balance)\b/i.test(l) &&
      /\p{L}{2}/u.test(firstCell(l)),
  );
  const vendor = firstCell(named ?? lines[0] ?? '') || (lines[0] ?? '').trim();
  return vendor.slice(0, MAX_VENDOR_CHARS) || 'Unknown vendor';
}

function findInvoiceNumber(text: string): string {
  for (const pattern of INVOICE_NUMBER) {
    for (const m of text.matchAll(pattern)) {
      const value = m[1]?.replace(/[._/-]+$/, '');
      if (value !== undefined && /\d/.test(value)) return value;
    }
  }
  return MISSING_INVOICE_NUMBER;
}

function mostFrequent(counts: Map<string, number>): string | undefined {
  let best: [string, number] | undefined;
  for (const entry of counts) if (best === undefined || entry[1] > best[1]) best = entry;
  return best?.[0];
}

/** The currency and whether the text itself said so (a default USD is not evidence). */
export function findCurrency(text: string): { code: string; stated: boolean } {
  const label = /\bcurrency\s*[:-]?\s*([A-Za-z]{3})\b/i.exec(text)?.[1]?.toUpperCase();
  if (label !== undefined && isIso4217(label)) return { code: label, stated: true };
  const near = new Map<string, number>();
  for (const m of text.matchAll(/\b([A-Z]{3})\s?[-(]?\d|\d\s?([A-Z]{3})\b/g)) {
    const code = m[1] ?? m[2] ?? '';
    if (isIso4217(code)) near.set(code, (near.get(code) ?? 0) + 1);
  }
  const bySymbol = new Map<string, number>();
  let rest = text;
  for (const [pattern, code] of SYMBOLS) {
    const hits = rest.match(pattern)?.length ?? 0;
    if (hits > 0) bySymbol.set(code, (bySymbol.get(code) ?? 0) + hits);
    rest = rest.replace(pattern, ' ');
  }
  const anywhere = new Map<string, number>();
  for (const m of text.matchAll(COMMON_CODES)) anywhere.set(m[1]!, (anywhere.get(m[1]!) ?? 0) + 1);
  const code = mostFrequent(near) ?? mostFrequent(bySymbol) ?? mostFrequent(anywhere);
  return code === undefined ? { code: 'USD', stated: false } : { code, stated: true };
}

function findDate(text: string, usDollars: boolean): string {
  const dated = findDates(text).filter((d) => d.readings.every((r) => r.year !== undefined));
  const labelOf = (d: DateMention): string => {
    const lineStart = text.lastIndexOf('\n', d.index - 1) + 1;
    const previous = dated.filter((p) => p.end <= d.index && p.end > lineStart).pop();
    return text.slice(previous?.end ?? lineStart, d.index);
  };
  const rank = (d: DateMention): number => {
    const label = labelOf(d);
    if (DUE_LABEL.test(label)) return 2;
    return ISSUE_LABEL.test(label) ? 0 : 1;
  };
  const best = [...dated].sort((a, b) => rank(a) - rank(b) || a.index - b.index)[0];
  if (best === undefined) return MISSING_DATE;
  const monthFirst = best.ambiguous && usDollars && best.separator === '/';
  const reading = (monthFirst ? best.readings[1] : best.readings[0]) ?? best.readings[0];
  return reading ? formatDate(reading) : MISSING_DATE;
}

export function extractInvoicePlainText(input: InvoiceText): ExtractedInvoice {
  const { text } = input;
  const currency = findCurrency(text);
  const { items, totals } = readLineItems(text);
  const lineItems = items.slice(0, MAX_ITEMS);
  const sum = round(lineItems.reduce((s, i) => s + i.amount, 0));
  // Highest priority first; among equals the last one written (grand totals come last).
  const stated = [...totals].reverse().sort((a, b) => b.priority - a.priority)[0]?.value;
  if (lineItems.length === 0) {
    const total = stated !== undefined && stated >= 0 ? stated : 0;
    lineItems.push({ description: 'Invoice total', quantity: 1, unitPrice: total, amount: total });
  }
  return {
    vendor: findVendor(text),
    invoiceNumber: findInvoiceNumber(text),
    date: findDate(text, currency.stated && currency.code === 'USD'),
    currency: currency.code,
    lineItems,
    total: items.length > 0 ? sum : (lineItems[0]?.amount ?? 0),
  };
}
