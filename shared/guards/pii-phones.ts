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
  /\b(?:order|tracking|invoice|inv|ref(?:erence)?|ticket|case|sku|isbn|po|confirmation|shipment|parcel|serial|part|build|version|id|bestellung|rechnung|kundennummer|auftrag|commande|facture|pedido|factura|bestelling|factuur|ordine|fattura)\b[\s#:.]*(?:no\.?|nr\.?|num(?:ber|éro|ero)?|n[°º]|id|#)?[\s#:.]*$/i;

const PHONE_CONTEXT =
  /(?:phone|tel|mobile|cell|call|ring|fax|whatsapp|sms|text|reach|dial|contact|handy|telefon|mobil|festnetz|rufen|anrufen|erreichbar|portable|joindre|appel|téléphone|teléfono|móvil|movil|llam|fijo|bel|mobiel|telefoon|telefono|cellulare|chiama)/i;
const DATE_SHAPE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;

/**
 * Digit groups shaped like a phone number: an optional `+` or `00`, an optional `(area)`, then
 * groups joined by one space, or by `-`, `.` or `/` with optional spaces around it; an extension.
 */
const PHONE_CANDIDATE =
  /(?<![\w+.,/-])(?:\+[ \t]?)?(?:\(\d{1,5}\)[ \t]?)?\d{1,12}(?:(?:[ \t]?[-./][ \t]?|[ \t])\(?\d{1,8}\)?){0,7}(?:[ \t]*(?:ext\.?|x|#)[ \t]*\d{1,5})?(?![\w-]|[.,]\d)/g;

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
    const candidate = c[0].startsWith('00') ? ` +${c[0].slice(2)}` : c[0];
    let best: PiiSpan | undefined;
    for (const country of countries) {
      for (const m of findPhoneNumbersInText(candidate, {
        defaultCountry: country,
        extended: true,
      })) {
        const start =
          c.index + m.startsAt + (candidate[m.startsAt] === '+' && c[0][0] === '0' ? -1 : 0);
        const keyword = PHONE_CONTEXT.test(before(text, start, 40));
        const confidence = m.number.isValid() ? 0.9 : keyword ? 0.6 : 0.4;
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
