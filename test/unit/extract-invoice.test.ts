import { describe, expect, it } from 'vitest';
import {
  ExtractInvoiceOutput,
  INVOICE_RULES,
  extractInvoice,
  extractInvoiceGrounding,
} from '../../shared/tasks/extract-invoice';
import {
  MISSING_DATE,
  MISSING_INVOICE_NUMBER,
  extractInvoicePlainText,
  findCurrency,
  parseAmount,
  type ExtractedInvoice,
} from '../../shared/tasks/local/invoice-extract';
import type { RuleContext, Violation } from '../../shared/tasks';

const CTX: RuleContext = { maxDiscountPercent: 30, minConfidence: 0.5 };
type Item = [description: string, quantity: number, unitPrice: number, amount: number];
interface Case {
  name: string;
  text: string;
  expect: Omit<ExtractedInvoice, 'lineItems'> & { lineItems: Item[] };
}

const CASES: Case[] = [
  {
    name: 'UK supplier: labelled fields, £ amounts, VAT as a line',
    text: `Acme Supplies Ltd
12 Harbour Road, Bristol BS1 4QA
VAT No: GB 123 4567 89

INVOICE
Invoice No: INV-2024-0042
Invoice date: 5 March 2024
Due date: 4 April 2024

Description        Qty   Unit price   Amount
Copy paper A4        10       £4.50     £45.00
Toner cartridge       2      £62.00    £124.00

Subtotal                              £169.00
VAT 20%                                £33.80
Total due                             £202.80`,
    expect: {
      vendor: 'Acme Supplies Ltd',
      invoiceNumber: 'INV-2024-0042',
      date: '2024-03-05',
      currency: 'GBP',
      lineItems: [
        ['Copy paper A4', 10, 4.5, 45],
        ['Toner cartridge', 2, 62, 124],
        ['VAT 20%', 1, 33.8, 33.8],
      ],
      total: 202.8,
    },
  },
  {
    name: 'US freelancer: "1 x $1,200.00" lines, month-name date',
    text: `Jane Park Design Studio
415 Market Street, San Francisco, CA 94105

Invoice #1047
Date: March 5, 2024

Logo design 1 x $1,200.00 $1,200.00
Business card layout 2 x $150.00 $300.00
Brand guidelines PDF 1 x $450.00 $450.00

Total: $1,950.00
Payment due within 30 days.`,
    expect: {
      vendor: 'Jane Park Design Studio',
      invoiceNumber: '1047',
      date: '2024-03-05',
      currency: 'USD',
      lineItems: [
        ['Logo design', 1, 1200, 1200],
        ['Business card layout', 2, 150, 300],
        ['Brand guidelines PDF', 1, 450, 450],
      ],
      total: 1950,
    },
  },
  {
    name: 'German vendor: bilingual header, position column, decimal commas, dotted date',
    text: `Müller & Söhne GmbH
Hauptstraße 5, 80331 München

Rechnung / Invoice Nr. RE-2023-118
Datum / Date: 14.11.2023

Pos  Beschreibung / Description      Menge / Qty   Preis / Price   Betrag / Amount
1    Beratung (Stunden)              8             95,00           760,00
2    Reisekosten                     1             120,50          120,50

Gesamtbetrag / Total EUR 880,50`,
    expect: {
      vendor: 'Müller & Söhne GmbH',
      invoiceNumber: 'RE-2023-118',
      date: '2023-11-14',
      currency: 'EUR',
      lineItems: [
        ['Beratung (Stunden)', 8, 95, 760],
        ['Reisekosten', 1, 120.5, 120.5],
      ],
      total: 880.5,
    },
  },
  {
    name: 'Markdown pipe table with a Vendor label and shipping as a row',
    text: `INVOICE
Vendor: Northwind Traders
Invoice Number: NW-55821
Invoice Date: 2024-01-31

| Item | Qty | Unit Price | Amount |
|------|-----|------------|--------|
| Chai tea (box) | 12 | 18.00 | 216.00 |
| Chef Anton's Cajun seasoning | 5 | 22.00 | 110.00 |
| Shipping | 1 | 25.00 | 25.00 |

Grand Total: USD 351.00`,
    expect: {
      vendor: 'Northwind Traders',
      invoiceNumber: 'NW-55821',
      date: '2024-01-31',
      currency: 'USD',
      lineItems: [
        ['Chai tea (box)', 12, 18, 216],
        ["Chef Anton's Cajun seasoning", 5, 22, 110],
        ['Shipping', 1, 25, 25],
      ],
      total: 351,
    },
  },
  {
    name: 'Tab-separated export with thousands separators and a Currency label',
    text: [
      'Globex Corporation',
      'Invoice No. 2024/0193',
      'Issue date: 2024-06-12',
      'Currency: CAD',
      '',
      'Description\tQuantity\tRate\tLine total',
      'Annual platform licence\t1\t12,000.00\t12,000.00',
      'Premium support seats\t25\t96.00\t2,400.00',
      'Onboarding workshop\t2\t1,250.00\t2,500.00',
      '',
      'Total amount due\t16,900.00',
    ].join('\n'),
    expect: {
      vendor: 'Globex Corporation',
      invoiceNumber: '2024/0193',
      date: '2024-06-12',
      currency: 'CAD',
      lineItems: [
        ['Annual platform licence', 1, 12000, 12000],
        ['Premium support seats', 25, 96, 2400],
        ['Onboarding workshop', 2, 1250, 2500],
      ],
      total: 16900,
    },
  },
  {
    name: 'Quantity first with "@ price", sales tax, US dollars so 03/11 is March 11',
    text: `Bob's Hardware
From: Bob's Hardware, 88 Elm St, Dayton OH
Invoice #: 2024-0311
Date: 03/11/2024

2  Claw hammer  @ 15.00  30.00
3  Box of screws (200)  @ 7.50  22.50
1  Tape measure 5m  @ 12.99  12.99

Sales tax 7%  4.63
TOTAL $70.12`,
    expect: {
      vendor: "Bob's Hardware",
      invoiceNumber: '2024-0311',
      date: '2024-03-11',
      currency: 'USD',
      lineItems: [
        ['Claw hammer', 2, 15, 30],
        ['Box of screws (200)', 3, 7.5, 22.5],
        ['Tape measure 5m', 1, 12.99, 12.99],
        ['Sales tax 7%', 1, 4.63, 4.63],
      ],
      total: 70.12,
    },
  },
  {
    name: 'French bakery: euros after the amount, so 05/03/2024 is 5 March',
    text: `Boulangerie Dupont SARL
Facture / Invoice n° F-00981
Date: 05/03/2024

Croissants au beurre    40 x 1,10 €    44,00 €
Pain de campagne        12 x 3,50 €    42,00 €
Livraison               1 x 8,00 €      8,00 €

Total TTC: 94,00 €`,
    expect: {
      vendor: 'Boulangerie Dupont SARL',
      invoiceNumber: 'F-00981',
      date: '2024-03-05',
      currency: 'EUR',
      lineItems: [
        ['Croissants au beurre', 40, 1.1, 44],
        ['Pain de campagne', 12, 3.5, 42],
        ['Livraison', 1, 8, 8],
      ],
      total: 94,
    },
  },
  {
    name: 'Hourly consulting: "12 hrs @ 140.00"; a stated total that disagrees loses to the sum',
    text: `Orbit Analytics LLC
Invoice INV-9931
Invoice date: 2 Feb 2024

Data pipeline review 12 hrs @ 140.00 1,680.00
Dashboard build 20 hrs @ 120.00 2,400.00

Total: 4,100.00`,
    expect: {
      vendor: 'Orbit Analytics LLC',
      invoiceNumber: 'INV-9931',
      date: '2024-02-02',
      currency: 'USD',
      lineItems: [
        ['Data pipeline review', 12, 140, 1680],
        ['Dashboard build', 20, 120, 2400],
      ],
      total: 4080,
    },
  },
  {
    name: 'Japanese yen without decimals in a space-aligned table',
    text: `Sakura Print Co.
Invoice No: SP-7781
Date: 2024-04-01

Item                Qty    Unit Price    Amount
Flyers A5           500    ¥40           ¥20,000
Posters B2          20     ¥1,500        ¥30,000

Total               ¥50,000`,
    expect: {
      vendor: 'Sakura Print Co.',
      invoiceNumber: 'SP-7781',
      date: '2024-04-01',
      currency: 'JPY',
      lineItems: [
        ['Flyers A5', 500, 40, 20000],
        ['Posters B2', 20, 1500, 30000],
      ],
      total: 50000,
    },
  },
  {
    name: 'A receipt with no line items: the amount due becomes one line',
    text: `City Parking Services
Receipt No. 558120
Date: 7 Jan 2024
Parking, level 2, 3 hours
Amount due: $18.50`,
    expect: {
      vendor: 'City Parking Services',
      invoiceNumber: '558120',
      date: '2024-01-07',
      currency: 'USD',
      lineItems: [['Invoice total', 1, 18.5, 18.5]],
      total: 18.5,
    },
  },
  {
    name: 'Discount and payments are not lines; the total is the sum of the lines',
    text: `Bright Office Furniture Inc.
Invoice # BOF-3321
Date: April 9, 2024

Ergonomic chair   4   249.00   996.00
Standing desk     2   529.00   1,058.00
Delivery & assembly   150.00

Subtotal   2,204.00
Discount (loyalty)   -100.00
Total   2,104.00
Amount paid   -500.00
Balance due   1,604.00`,
    expect: {
      vendor: 'Bright Office Furniture Inc.',
      invoiceNumber: 'BOF-3321',
      date: '2024-04-09',
      currency: 'USD',
      lineItems: [
        ['Ergonomic chair', 4, 249, 996],
        ['Standing desk', 2, 529, 1058],
        ['Delivery & assembly', 1, 150, 150],
      ],
      total: 2204,
    },
  },
  {
    name: 'E-mail invoice: the From header is a mailbox, the vendor is the first real line',
    text: `From: Billing <billing@cloudnest.io>
To: accounts@customer.example
Subject: Your CloudNest invoice INV-88213

CloudNest Hosting
Invoice date: 2024-05-01

Service                       Amount
Pro hosting plan (May)        USD 79.00
Extra storage 100 GB          USD 12.00

Total due: USD 91.00`,
    expect: {
      vendor: 'CloudNest Hosting',
      invoiceNumber: 'INV-88213',
      date: '2024-05-01',
      currency: 'USD',
      lineItems: [
        ['Pro hosting plan (May)', 1, 79, 79],
        ['Extra storage 100 GB', 1, 12, 12],
      ],
      total: 91,
    },
  },
  {
    name: 'Indian tax invoice: ordinal date, GST line, grand total',
    text: `Tata Stationers Pvt Ltd
Tax Invoice
Invoice No: TS/24-25/0456
Dated: 18th July 2024
Currency: INR

Item Description    Qty    Rate      Amount
A4 Notebooks        100    45.00     4,500.00
Gel pens (box)      20     180.00    3,600.00
GST 18%                              1,458.00

Grand Total                          9,558.00`,
    expect: {
      vendor: 'Tata Stationers Pvt Ltd',
      invoiceNumber: 'TS/24-25/0456',
      date: '2024-07-18',
      currency: 'INR',
      lineItems: [
        ['A4 Notebooks', 100, 45, 4500],
        ['Gel pens (box)', 20, 180, 3600],
        ['GST 18%', 1, 1458, 1458],
      ],
      total: 9558,
    },
  },
  {
    name: 'Swiss francs with apostrophe thousands and a German invoice label',
    text: `Alpen Consulting AG
Rechnung Nr. 2024-077
Invoice date: 30.09.2024

Strategy workshop   2   CHF 3'200.00   CHF 6'400.00
Travel expenses     1   CHF 380.00     CHF 380.00

Total CHF 6'780.00`,
    expect: {
      vendor: 'Alpen Consulting AG',
      invoiceNumber: '2024-077',
      date: '2024-09-30',
      currency: 'CHF',
      lineItems: [
        ['Strategy workshop', 2, 3200, 6400],
        ['Travel expenses', 1, 380, 380],
      ],
      total: 6780,
    },
  },
  {
    name: 'Issue date after the due date, one-space header, no currency at all',
    text: `Pixel Forge
Due date: 2024-04-30
Invoice date: 2024-03-31
Invoice No.: 123
Description Qty Unit Price Amount
Widget A 2 15.00 30.00
Widget B 3 5.00 15.00
Total 45.00`,
    expect: {
      vendor: 'Pixel Forge',
      invoiceNumber: '123',
      date: '2024-03-31',
      currency: 'USD',
      lineItems: [
        ['Widget A', 2, 15, 30],
        ['Widget B', 3, 5, 15],
      ],
      total: 45,
    },
  },
];

