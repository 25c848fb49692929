/**
 * The line-reading half of the invoice extractor: amounts, table headers, line items and stated
 * totals in plain text. The decisions are listed in `invoice-extract.ts`. Pure.
 */
import { isIso4217 } from './iso-4217';

export interface InvoiceLineItem {
  description: string;
  quantity: number;
  unitPrice: number;
  amount: number;
}

export interface StatedTotal {
  value: number;
  /** 3 grand total, 2 total / total due, 1 amount or balance due. */
  priority: number;
}

type Role = 'desc' | 'qty' | 'price' | 'amount' | 'other';
type Hint = 'qty' | 'price' | 'amount';
interface Num {
  value: number;
  /** Written with a fraction (`15.00`, `1.5`): a price more often than a count. */
  decimals: boolean;
  /** Looks like money: two decimals or a currency symbol. */
  money: boolean;
  hint?: Hint;
  /** Position in the run of tokens it came from. */
  at: number;
}

const MAX_DESCRIPTION_CHARS = 200;
const TOLERANCE = 0.01 + 1e-9;

export const round = (n: number, places = 2): number => {
  const f = 10 ** places;
  return Math.round(n * f) / f;
};

// Matched anywhere in a header cell ("Menge / Qty"), in this order: "Total price" is an amount.
const ROLE_PATTERNS: ReadonlyArray<[Role, RegExp]> = [
  ['amount', /\b(?:amount|line\s*total|total|sum|ext(?:ended)?|subtotal)\b/i],
  ['qty', /\b(?:qty|quantity|quant|units|hours|hrs|count|pcs)\b/i],
  ['price', /\b(?:unit\s*price|price|rate|unit\s*cost|cost|each|unit)\b/i],
  ['desc', /\b(?:items?|description|desc|services?|products?|details?|particulars|article)\b/i],
];
const SUBTOTAL =
  /\bsub[-\s]?total\b|\bnet\s+total\b|\btotal\s*\(?\s*(?:excl|excluding|ex\.?\s|net|before|w\/o|without)/i;
const TOTAL_LABELS: ReadonlyArray<[RegExp, number]> = [
  [/\bgrand\s+total\b/i, 3],
  [/\btotal\b/i, 2],
  [/\b(?:amount|balance)\s+(?:due|payable|owing|to\s+pay)\b/i, 1],
];
const NOT_AN_ITEM =
  /\b(?:discount|rebate|coupon|voucher|credit(?!\s+card)|paid|payment|deposit|prepaid|rounding|balance)\b/i;
const METADATA =
  /^\W*(?:invoice|inv\b|bill\s+to|ship\s+to|sold\s+to|date|due|issued|phone|tel|fax|mobile|e-?mail|web(?:site)?|www|po\b|p\.o\.|purchase\s+order|order|account|acct|iban|swift|bic|sort\s+code|routing|(?:vat|tax|gst)\s*(?:no|number|id|reg)|ein|abn|customer|client|terms|payment\s+terms|page|ref|reference|from|to|vendor|seller|supplier|attn|currency|period|billing\s+period)\b/i;
const CHARGE =
  /\b(?:tax|vat|gst|hst|pst|qst|shipping|delivery|freight|postage|handling|surcharge|service\s+charge|fees?)\b/i;
const QTY_UNIT =
  /^(?:hrs?|hours?|h|pcs?|pieces?|units?|items?|days?|nights?|months?|mos?|weeks?|wks?|seats?|users?|licen[cs]es?|kg|lbs?)$/i;
const PRICE_UNIT = /^(?:each|ea|per|\/hr|\/h|\/unit|\/month|\/mo)$/i;
const SYMBOL = /[$€£¥₹]/;
const LIST_MARKER = /^(?:[-*•]|\d{1,2}[.)])\s+/;
const LEAD_QTY = /^(\d+(?:[.,]\d+)?)\s*(x|×|pcs?|units?)?\s+(?=\p{L})/iu;

/**
 * Digits with group separators to a number. A single `.` is a decimal point; a single `,` before
 * exactly three digits groups thousands (`1,200`), otherwise it is a decimal comma (`12,50`);
 * with both, the last one is the decimal point (`1.234,56`). Undefined for anything else.
 */
