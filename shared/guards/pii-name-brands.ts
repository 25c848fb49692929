/**
 * Brands and products that contain a person's name, so that the name detector leaves them:
 * "Dr. Martens", "Jack Daniel's", "a Tommy Hilfiger jacket", "le parfum Jean Paul Gaultier".
 */
import type { PiiSpan } from './types';

/**
 * Brands and products that contain a name: "Dr. Martens", "Jack Daniel's", and a name followed by
 * a product word or preceded by an article ("a Tommy Hilfiger jacket", "the Calvin Klein belt").
 */
const BRANDS = new Set(
  (
    'martens|jack daniel|ben & jerry|tommy hilfiger|calvin klein|hugo boss|louis vuitton|' +
    'marie claire|jack wolfskin|jack wills|tim hortons|victoria beckham|ralph lauren|' +
    'giorgio armani|jean paul gaultier|yves saint laurent|yves rocher|carolina herrera|' +
    'martha stewart|pepe jeans|albert heijn|douwe egberts|dolce|marks|spencer|victoria|' +
    'mercedes|ford|tommy|oetker|scholl|pepper|seuss|oz|who|strange|dre|phil|ruth|' +
    'victoria secret|betty crocker|estée lauder|ted baker|paul smith|stella mccartney'
  ).split('|'),
);
const MULTI_WORD_BRANDS = [...BRANDS].filter((b) => b.includes(' '));
const PRODUCT_AFTER =
  /^(?:['’]s)?[ \t]+(?:(?:black|red|blue|gold|green|double black) label|tasche|uhr|hemd|kleid|brille|rucksack|pullover|montre|lunettes|veste|robe|gafas|reloj|vestido|orologio|occhiali|scarpe|giacca|tas|horloge|jurk|bril|boots?|shoes?|jacket|belt|bag|handbag|whiske?y|bourbon|gift|cooler|perfume|parfum|magazine|coat|dress|jeans|cookware|store|shop|boutique|watch|sneakers|zapatillas|jacke|schuhe|sac|bolso|borsa|profumo|koffiemachine|wallpaper|mug|set|card|brand|collection|outlet|app|account)\b/iu;
/** A product named before the brand: "une montre Michael Kors", "scarpe Salvatore Ferragamo". */
const PRODUCT_BEFORE =
  /(?:^|[^\p{L}])(?:(?:bottles?|glass|case|box|pair|tin|pack|jar)[ \t]+of|watch|bag|handbag|perfume|shoes|boots|jacket|dress|sunglasses|glasses|scarf|wallet|belt|coat|tasche|uhr|parfum|schuhe|jacke|kleid|brille|hemd|flasche|montre|sac|chaussures|robe|lunettes|veste|ceinture|bouteille|bolso|reloj|gafas|zapatos|zapatillas|vestido|colonia|vaqueros|cinturón|cartera|botella|borsa|orologio|profumo|scarpe|vestito|occhiali|giacca|cintura|bottiglia|horloge|schoenen|jurk|bril|jas|riem|fles)[ \t]+$/iu;
const ARTICLE_BEFORE =
  /(?:\b(?:a|an|the|my|our|some|ein|eine|einen|un|une|le|la|les|el|los|las|een|de|het|uno|una|il|lo)|\d+)[ \t]+$/iu;

export function isBrand(text: string, s: PiiSpan): boolean {
  const value = s.value.toLowerCase().replace(/['’]s$/, '');
  if (BRANDS.has(value)) return true;
  // A brand of several words in or around the span: "Paul Gaultier" in "Jean Paul Gaultier".
  const around = text.slice(Math.max(0, s.start - 24), s.end + 24).toLowerCase();
  const offset = Math.max(0, s.start - 24);
  for (const b of MULTI_WORD_BRANDS) {
    for (let at = around.indexOf(b); at >= 0; at = around.indexOf(b, at + 1)) {
      if (offset + at < s.end && offset + at + b.length > s.start) return true;
    }
  }
  const after = text.slice(s.end, s.end + 24);
  const beforeText = text.slice(Math.max(0, s.start - 8), s.start);
  if (PRODUCT_AFTER.test(after)) return true;
  if (PRODUCT_BEFORE.test(text.slice(Math.max(0, s.start - 24), s.start))) return true;
  return /['’]s$/.test(text.slice(s.start, s.end + 2)) && ARTICLE_BEFORE.test(beforeText);
}