const ruleViolations = (output: ExtractedInvoice, text: string): Violation[] =>
  INVOICE_RULES.flatMap((r) => r.check(output, { text }, CTX));

describe('extractInvoicePlainText: realistic invoices', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = extractInvoicePlainText({ text: c.text });
    const { lineItems, ...fields } = c.expect;
    expect(out).toMatchObject(fields);
    expect(
      out.lineItems.map((i) => [i.description, i.quantity, i.unitPrice, i.amount] as Item),
    ).toEqual(lineItems);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'its own output is schema-valid, passes all four rules and is grounded: %s',
    (_name, c) => {
      const out = extractInvoicePlainText({ text: c.text });
      expect(ExtractInvoiceOutput.safeParse(out).success).toBe(true);
      expect(ruleViolations(out, c.text)).toEqual([]);
      expect(extractInvoiceGrounding(out, { text: c.text })).toEqual([]);
    },
  );

  it('has at least twelve invoices', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
  });

  it('is deterministic', () => {
    const text = CASES[0]!.text;
    expect(extractInvoicePlainText({ text })).toEqual(extractInvoicePlainText({ text }));
  });

  it('always returns schema-valid output; what it cannot find, the rules and grounding flag', () => {
    for (const text of ['hello', 'Invoice\nTotal 0', '12345', '€€€ ---']) {
      const out = extractInvoicePlainText({ text });
      expect(ExtractInvoiceOutput.safeParse(out).success, text).toBe(true);
      expect(out.date).toBe(MISSING_DATE);
      expect(out.invoiceNumber).toBe(MISSING_INVOICE_NUMBER);
      expect(ruleViolations(out, text).map((v) => v.rule)).toEqual(['date-is-real']);
      expect(extractInvoiceGrounding(out, { text }).map((v) => v.field)).toContain('invoiceNumber');
    }
  });

  it('does not read addresses, phone numbers or payment terms as line items', () => {
    const text = `Harbor Freight Lines\nSuite 400\n1200 Ocean Drive 33139\nTel 555 0100\nPayment due within 30 days\nInvoice INV-5\nDate: 2024-02-01\nContainer haulage 1 x 900.00 900.00\nTotal 900.00`;
    const out = extractInvoicePlainText({ text });
    expect(out.lineItems.map((i) => i.description)).toEqual(['Container haulage']);
    expect(out.total).toBe(900);
  });
});

