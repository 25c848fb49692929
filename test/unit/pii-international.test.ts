import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../shared/guards/pii';
import { createRedactor, restorePlaceholders } from '../../shared/guards/redact';
import type { PiiScanOptions, PiiType } from '../../shared/guards/types';
import { PoliciesConfig, resolvePolicy } from '../../shared/policy/resolve-policy';

const values = (type: PiiType, text: string, options: PiiScanOptions = {}): string[] =>
  detectPii(text, { ...options, types: [type] }).map((s) => s.value);

describe('phones in national formats, read with the tenant region', () => {
  it('reads UK, German, French, Spanish, Dutch and Italian numbers with their region', () => {
    expect(values('phone', 'Ring 020 7946 0321 today.', { region: 'GB' })).toEqual([
      '020 7946 0321',
    ]);
    expect(values('phone', 'Handy: 0151 23456789', { region: 'DE' })).toEqual(['0151 23456789']);
    expect(values('phone', 'au 06 12 34 56 78', { region: 'FR' })).toEqual(['06 12 34 56 78']);
    expect(values('phone', 'móvil 612 34 56 78', { region: 'ES' })).toEqual(['612 34 56 78']);
    expect(values('phone', 'Bel 06-12345678', { region: 'NL' })).toEqual(['06-12345678']);
    expect(values('phone', 'cell 333 123 4567', { region: 'IT' })).toEqual(['333 123 4567']);
  });

  it('reads 00 international prefixes and falls back to the language country', () => {
    expect(values('phone', 'call 0044 161 496 0752', { region: 'GB' })).toEqual([
      '0044 161 496 0752',
    ]);
    expect(values('phone', 'Tel. 030 2345 6789', { region: 'US', language: 'de' })).toEqual([
      '030 2345 6789',
    ]);
    expect(values('phone', 'Tel. 030 2345 6789', { region: 'US' })).toEqual([]);
  });
});

describe('person names', () => {
  it('finds lowercase names, names that are words, and keeps the title out', () => {
    expect(values('person-name', 'my name is sarah connor and I need help')).toEqual([
      'sarah connor',
    ]);
    expect(values('person-name', 'please ask for grace at reception')).toEqual(['grace']);
    expect(values('person-name', 'change the billing name to Bill Baker.')).toEqual(['Bill Baker']);
    expect(values('person-name', 'Bitte Frau Dr. Annegret Vogel anrufen.')).toEqual([
      'Annegret Vogel',
    ]);
    expect(values('person-name', "Bonjour, je m'appelle Élodie Marchand.")).toEqual([
      'Élodie Marchand',
    ]);
    expect(values('person-name', 'Met vriendelijke groet,\nPieter van den Berg')).toEqual([
      'Pieter van den Berg',
    ]);
  });

  it('finds a bare "First Last" pair past the first sentence, not a first name and a thing', () => {
    // Sentences of the tuning sets (tune-en-006, holdout-en-012) put together.
    const text =
      'Router still on firmware 1.2.3.4 after the update. It keeps rebooting, so Brooke Callahan asked for a replacement.';
    expect(values('person-name', text)).toEqual(['Brooke Callahan']);
    expect(values('person-name', 'The plan renewed. The Grace Period ended on Monday.')).toEqual(
      [],
    );
  });

  it('reads a capitalised word after "ask for" as a name, a title not, a sign-off line not', () => {
    // holdout-en-005, holdout-en-013, holdout-de-038 (holdout.jsonl is tuning data since holdout-2).
    expect(values('person-name', 'If nobody answers, ask for Hope in accounting.')).toEqual([
      'Hope',
    ]);
    expect(
      values('person-name', 'Spoke with Mr. Delgado yesterday; he promised a callback.'),
    ).toEqual(['Delgado']);
    expect(values('person-name', 'Viele Grüße\nTobias Reinhardt', { language: 'de' })).toEqual([
      'Tobias Reinhardt',
    ]);
  });

  it('does not take brands and products for names', () => {
    const text =
      "I bought Dr. Martens boots, a bottle of Jack Daniel's and a Tommy Hilfiger jacket.";
    expect(values('person-name', text)).toEqual([]);
    // holdout-fr-053: a brand of three words whose last two are a first name and a surname.
    const perfume = 'La crème Yves Rocher et le parfum Jean Paul Gaultier sont arrivés cassés.';
    expect(values('person-name', perfume, { language: 'fr' })).toEqual([]);
    expect(values('ip-address', 'Router still on firmware 1.2.3.4 after the update')).toEqual([]);
  });
});

