/**
 * Person names found by the words around them rather than by a title or an introduction: a
 * relation or a role before the name ("my son Jack", "ma voisine mme blanc", "mein Kollege Jan",
 * "someone called Summer Reyes", "her name is hope lindqvist", "let Will know"), a lower-case
 * title ("mme blanc"), casual sign-offs ("thanks, tom", "Danke, Mareike Stolz", "Viele Grüße aus
 * Köln\nlena schmitt"), and a first name that is only a first name standing alone ("Rachel,
 * please…"). Six languages; what the name detector's lexicon says decides, as in pii-names.ts.
 */
import { matchAt, span, sticky } from './pii-scan';
import type { PiiSpan } from './types';

/** What pii-names.ts knows about a word, handed in (it owns compromise's lexicon). */
export interface NameLexicon {
  /** A first name of the lexicon, any case. */
  isFirstName(word: string): boolean;
  /** A first name and nothing else in the lexicon ("Rachel" yes; "Will", "Rose", "Jan" no). */
  isOnlyFirstName(word: string): boolean;
  /** A capitalised word that starts sentences or names a team, a day, a thing. */
  notName(word: string): boolean;
  /** A place, an organisation, a time. */
  placeOrThing(word: string): boolean;
  /** Can the word after a first name be a surname ("Callahan", "Baker"; not "Period")? */
  surname(word: string): boolean;
}

/**
 * Given names that are ordinary words ("Joy", "Hope", "Summer"): first names for every rule,
 * so "Joy Patterson" is a pair; the surname check still rejects "Grace Period".
 */
export const WORD_FIRST_NAMES = (
  'joy hope faith grace summer dawn robin rose iris ivy holly daisy lily violet ruby pearl jade ' +
  'autumn heather crystal penny sandy hunter chase wren rosa paloma pilar rocío dolores ' +
  'esperanza consuelo stella serena viola roos fleur sterre'
).split(' ');
const WORD_NAMES = new Set(WORD_FIRST_NAMES);
/** Words that are first names only after a cue ("let Will know", "ask for may"): not in pairs. */
const CUE_ONLY_FIRST_NAMES = new Set(
  'will frank mark bill art may june april jan sky river sage sol luz max sunny'.split(' '),
);
/** Common first names of the six languages that compromise's English lexicon does not hold. */
export const MORE_FIRST_NAMES = (
  'kees joost bram daan sem roel hein henk gerrit wim theo ruud bas jeroen maarten niels thijs stijn lars koen marloes ' +
  'ilse inge mieke marieke anouk lieke eva fenna noor tess julia mareike anke silke frauke ' +
  'kerstin heike jens sönke malte lasse torsten sven dirk holger rüdiger matthias yannick ' +
  'gaëlle maëlle margaux solène anaïs théo mathis clément timothée enzo lorenzo luca matteo ' +
  'andrea simone davide gianluca pietro chiara federica valentina elisa ilaria jorge iñaki ' +
  'íñigo álvaro begoña ainhoa itziar nerea irene marta lucía ' +
  'jörg jürgen günter dieter uwe wolfgang annegret ulrike katrin sabine birgit petra ute tobias lukas jonas leon finn felix maximilian lena lea hannah marie sophie élodie béatrice hélène céline aurélie amélie mathilde camille manon chloé léa françois rené jérôme stéphane andré thierry olivier nicolas julien mathieu maría josé andrés rocío inés sofía javier alejandro sergio pablo jesús carmen pilar dolores mercedes nuria sanne fleur lotte femke pieter wouter ruben giulia francesca alessandro giuseppe giovanni francesco alessia martina niccolò nicolò siobhan saoirse aoife niamh'
).split(' ');

const PARTICLES = 'van|von|de|der|den|del|della|di|da|du|dos|das|le|la|ter|ten|zu|y';
const PARTICLE_WORDS = new Set(PARTICLES.split('|'));
const CAPITAL_NAME = `\\p{Lu}[\\p{L}'’-]+(?:[ \\t]+(?:(?:${PARTICLES})[ \\t]+){0,2}\\p{Lu}[\\p{L}'’-]+){0,2}`;
const LOWER_NAME = `\\p{Ll}[\\p{Ll}'’-]+(?:[ \\t]+\\p{Ll}[\\p{Ll}'’-]+){0,2}`;