describe('extractInvoicePlainText: pieces', () => {
  it('parses amounts with either decimal convention and thousands separators', () => {
    expect(parseAmount('1,234.56')).toBe(1234.56);
    expect(parseAmount('1.234,56')).toBe(1234.56);
    expect(parseAmount("1'234.50")).toBe(1234.5);
    expect(parseAmount('1,200')).toBe(1200); // a single comma before three digits groups thousands
    expect(parseAmount('12,50')).toBe(12.5);
    expect(parseAmount('1.5')).toBe(1.5);
    expect(parseAmount('1,234,567')).toBe(1234567);
    expect(parseAmount('12,34,56')).toBeUndefined();
    expect(parseAmount('abc')).toBeUndefined();
  });

  it('finds the currency from a label, a code next to an amount, a symbol, or defaults to USD', () => {
    expect(findCurrency('Currency: sek\nTotal 10.00 EUR')).toEqual({ code: 'SEK', stated: true });
    expect(findCurrency('Total: 10.00 NOK, paid by card ($)')).toEqual({
      code: 'NOK',
      stated: true,
    });
    expect(findCurrency('Total £12.00')).toEqual({ code: 'GBP', stated: true });
    expect(findCurrency('Total A$12.00')).toEqual({ code: 'AUD', stated: true });
    expect(findCurrency('Total ¥1200')).toEqual({ code: 'JPY', stated: true });
    expect(findCurrency('ALL ITEMS FINAL, TOTAL 12.00')).toEqual({ code: 'USD', stated: false });
  });

  it('reads ambiguous slash dates day-first unless the invoice is in US dollars', () => {
    const body = 'Acme\nInvoice #1\nDate: 04/05/2024\nThing 1 x 10.00 10.00\nTotal';
    expect(extractInvoicePlainText({ text: `${body} EUR 10.00` }).date).toBe('2024-05-04');
    expect(extractInvoicePlainText({ text: `${body} $10.00` }).date).toBe('2024-04-05');
    // A part above 12 settles it whatever the currency.
    expect(extractInvoicePlainText({ text: `${body.replace('04/05', '25/05')} $10.00` }).date).toBe(
      '2024-05-25',
    );
    expect(
      extractInvoicePlainText({ text: `${body.replace('04/05/2024', '04.05.2024')} $10.00` }).date,
    ).toBe('2024-05-04');
  });
});

