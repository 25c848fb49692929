/**
 * Phone numbers, read by libphonenumber-js's own text scanning with the tenant's region (then the
 * ticket's language's country) as the default country, so national formats count: `020 7946 0321`
 * in the UK, `030 2345 6789` in Germany, `06 12 34 56 78` in France. A `00` international prefix
 * is read as `+`. libphonenumber joins numbers separated by a comma, so it is only shown digit
 * groups that a cheap pre-filter cut out of the text, one number each.
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { before, span, type Detector } from './pii-scan';
import type { PiiSpan } from './types';

/** "order #", "tracking no.", "invoice": the number that follows is an identifier, not PII. */
export const ID_CONTEXT =
  /(?:\b(?:order|tracking|invoice|inv|ref(?:erence)?|ticket|case|sku|isbn|po|confirmation|shipment|parcel|serial|part|article|item|contract|account|customer|build|version|id|bestellung|rechnung|auftrag|artikel|vertrag|commande|facture|pedido|factura|contrato|bestelling|factuur|ordine|fattura|contratto)|(?:bestell|artikel|kunden|vertrags|rechnungs|auftrags|sendungs|serien|vorgangs|order|klant|factuur|contract)(?:nummer|nr))\b[\s#:.]*(?:no\.?|nr\.?|num(?:ber|éro|ero)?|n[°º]|id|#)?[\s#:.]*$/iu;

const PHONE_CONTEXT =
  /(?:phone|tel|mobile|cell|call|ring|fax|whatsapp|sms|text|reach|dial|contact|handy|telefon|mobil|festnetz|rufen|anrufen|erreichbar|portable|joindre|appel|téléphone|teléfono|móvil|movil|llam|fijo|bel|mobiel|telefoon|telefono|cellulare|chiama)/i;
const DATE_SHAPE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;

/**
 * Digit groups shaped like a phone number: an optional `+` or `00`, an optional `(area)`, then
 * groups joined by one space, or by `-`, `.` or `/` with optional spaces around it; an extension.
 */
const PHONE_CANDIDATE =
  /(?<![\w+.,/-])(?:\+[ \t]?\d{1,3}[ \t]?\(0\)[ \t]?|\+[ \t]?)?(?:\(\d{1,5}\)[ \t]?)?\d{1,12}(?:(?:[ \t]?[-./][ \t]?|[ \t])\(?\d{1,8}\)?){0,7}(?:[ \t]*(?:ext\.?|x|#)[ \t]*\d{1,5})?(?![\w-]|[.,]\d)/g;

/** The country whose numbers a ticket in this language most likely holds. */
const LANGUAGE_COUNTRY: Record<string, CountryCode> = {
  en: 'GB',
  de: 'DE',
  fr: 'FR',
  es: 'ES',
  nl: 'NL',
  it: 'IT',
  pt: 'PT',
};

const asCountry = (region: string): CountryCode => region.toUpperCase() as CountryCode;

export const detectPhones: Detector = (text, { region, language }) => {
  const countries = [asCountry(region)];
  const second = language ? LANGUAGE_COUNTRY[language.toLowerCase()] : undefined;
  if (second && second !== countries[0]) countries.push(second);
  const spans: PiiSpan[] = [];
  for (const c of text.matchAll(PHONE_CANDIDATE)) {
    const digits = c[0].replace(/[ \t]*(?:ext\.?|x|#)[ \t]*\d+$/, '').replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    if (DATE_SHAPE.test(c[0]) || /^\d+(?:\.\d+){3}$/.test(c[0])) continue;
    if (ID_CONTEXT.test(before(text, c.index, 24))) continue;
    // `00` is the international prefix of every supported country but the US: same length as ' +'.
    // The trunk `(0)` after a country code ("+44 (0)20 …") is not dialled: blanked, same length.
    const candidate = (c[0].startsWith('00') ? ` +${c[0].slice(2)}` : c[0]).replace(
      /\(0\)[ \t]?/,
      (t) => ' '.repeat(t.length),
    );
    const international = /^(?:\+|00)/.test(c[0]);
    let best: PiiSpan | undefined;
    for (const country of countries) {
      for (const m of findPhoneNumbersInText(candidate, {
        defaultCountry: country,
        extended: true,
      })) {
        const start =
          c.index + m.startsAt + (candidate[m.startsAt] === '+' && c[0][0] === '0' ? -1 : 0);
        const keyword = PHONE_CONTEXT.test(before(text, start, 40));
        // A possible (not valid) number written with its international or trunk prefix and in
        // groups ("0044 7700 900 512", "01632 960 457") is a phone number as written.
        const written = international || (/^0\d/.test(c[0]) && /\d[ \t]\d/.test(c[0]));
        // …unless it continues a code ("1Z 999 AA1 01 2345 6784", "NL92 ABNA 0417 1643 00"): the word
        // before mixes letters and digits or is in capitals.
        const code = /(?:[A-Za-z]\w*\d|\d\w*[A-Za-z]|\b[A-Z]{2,})\w*[ \t]*$/.test(
          before(text, c.index, 16),
        );
        const possible = m.number.isPossible() && written && !code;
        const confidence = m.number.isValid() ? 0.9 : keyword ? 0.6 : possible ? 0.55 : 0.4;
        if (!best || confidence > best.confidence) {
          best = span('phone', text, start, c.index + m.endsAt, confidence);
        }
      }
      if (best && best.confidence >= 0.9) break;
    }
    if (best) spans.push(best);
  }
  return spans;
};