/** Each word's first letter in either case: the cue words, matched without the `i` flag. */
const ci = (phrase: string): string =>
  phrase.replace(/(?<=^|[ |(:])\p{Ll}/gu, (c) => `[${c.toUpperCase()}${c}]`);

const RELATIONS =
  'son|daughter|wife|husband|partner|mom|mum|mother|dad|father|brother|sister|nan|gran|grandma|grandmother|grandfather|grandad|aunt|uncle|cousin|neighbou?r|colleague|co-?worker|boss|manager|assistant|friend|flatmate|roommate|tenant|landlord|landlady|accountant|sohn|tochter|frau|mann|mutter|vater|bruder|schwester|oma|opa|nachbarin|nachbar|kollegin|kollege|chefin|chef|freundin|freund|partnerin|fils|fille|femme|mari|mère|père|frère|sœur|soeur|voisine|voisin|collègue|amie?|compagnon|compagne|conjointe?|comptable|hij[oa]|mujer|esposa|esposo|marido|madre|padre|herman[oa]|vecin[oa]|compañer[oa]|jef[ea]|amig[oa]|pareja|zoon|dochter|vrouw|moeder|vader|broer|zus|buurman|buurvrouw|collega|baas|vriendin|vriend|figli[oa]|moglie|marito|fratello|sorella|vicin[oa]|capo|amic[oa]|compagn[oa]';
/** A relation or role, then the name: "my son Jack", "ma voisine, Mme Blanc", "mia madre, Rosa". */
const RELATION_CUE = `(?:my|our|your|his|her|mein|meine|meinem|meiner|unser|unsere|unserem|unserer|mon|ma|notre|mi|nuestr[oa]|mijn|onze|mio|mia|nostr[oa]|la mia|il mio)[ \\t]+(?:late[ \\t]+|verstorbene[nr]?[ \\t]+|)(?:${RELATIONS})`;
/** Phrases after which a name follows, whatever the word ("someone called Summer Reyes"). */
const PHRASE_CUE =
  '(?:someone|somebody|a guy|a lady|a man|a woman|a person)[ \\t]+(?:called|named)|(?:her|his|their|whose) name is|au nom de|a nombre de|a nome di|intestat[oa] a|op naam van|im namen von|auf den namen';
/** Phrases after which only a first name is a name ("let Will know", "it's dawn from"). */
const WEAK_CUE = "it's|it is|let|tell|c'est|transmets à|transmis à|hier ist (?:der|die)";
const CUED = new RegExp(
  `(?<![\\p{L}])(?:(${ci(RELATION_CUE)}|${ci(PHRASE_CUE)})|(${ci(WEAK_CUE)}))(?:[ \\t]*,)?[ \\t]+(${CAPITAL_NAME}|${LOWER_NAME})`,
  'gu',
);
/**
 * A title in lower case before a lower-case name: "mme blanc", "herr krüger". After a number it
 * is a unit, not a title: "1000 ms elapsed", "after 391 ms without an answer".
 */
const LOWER_TITLE =
  /(?<![A-Za-z\u00c0-\u024f])(?<!\d[ \t]*)(?:mme|mlle|mr|mrs|ms|herr|frau|sra|sr|señora|señor|signora|sig\.ra|mevrouw|meneer|mevr|dhr)\.?[ \t]+([a-z\u00df-\u00ff][a-z\u00df-\u00ff'’-]+)/g;
const STOP = new Set(
  (
    'and or at in on from with for to the a an is was will who please but because since as know ' +
    'und oder bei aus von der die das ist hat et ou à de du des est a y o en del es e di da il ' +
    'la lo of bij van het is que qui che che non not no'
  ).split(' '),
);

const SIGN_OFFS = [
  'thanks',
  'thank you',
  'thanks again',
  'many thanks',
  'cheers',
  'ta',
  'thx',
  'best',
  'danke',
  'vielen dank',
  'viele grüße',
  'liebe grüße',
  'herzliche grüße',
  'beste grüße',
  'grüße',
  'lg',
  'merci',
  'bisous',
  'gracias',
  'un abrazo',
  'abrazos',
  'un saludo',
  'saludos',
  'besos',
  'grazie',
  'un saluto',
  'saluti',
  'ciao',
  'baci',
  'bedankt',
  'dank je',
  'groetjes',
  'groeten',
  'groet',
  'met vriendelijke groet(?:en)?',
  'vriendelijke groet(?:en)?',
  'mit freundlichen grüßen',
  '(?:kind|best|warm) regards',
  'regards',
  'cordialement',
  'bien à vous',
  'atentamente',
  'saludos cordiales',
  'cordiali saluti',
  'distinti saluti',
].map(ci);
const SIGN_OFF = new RegExp(
  `(?:^|\\n|[.!?][ \\t]+)[ \\t]*(?:${SIGN_OFFS.join('|')})(?:[ \\t]+(?:aus|from|de|desde|da|uit|von)[ \\t]+\\p{Lu}[\\p{L}-]+)?[ \\t]*[,!.]?(?:[ \\t]*\\r?\\n[ \\t]*|[ \\t]+)(${CAPITAL_NAME}|${LOWER_NAME})[ \\t]*(?=$|\\r?\\n|[,|.!]|[ \\t][-–—(])`,
  'gu',
);
/**
 * Where CUED can start: its first word, found by a cheap scan without Unicode properties (CUED,
 * under `iu`, is then tried only there: matchAt).
 */
const CUED_AT = sticky(CUED);
const CUE_HEAD =
  /(?<![A-Za-z\u00c0-\u024f])(?:my|our|your|his|her|their|whose|mein|meine[mnr]?|unser|unsere[mnr]?|mon|ma|notre|mi|nuestr[oa]|mijn|onze|mio|mia|nostr[oa]|some(?:one|body)|a (?:guy|lady|man|woman|person|nombre|nome)|au nom|intestat[oa]|op naam|im namen|auf den|it's|it is|let|tell|c'est|transmi[st]|hier ist)[ \t]/gi;
/** A capitalised word alone (Latin letters): no capitalised word right before or after it. */
const LONE_CAPITAL =
  /(?<![A-Za-z\u00c0-\u024f'’-])[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+(?![A-Za-z\u00c0-\u024f'’-])/g;

/**
 * The name's words as far as they look like a name: after a first name that is a first name, a
 * capitalised word, or in a lower-case name a word the lexicon knows as a name or does not know.
 */
function nameWords(
  raw: string,
  lex: NameLexicon,
  anyCapital: boolean,
): { length: number } | undefined {
  const words = [...raw.matchAll(/[\p{L}'’-]+/gu)];
  const first = words[0]?.[0];
  if (!first || lex.notName(first)) return undefined;
  const capital = /^\p{Lu}/u.test(first);
  if (!capital && STOP.has(first)) return undefined;
  if (!lex.isFirstName(first) && !(capital && anyCapital && !lex.placeOrThing(first))) {
    return undefined;
  }
  let last = 0;
  for (let i = 1; i < words.length; i += 1) {
    const w = words[i]![0];
    if (PARTICLE_WORDS.has(w)) continue;
    if (lex.notName(w) || (!capital && STOP.has(w))) break;
    const ok = capital
      ? /^\p{Lu}/u.test(w)
      : /^\p{Ll}/u.test(w) && (lex.isFirstName(w) || lex.surname(w));
    if (!ok) break;
    last = i;
  }
  return { length: words[last]!.index + words[last]![0].length };
}

export function cuedNames(text: string, lexicon: NameLexicon): PiiSpan[] {
  const lex: NameLexicon = {
    ...lexicon,
    isFirstName: (w) => lexicon.isFirstName(w) || CUE_ONLY_FIRST_NAMES.has(w.toLowerCase()),
  };
  const spans: PiiSpan[] = [];
  const add = (start: number, raw: string, anyCapital: boolean, confidence: number): void => {
    const n = nameWords(raw, lex, anyCapital);
    if (n) spans.push(span('person-name', text, start, start + n.length, confidence));
  };
  const cueStarts = [...text.matchAll(CUE_HEAD)].map((m) => m.index);
  for (const m of matchAt(CUED_AT, text, cueStarts)) {
    add(m.index + m[0].length - m[3]!.length, m[3]!, m[1] !== undefined, 0.6);
  }
  for (const m of text.matchAll(LOWER_TITLE)) {
    const word = m[1]!;
    if (STOP.has(word) || lex.placeOrThing(word)) continue;
    const start = m.index + m[0].length - word.length;
    spans.push(span('person-name', text, start, start + word.length, 0.6));
  }
  for (const m of text.matchAll(SIGN_OFF)) {
    const raw = m[1]!;
    // One capitalised word after "Thanks" is a name only when it is a first name.
    add(m.index + m[0].lastIndexOf(raw), raw, /\s/.test(raw.trim()), 0.6);
  }
  for (const m of text.matchAll(LONE_CAPITAL)) {
    if (!lexicon.isOnlyFirstName(m[0])) continue;
    const word = m[0].toLowerCase();
    if (CUE_ONLY_FIRST_NAMES.has(word) || WORD_NAMES.has(word) || lex.notName(m[0])) continue;
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 3);
    const before = text.slice(Math.max(0, m.index - 32), m.index);
    if (/^[ \t]+\p{Lu}/u.test(after) || /\p{Lu}[\p{L}'’-]*[ \t]+$/u.test(before)) continue;
    spans.push(span('person-name', text, m.index, m.index + m[0].length, 0.55));
  }
  return spans;
}