const valid = (): ExtractedInvoice => ({
  vendor: 'Acme Tools',
  invoiceNumber: 'INV-7',
  date: '2024-02-29',
  currency: 'EUR',
  lineItems: [
    { description: 'Hammer', quantity: 2, unitPrice: 10, amount: 20 },
    { description: 'Nails', quantity: 3, unitPrice: 0.1, amount: 0.3 },
  ],
  total: 20.3,
});
const TEXT = 'Acme Tools\nInvoice INV-7\nDate: 2024-02-29\nHammer 2 x 10.00 20.00';
const rule = (id: string) => INVOICE_RULES.find((r) => r.id === id)!;
const check = (id: string, output: ExtractedInvoice): Violation[] =>
  rule(id).check(output, { text: TEXT }, CTX);

describe('extract-invoice rules', () => {
  it('every rule has a stable id and re-asks', () => {
    expect(INVOICE_RULES.map((r) => [r.id, r.action])).toEqual([
      ['amount-is-qty-times-price', 're-ask'],
      ['total-is-sum-of-amounts', 're-ask'],
      ['currency-iso-4217', 're-ask'],
      ['date-is-real', 're-ask'],
    ]);
    expect(ruleViolations(valid(), TEXT)).toEqual([]);
  });

  it('amount-is-qty-times-price: within a cent passes, beyond it names the line', () => {
    const ok = valid();
    ok.lineItems[1]!.amount = 0.31;
    expect(check('amount-is-qty-times-price', ok)).toEqual([]);
    const bad = valid();
    bad.lineItems[1]!.amount = 0.32;
    expect(check('amount-is-qty-times-price', bad)).toEqual([
      expect.objectContaining({ field: 'lineItems.1.amount', rule: 'amount-is-qty-times-price' }),
    ]);
  });

  it('total-is-sum-of-amounts: within a cent passes, off by 10 fails', () => {
    expect(check('total-is-sum-of-amounts', { ...valid(), total: 20.31 })).toEqual([]);
    expect(check('total-is-sum-of-amounts', { ...valid(), total: 30.3 })).toEqual([
      expect.objectContaining({ field: 'total', rule: 'total-is-sum-of-amounts' }),
    ]);
  });

  it('currency-iso-4217: real codes pass, made-up and test codes fail', () => {
    for (const currency of ['EUR', 'USD', 'JPY', 'CHF', 'XOF', 'HRK'])
      expect(check('currency-iso-4217', { ...valid(), currency }), currency).toEqual([]);
    for (const currency of ['EUX', 'ABC', 'XXX', 'XTS', 'eur', 'US$'])
      expect(check('currency-iso-4217', { ...valid(), currency }), currency).toHaveLength(1);
  });

  it('date-is-real: leap days, month lengths and the 1900..2100 window', () => {
    for (const date of ['2024-02-29', '2000-02-29', '1900-01-01', '2100-12-31', '2023-04-30'])
      expect(check('date-is-real', { ...valid(), date }), date).toEqual([]);
    for (const date of [
      '2023-02-29',
      '1900-02-29',
      '2023-04-31',
      '2023-13-01',
      '2023-00-10',
      '1899-12-31',
      '2101-01-01',
      '0000-00-00',
      '2023-1-01',
    ])
      expect(check('date-is-real', { ...valid(), date }), date).toEqual([
        expect.objectContaining({ field: 'date', rule: 'date-is-real' }),
      ]);
  });
});

