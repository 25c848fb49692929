/**
 * Calendar dates written in free text: ISO (`2024-03-05`), named months (`March 5, 2024`,
 * `5 Mar 2024`, `March 5`) and numeric (`05/03/2024`, `05.03.2024`). Shared by the invoice
 * extractor and the grounding checks. Pure arithmetic, no `Date`: the same everywhere.
 */

export interface CalendarDate {
  /** Absent when the text names no year (`March 5`). */
  year?: number;
  month: number;
  day: number;
}

export interface DateMention {
  index: number;
  end: number;
  text: string;
  style: 'iso' | 'named' | 'numeric';
  /**
   * The valid readings. One for ISO and named dates; for a numeric date whose two leading parts
   * are both ≤ 12 (and differ), two: day-first (`05/03` = 5 March) then month-first.
   */
  readings: CalendarDate[];
  /** True when `readings` holds both the day-first and the month-first reading. */
  ambiguous: boolean;
  /** The numeric separator (`/`, `.`, `-`); empty for named dates. */
  separator: string;
}

export const MIN_YEAR = 1900;
export const MAX_YEAR = 2100;

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const ORDINAL = '(?:st|nd|rd|th)?';

const ISO = /(?<![\d./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)/g;
const NUMERIC = /(?<![\d./-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d)/g;
const MONTH_FIRST = new RegExp(
  `\\b${MONTH}\\b\\.?\\s+(\\d{1,2})${ORDINAL}\\b(?:,?\\s+(\\d{4})\\b)?`,
  'gi',
);
const DAY_FIRST = new RegExp(
  `\\b(\\d{1,2})${ORDINAL}(?:\\s+of)?\\s+${MONTH}\\b\\.?(?:,?\\s+(\\d{4})\\b)?`,
  'gi',
);

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysInMonth(year: number | undefined, month: number): number {
  if (month === 2) return year === undefined || isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A real calendar date; a year, when given, must be within 1900..2100. */
export function isRealDate(d: CalendarDate): boolean {
  const { year, month, day } = d;
  if (year !== undefined && (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR))
    return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  return Number.isInteger(day) && day >= 1 && day <= daysInMonth(year, month);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2024-03-05`, or `--03-05` (the ISO 8601 form for a month and day without a year). */
export function formatDate(d: CalendarDate): string {
  return `${d.year === undefined ? '-' : pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** Parses a strict `YYYY-MM-DD` string; undefined when the shape is wrong. */
export function parseIsoDate(text: string): CalendarDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : undefined;
}

const monthOf = (name: string): number => MONTHS[name.slice(0, 3).toLowerCase()] ?? 0;
const yearOf = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Number(text);

/** Every date mentioned in `text`, in order; overlapping matches keep the earliest, longest one. */
export function findDates(text: string): DateMention[] {
  const found: DateMention[] = [];
  const add = (
    m: RegExpMatchArray,
    style: DateMention['style'],
    readings: CalendarDate[],
  ): void => {
    const valid = readings.filter(isRealDate);
    if (valid.length === 0) return;
    const index = m.index ?? 0;
    found.push({
      index,
      end: index + m[0].length,
      text: m[0],
      style,
      readings: valid,
      ambiguous: valid.length === 2,
      separator: style === 'named' ? '' : (m[2] ?? ''),
    });
  };
  for (const m of text.matchAll(ISO))
    add(m, 'iso', [{ year: Number(m[1]), month: Number(m[3]), day: Number(m[4]) }]);
  for (const m of text.matchAll(NUMERIC)) {
    const [a, b, year] = [Number(m[1]), Number(m[3]), Number(m[4])];
    const dayFirst = { year, month: b, day: a };
    add(m, 'numeric', a === b ? [dayFirst] : [dayFirst, { year, month: a, day: b }]);
  }
  for (const m of text.matchAll(MONTH_FIRST))
    add(m, 'named', [{ year: yearOf(m[3]), month: monthOf(m[1] ?? ''), day: Number(m[2]) }]);
  for (const m of text.matchAll(DAY_FIRST))
    add(m, 'named', [{ year: yearOf(m[3]), month: monthOf(m[2] ?? ''), day: Number(m[1]) }]);
  found.sort((x, y) => x.index - y.index || y.end - x.end);
  const kept: DateMention[] = [];
  for (const d of found) {
    const last = kept[kept.length - 1];
    if (last === undefined || d.index >= last.end) kept.push(d);
  }
  return kept;
}