export function parseAmount(written: string): number | undefined {
  const t = written.replace(/[\u00a0\u202f']/g, "'");
  if (!/^\d(?:[\d.,']*\d)?$/.test(t)) return undefined;
  const seps = t.match(/[.,]/g) ?? [];
  const last = seps[seps.length - 1];
  let whole = t;
  let fraction = '';
  if (last !== undefined) {
    const at = t.lastIndexOf(last);
    const after = t.slice(at + 1);
    const kinds = new Set(seps).size;
    const single = seps.length === 1;
    const decimal = kinds === 2 || (single && !(last === ',' && after.length === 3));
    if (decimal) {
      if (seps.filter((s) => s === last).length > 1 || after.includes("'")) return undefined;
      whole = t.slice(0, at);
      fraction = after;
    }
  }
  const groups = whole.split(/[.,']/);
  if (groups.length > 1 && !groups.slice(1).every((g) => g.length === 3)) return undefined;
  const n = Number(`${groups.join('')}${fraction === '' ? '' : `.${fraction}`}`);
  return Number.isFinite(n) ? n : undefined;
}

/** A number as written on an invoice: currency symbols, `-`/`(…)` for negatives. */
function readNumber(token: string): Omit<Num, 'at'> | undefined {
  let t = token;
  let negative = false;
  if (/^\(.*\)$/.test(t)) [negative, t] = [true, t.slice(1, -1)];
  if (/^[-−]/.test(t)) [negative, t] = [true, t.slice(1)];
  const symbol = SYMBOL.test(t);
  t = t.replace(/^(?:US|CA|AU|NZ|HK|[CASR])?[$€£¥₹]/, '').replace(/[$€£¥₹]$/, '');
  if (/^[-−]/.test(t)) [negative, t] = [true, t.slice(1)];
  const value = parseAmount(t);
  if (value === undefined) return undefined;
  const twoDecimals = /[.,]\d{2}$/.test(t);
  return {
    value: negative ? -value : value,
    decimals: twoDecimals || !Number.isInteger(value),
    money: symbol || twoDecimals,
  };
}

const isMarker = (t: string): boolean => /^(?:x|×|@|=|at)$/i.test(t);
const isCurrency = (t: string): boolean =>
  (isIso4217(t) && /^[A-Z]{3}$/.test(t)) || /^[$€£¥₹]$/.test(t);
const isNumber = (t: string | undefined): boolean => t !== undefined && readNumber(t) !== undefined;

/** Columns: split on tabs and pipes, else on runs of two or more spaces. */
function splitCells(line: string): string[] {
  const trimmed = line.trim().replace(/^\|+|\|+$/g, '');
  const byBar = trimmed
    .split(/[|\t]/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return byBar.length > 1 ? byBar : trimmed.split(/\s{2,}/).filter((c) => c !== '');
}

/** `2x15.00` → `2 x 15.00`, `@15` → `@ 15`: markers become tokens of their own. */
const spaceMarkers = (line: string): string =>
  line
    .replace(/(\d)\s*[x×]\s*(?=[\d$€£¥₹])/g, '$1 x ')
    .replace(/\b(\d+)[x×](?=\s)/g, '$1 x')
    .replace(/([@=])(?=\S)/g, '$1 ')
    .replace(/(\S)([@=])/g, '$1 $2');

function readHeader(line: string): Role[] | undefined {
  if (/\d[.,]\d/.test(line)) return undefined;
  const cells = splitCells(line);
  const words = cells.length > 1 ? cells : line.trim().split(/\s+/);
  const roles: Role[] = [];
  for (const w of words) {
    const role = ROLE_PATTERNS.find(([, re]) => re.test(w.trim()))?.[0] ?? 'other';
    // One-space headers split "Unit Price" into two words of the same role.
    if (cells.length > 1 || roles[roles.length - 1] !== role) roles.push(role);
  }
  const has = (r: Role): boolean => roles.includes(r);
  return has('amount') && (has('qty') || has('price')) ? roles : undefined;
}

/** The numbers in a run of tokens, with what the markers around them say they are. */
function readRun(tokens: string[]): Num[] {
  const nums: Num[] = [];
  tokens.forEach((t, at) => {
    const n = readNumber(t);
    if (n === undefined) return;
    const before = tokens[at - 1] ?? '';
    const after = tokens[at + 1] ?? '';
    let hint: Hint | undefined;
    if (/^(?:@|at)$/i.test(before) || PRICE_UNIT.test(after)) hint = 'price';
    else if (before === '=') hint = 'amount';
    else if (/^[x×]$/i.test(after) || QTY_UNIT.test(after)) hint = 'qty';
    nums.push({ ...n, at, ...(hint ? { hint } : {}) });
  });
  return nums;
}

interface Triple {
  quantity: number;
  unitPrice: number;
  amount: number;
  consistent: boolean;
}

/** Completes a reading; the billed amount wins over a unit price that disagrees with it. */
function complete(q: number | undefined, p: number | undefined, a: number | undefined): Triple {
  let quantity = q;
  let unitPrice = p;
  let amount = a ?? (quantity ?? 1) * (unitPrice ?? 0);
  if (quantity === undefined) {
    const derived = unitPrice ? amount / unitPrice : 1;
    quantity = Math.abs(round(derived, 2) - derived) < 1e-6 && derived > 0 ? round(derived, 4) : 1;
  }
  if (unitPrice === undefined) unitPrice = quantity > 0 ? amount / quantity : amount;
  const consistent = Math.abs(quantity * unitPrice - amount) <= TOLERANCE;
  if (!consistent && quantity > 0) unitPrice = amount / quantity;
  amount = round(amount, 4);
  return { quantity, unitPrice: round(unitPrice, 6), amount, consistent };
}

/** The columns read from the end of a row: those after the description ("Pos", "#" come before). */
const numericRoles = (roles: Role[]): Role[] => roles.slice(roles.indexOf('desc') + 1);

function byRoles(nums: Num[], lead: number | undefined, roles: Role[]): Triple | undefined {
  const numeric = numericRoles(roles);
  if (nums.length < numeric.length) return undefined;
  const used = nums.slice(-numeric.length);
  const pick = (r: Role): number | undefined => used[numeric.indexOf(r)]?.value;
  return complete(pick('qty') ?? lead, pick('price'), pick('amount'));
}

function byShape(nums: Num[], lead: number | undefined): Triple | undefined {
  const last = nums[nums.length - 1];
  if (last === undefined) return undefined;
  if (nums.length === 2 && nums[0]?.hint === 'qty' && last.hint !== 'amount')
    return complete(nums[0].value, last.value, undefined); // "2 x 15.00", no amount written
  const others = nums.slice(0, -1).slice(-2);
  if (lead !== undefined) return complete(lead, others[others.length - 1]?.value, last.value);
  const [n1, n2] = others;
  if (n1 !== undefined && n2 !== undefined) {
    const priceFirst =
      n1.hint === 'price' ||
      n2.hint === 'qty' ||
      (n1.hint !== 'qty' && n2.hint !== 'price' && n1.decimals && !n2.decimals);
    return priceFirst
      ? complete(n2.value, n1.value, last.value)
      : complete(n1.value, n2.value, last.value);
  }
  if (n1 !== undefined) {
    return n1.hint === 'price' || (n1.hint !== 'qty' && n1.decimals)
      ? complete(undefined, n1.value, last.value)
      : complete(n1.value, undefined, last.value);
  }
  return complete(1, last.value, last.value);
}

/** How many numbers a reading consumed, counted from the end of the run. */
const consumed = (nums: Num[], roles: Role[] | undefined, lead: number | undefined): number =>
  roles ? numericRoles(roles).length : Math.min(nums.length, lead === undefined ? 3 : 2);

/**
 * Where the run of numbers, markers (`x`, `@`, `=`), currency codes and units (`hrs`) that ends a
 * row begins. Units are cells, or single tokens on a row without columns ("plain").
 */
function runStart(units: string[][], plain: boolean): number {
  const flat = (i: number): string | undefined => units[i]?.[0];
  const isUnitWord = (t: string): boolean => QTY_UNIT.test(t) || PRICE_UNIT.test(t);
  const eligible = (i: number): boolean => {
    const tokens = units[i] ?? [];
    const numeric = (t: string): boolean => isNumber(t) || isCurrency(t) || isMarker(t);
    if (!tokens.every((t) => numeric(t) || isUnitWord(t)) || !tokens.some(numeric)) {
      // A bare unit word joins only right after a number: "10 hrs".
      return plain && isUnitWord(flat(i) ?? '') && isNumber(flat(i - 1));
    }
    if (!plain) return true;
    const t = flat(i) ?? '';
    if (/^[x×]$/i.test(t)) return isNumber(flat(i - 1)); // "Model X" is a name, "2 x" a count
    if (/^(?:@|=|at)$/i.test(t)) return isNumber(flat(i + 1));
    return true;
  };
  let start = units.length;
  while (start > 0 && eligible(start - 1)) start--;
  return start;
}

function readItem(
  line: string,
  roles: Role[] | undefined,
  charge: boolean,
): InvoiceLineItem | undefined {
  const cells = splitCells(line);
  const plain = cells.length <= 1;
  const units = plain
    ? line
        .trim()
        .split(/\s+/)
        .map((t) => [t])
    : cells.map((c) => c.split(/\s+/));
  const start = runStart(units, plain);
  const run = units.slice(start).flat();
  const nums = readRun(run);
  if (nums.length === 0) return undefined;

  let description = units
    .slice(0, start)
    .map((u) => u.join(' '))
    .join(' ')
    .replace(LIST_MARKER, '');
  let lead: number | undefined;
  const leadMatch = LEAD_QTY.exec(description);
  const leadValue = leadMatch ? parseAmount(leadMatch[1] ?? '') : undefined;
  if (leadMatch && leadValue !== undefined && leadValue > 0 && (leadValue < 1000 || leadMatch[2])) {
    description = description.slice(leadMatch[0].length);
    // With quantity, price and amount all at the end, a leading number is the row's position.
    if (nums.length < 3 || (roles && !numericRoles(roles).includes('qty'))) lead = leadValue;
  }
  const take = consumed(nums, roles, lead);
  const used = nums.slice(-take);
  const leftover = run.slice(0, used[0]?.at ?? 0).filter((t) => !isMarker(t) && !isCurrency(t));
  description = [description, ...leftover]
    .join(' ')
    .replace(/^[\s|:–—-]+|[\s|:;,@=–—-]+$/g, '')
    .slice(0, MAX_DESCRIPTION_CHARS);
  if (!/\p{L}/u.test(description)) return undefined;

  let triple = (roles && byRoles(used, lead, roles)) || byShape(used, lead);
  if (charge && (!triple || !triple.consistent || used.length < 3)) {
    const last = used[used.length - 1]!.value;
    triple = complete(1, last, last);
  }
  if (!triple || triple.amount <= 0 || triple.quantity <= 0 || triple.unitPrice < 0)
    return undefined;
  const last = used[used.length - 1]!;
  // Outside a table only money-like amounts count: "Suite 400" is an address, not an item.
  if (!roles && !charge && !last.money && !(used.length >= 3 && triple.consistent))
    return undefined;
  return {
    description,
    quantity: triple.quantity,
    unitPrice: triple.unitPrice,
    amount: triple.amount,
  };
}

function lastNumber(line: string): number | undefined {
  const tokens = line.trim().split(/\s+/).reverse();
  for (const t of tokens) {
    const n = readNumber(t);
    if (n !== undefined) return n.value;
  }
  return undefined;
}

/** Line items in reading order, and every stated total with its priority. */
export function readLineItems(text: string): { items: InvoiceLineItem[]; totals: StatedTotal[] } {
  const items: InvoiceLineItem[] = [];
  const totals: StatedTotal[] = [];
  let roles: Role[] | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = spaceMarkers(raw);
    if (line.trim() === '') continue;
    const header = readHeader(line);
    if (header) {
      roles = header;
      continue;
    }
    if (!/\d/.test(line)) continue;
    if (SUBTOTAL.test(line)) {
      roles = undefined;
      continue;
    }
    const total = TOTAL_LABELS.find(([re]) => re.test(line));
    if (total) {
      const value = lastNumber(line);
      if (value !== undefined) totals.push({ value, priority: total[1] });
      roles = undefined;
      continue;
    }
    if (NOT_AN_ITEM.test(line) || METADATA.test(line)) continue;
    const item = readItem(line, roles, CHARGE.test(line));
    if (item) items.push(item);
  }
  return { items, totals };
}