describe('new identifier types', () => {
  it('accepts VAT ids whose check digits hold and rejects those that do not', () => {
    expect(values('vat-id', 'USt-IdNr. DE626018158')).toEqual(['DE626018158']);
    expect(values('vat-id', 'USt-IdNr. DE626018159')).toEqual([]);
    expect(values('vat-id', 'TVA FR51331948757, P.IVA IT12233079248')).toEqual([
      'FR51331948757',
      'IT12233079248',
    ]);
    expect(values('vat-id', 'btw NL380841484B01 and VAT GB934788769')).toEqual([
      'NL380841484B01',
      'GB934788769',
    ]);
  });

  it('finds national ids with their checksums, passports and dates of birth in context', () => {
    expect(values('national-id', 'NI number JR 48 21 96 B')).toEqual(['JR 48 21 96 B']);
    expect(values('national-id', 'sécurité sociale 2 49 03 06 831 240 54')).toEqual([
      '2 49 03 06 831 240 54',
    ]);
    expect(values('national-id', 'sécurité sociale 2 49 03 06 831 240 55')).toEqual([]);
    expect(values('national-id', 'Steuer-ID 28365461076')).toEqual(['28365461076']);
    expect(values('national-id', 'Kundennummer 28365461076')).toEqual([]);
    expect(values('passport', 'My passport number is 567123489.')).toEqual(['567123489']);
    expect(values('date-of-birth', 'geboren am 12.05.1984')).toEqual(['12.05.1984']);
    expect(values('date-of-birth', 'delivered on 12.05.2024')).toEqual([]);
  });

  it('redacts each new type to its placeholder and restores it', () => {
    const text = 'VAT DE626018158, NINO JR 48 21 96 B, passport 567123489, DOB 04/17/1986';
    const redactor = createRedactor();
    const redacted = redactor.redact(text);
    expect(redacted).toBe('VAT [VAT_1], NINO [NATID_1], passport [PASSPORT_1], DOB [DOB_1]');
    expect(restorePlaceholders(redacted, redactor.placeholders())).toBe(text);
  });
});

describe('addresses', () => {
  it('reads UK estates and flats, P.O. boxes, German ranges and Spanish floors', () => {
    expect(
      values(
        'street-address',
        'left at Flat 12, Kestrel House, Brandon Estate, London SE17 3EF today',
      ),
    ).toEqual(['Flat 12, Kestrel House, Brandon Estate, London SE17 3EF']);
    expect(values('street-address', 'to P.O. Box 4471, Tucson, AZ 85717.')).toEqual([
      'P.O. Box 4471, Tucson, AZ 85717',
    ]);
    expect(values('street-address', 'Lieferadresse: Schillerstraße 12-14, 04109 Leipzig.')).toEqual(
      ['Schillerstraße 12-14, 04109 Leipzig'],
    );
    expect(values('street-address', 'Dirección: Calle de Alcalá 145, 3º B, 28009 Madrid')).toEqual([
      'Calle de Alcalá 145, 3º B, 28009 Madrid',
    ]);
  });
});

describe('tenant language and region in the policy', () => {
  it('resolves region and language per tenant, with the config default as fallback', () => {
    const config = PoliciesConfig.parse({
      default: { region: 'gb' },
      tenants: { acme: { region: 'DE', language: 'DE' } },
    });
    const acme = resolvePolicy({ config, tenantId: 'acme', task: 'summarize' });
    expect([acme.region, acme.language]).toEqual(['DE', 'de']);
    const other = resolvePolicy({ config, tenantId: 'other', task: 'summarize' });
    expect([other.region, other.language]).toEqual(['GB', undefined]);
    expect(resolvePolicy({ config: undefined, tenantId: 'x', task: 'summarize' }).region).toBe(
      'US',
    );
  });
});

/**
 * The tuning sets: tune.jsonl, and holdout.jsonl since holdout-2.jsonl replaced it as the held-out
 * set. holdout-fr-045 labels a French address without its residence and building lines, which the
 * detector keeps (holdout-2 labels them as part of the address): a labelling difference, listed.
 */
const LABEL_DIFFERENCES = new Set(['holdout-fr-045']);

describe.each(['tune', 'holdout'])('the realistic tuning corpus %s.jsonl', (set) => {
  const file = path.join(__dirname, `../corpora/pii-realistic/${set}.jsonl`);
  const cases = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          id: string;
          text: string;
          region: string;
          lang: string;
          expect: Array<{ type: PiiType; value: string }>;
        },
    )
    .filter((c) => !LABEL_DIFFERENCES.has(c.id));

  it('finds every labelled value and nothing in the negatives', () => {
    const missed: string[] = [];
    for (const c of cases) {
      const found = detectPii(c.text, { region: c.region, language: c.lang });
      for (const e of c.expect) {
        if (!found.some((s) => s.type === e.type && s.value === e.value))
          missed.push(`${c.id} ${e.type}: ${e.value}`);
      }
      if (c.expect.length === 0) expect(found.map((s) => s.value)).toEqual([]);
    }
    expect(missed).toEqual([]);
  });
});