describe('extract-invoice grounding', () => {
  it('accepts the vendor and number as written, up to case, spacing and punctuation', () => {
    expect(extractInvoiceGrounding(valid(), { text: TEXT })).toEqual([]);
    const loose = { ...valid(), vendor: 'ACME  tools', invoiceNumber: 'inv 7' };
    expect(extractInvoiceGrounding(loose, { text: TEXT })).toEqual([]);
  });

  it('flags a vendor or number the invoice never mentions', () => {
    const made = { ...valid(), vendor: 'Okafor Holdings', invoiceNumber: 'INV-8' };
    expect(extractInvoiceGrounding(made, { text: TEXT })).toEqual([
      expect.objectContaining({ field: 'vendor', rule: 'grounding' }),
      expect.objectContaining({ field: 'invoiceNumber', rule: 'grounding' }),
    ]);
  });
});

describe('extract-invoice task', () => {
  it('accepts a strict {text} input only', () => {
    expect(extractInvoice.input.safeParse({ text: 'x' }).success).toBe(true);
    expect(extractInvoice.input.safeParse({ text: '' }).success).toBe(false);
    expect(extractInvoice.input.safeParse({ text: 'x', extra: 1 }).success).toBe(false);
    expect(extractInvoice.input.safeParse({ text: 'x'.repeat(50_001) }).success).toBe(false);
  });

  it('rejects malformed outputs at the schema', () => {
    const bad = [
      { ...valid(), date: '5 March 2024' },
      { ...valid(), currency: 'eur' },
      { ...valid(), lineItems: [] },
      { ...valid(), lineItems: [{ description: 'x', quantity: 0, unitPrice: 1, amount: 0 }] },
      { ...valid(), lineItems: [{ description: 'x', quantity: 1, unitPrice: -1, amount: -1 }] },
    ];
    for (const output of bad) expect(ExtractInvoiceOutput.safeParse(output).success).toBe(false);
  });
});
