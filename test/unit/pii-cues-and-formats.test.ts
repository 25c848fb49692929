/**
 * The patterns added in the third round of issue 23 (docs/pii-detectors.md): names after a
 * relation or a role, casual sign-offs, lone first names; addresses with districts, business
 * parks, floors and staircases; the trunk "(0)" and prefixed numbers of the fictional ranges;
 * birth dates with words between the cue and the date. Strings written for these tests, not
 * taken from the corpora.
 */
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../shared/guards/pii';
import type { PiiScanOptions, PiiType } from '../../shared/guards/types';

const values = (type: PiiType, text: string, options: PiiScanOptions = {}): string[] =>
  detectPii(text, { ...options, types: [type] }).map((s) => s.value);

describe('person names by the words around them', () => {
  it('reads the name after a relation or a role, in several languages', () => {
    expect(values('person-name', 'My daughter Olivia opened the account in 2019.')).toEqual([
      'Olivia',
    ]);
    expect(values('person-name', 'Mein Kollege Timo Brandt hat bestellt.')).toEqual([
      'Timo Brandt',
    ]);
    expect(values('person-name', 'someone called Brooke Haines signed for it')).toEqual([
      'Brooke Haines',
    ]);
    expect(values('person-name', 'her name is june carter, she pays the bills')).toEqual([
      'june carter',
    ]);
    expect(values('person-name', 'Please let Mark know the parts arrived.')).toEqual(['Mark']);
  });

  it('takes the name, not the lower-case title, and casual sign-offs in six languages', () => {
    expect(values('person-name', 'le colis est chez mme lefebvre au rez-de-chaussée')).toEqual([
      'lefebvre',
    ]);
    expect(values('person-name', 'ok that works. cheers, dave')).toEqual(['dave']);
    expect(values('person-name', 'Gracias,\nmaría josé lópez')).toEqual(['maría josé lópez']);
    expect(values('person-name', 'Viele Grüße aus Bremen\nanna weber')).toEqual(['anna weber']);
    expect(values('person-name', 'Met vriendelijke groet,\nwim van dijk')).toEqual([
      'wim van dijk',
    ]);
  });

  it('reads "ms" after a number as milliseconds, not a title', () => {
    expect(values('person-name', 'half_open: 1000 ms elapsed')).toEqual([]);
    expect(values('person-name', 'hedged after 391 ms without an answer')).toEqual([]);
    expect(values('person-name', 'a parcel for ms lefebvre')).toEqual(['lefebvre']);
  });

  it('finds a lone first name that is only a first name, not one that is a word', () => {
    expect(values('person-name', 'The courier came twice and Natalie was out both times.')).toEqual(
      ['Natalie'],
    );
    expect(values('person-name', 'Grace period ends soon; Bill to: Acme GmbH')).toEqual([]);
    expect(values('person-name', 'The Summer collection and the Joy perfume sold out.')).toEqual(
      [],
    );
  });

  it('leaves brands named after a product word, in either order', () => {
    expect(values('person-name', 'a bottle of Johnnie Walker Red Label')).toEqual([]);
    expect(values('person-name', "J'ai acheté une montre Michael Kors.")).toEqual([]);
    expect(values('person-name', 'Die Karl Lagerfeld Tasche kam kaputt an.')).toEqual([]);
  });
});

describe('addresses read back across more kinds of parts', () => {
  it.each([
    ['en', 'Unit 4, Meadow Business Park, Station Lane, Leeds LS9 8AB'],
    ['en', '22 Acacia Avenue, Hampstead, London NW3 6LP'],
    ['en', 'PO Box 55, Kingston upon Thames KT1 1AA'],
    ['de', 'Gewerbepark Ost, Industriestraße 4-6, 70565 Stuttgart'],
    ['de', 'Goethestr. 9, 60313 Frankfurt am Main'],
    ['fr', 'Bâtiment A, 3e étage, 7 rue Victor Hugo, 31000 Toulouse'],
    ['es', 'Calle Luna 3, bajo B, 29001 Málaga'],
    ['it', 'Viale Monza 40/C, scala A, interno 12, 20127 Milano'],
    ['nl', 'Weena 505 (12e verdieping), 3013 AL Rotterdam'],
  ])('%s: %s', (_lang, address) => {
    expect(values('street-address', `Ship it to ${address}. Thanks`)).toEqual([address]);
  });
});

describe('phones: trunk prefixes and numbers as written', () => {
  it('reads "+44 (0)…" without the trunk zero splitting the number', () => {
    expect(values('phone', 'call +44 (0)20 7946 0018 today', { region: 'GB' })).toEqual([
      '+44 (0)20 7946 0018',
    ]);
    expect(values('phone', 'Nummer: +49 (0)40 3344 5566', { region: 'DE' })).toEqual([
      '+49 (0)40 3344 5566',
    ]);
  });

  it('takes a possible number written with its prefix, not codes and article numbers', () => {
    expect(values('phone', "she's on 01632 960983 most days", { region: 'GB' })).toEqual([
      '01632 960983',
    ]);
    const iban = detectPii('IBAN NL91 ABNA 0417 1643 00', { region: 'NL' });
    expect(iban.map((s) => s.type)).toEqual(['iban']);
    expect(values('phone', 'Tracking 1Z 999 AA1 01 2345 6784', { region: 'GB' })).toEqual([]);
    expect(values('phone', 'Artikelnummer 100 245 87', { region: 'DE' })).toEqual([]);
    expect(values('phone', 'Vertragsnummer 2023-04-18-7731', { region: 'DE' })).toEqual([]);
  });
});

describe('dates of birth with words between the cue and the date', () => {
  it('reads the date after "born … on", "geboren wurde ich am", "nata a … il"', () => {
    expect(values('date-of-birth', 'Geboren wurde ich am 21. Mai 1979 in Kiel.')).toEqual([
      '21. Mai 1979',
    ]);
    expect(values('date-of-birth', 'Ich bin am 02.02.1990 geboren.')).toEqual(['02.02.1990']);
    expect(values('date-of-birth', 'sono nata a Torino il 5 luglio 1971')).toEqual([
      '5 luglio 1971',
    ]);
    expect(values('date-of-birth', 'born 1st of May 1985 in Leeds')).toEqual(['1st of May 1985']);
  });

  it('does not jump over a number to another date', () => {
    expect(values('date-of-birth', 'born in 1980, ordered on 12/03/2024')).toEqual([]);
  });
});
