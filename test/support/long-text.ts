/**
 * A long synthetic document for the long-document tests and bench: an operations log, paragraph
 * after paragraph, with names, numbers and dates for grounding to check. Deterministic; no PII
 * (the names are invented).
 */
const TEAMS = ['Harbor', 'Lumen', 'Quarry', 'Tidewell', 'Oakridge', 'Ferrow'];
const PEOPLE = ['Margit Oyelaran', 'Tomas Lindqvist', 'Aiko Tanaka', 'Ravi Menon', 'Elena Duarte'];
const MONTHS = ['January', 'March', 'May', 'July', 'September', 'November'];

/** At least `chars` characters of paragraphs separated by blank lines. */
export function operationsLog(chars: number): string {
  const paragraphs: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const person = PEOPLE[(i * 7) % PEOPLE.length]!;
    const month = MONTHS[(i * 5) % MONTHS.length]!;
    const p =
      `Entry ${i + 1}. On ${month} ${(i % 27) + 1}, 2024 the ${team} team reported ${(i * 37) % 900} ` +
      `failed writes in the billing service. ${person} led the review and found that a retry loop ` +
      `doubled the load on the primary database for ${(i % 50) + 3} minutes. ` +
      `The team shipped a fix that caps retries at ${(i % 6) + 2} and adds jitter. ` +
      `Customers saw slower invoices but no data was lost, and the queue drained within the hour.`;
    paragraphs.push(p);
    length += p.length + 2;
  }
  return paragraphs.join('\n\n');
}
