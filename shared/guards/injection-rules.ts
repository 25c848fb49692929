/**
 * The phrase rules of prompt-injection screening: for each intent (override the instructions,
 * extract the system prompt, role-play out of the rules, decode-and-obey), bounded regular
 * expressions over the lower-cased, normalised text, the word starts they are anchored at, and how
 * each match is weighed. `injection.ts` compiles and runs them.
 */
import type { InjectionKind } from './types';

/** `text` is the lower-cased view the rules run on; `cased` the same view before lower-casing. */
export type Weigh = (
  m: RegExpExecArray,
  text: string,
  cased: string,
) => number | { weight: number; start: number };

export interface RuleSpec {
  kind: InjectionKind;
  /**
   * Space-separated word starts with which every match begins. The rule is only tried where one of
   * them occurs (one pass over the text finds them all), instead of at every position: most text
   * holds few of them, and forty full passes over 10 KB cost milliseconds.
   */
  at?: string;
  /** Source of a regular expression over lower-cased text; bounded quantifiers only. */
  re: string;
  weigh: number | Weigh;
  /** Imperative phrasing: dropped after a negation, discounted when narrated ("the model to …"). */
  imperative?: boolean;
}

const IGNORE_VERB = String.raw`ignore|disregard|forget|skip|override|overrule|bypass|neglect|abandon|discard|never\s+mind|nevermind|pay\s+no\s+attention\s+to|set\s+aside`;
const IGNORE_MOD = String.raw`about|all|any|every|each|of|the|your|these|those|my|our|its|their|previous|previously|prior|above|earlier|preceding|foregoing|former|original|initial|old|existing|current|other|system|developer|given|safety|content|ethical|moral|default|hidden|internal|aforementioned|openai's|openai|anthropic`;
const RULE_NOUN = String.raw`instructions?|directions|directives?|rules|guidelines|guidance|prompts?|commands|orders|constraints|restrictions|limitations|programming|policies|policy|context|training|conditioning|system\s+(?:message|prompt)`;
const OWN = /\b(?:my|our)\b/;
const THIRD = /\b(?:its|their)\b/;
const STRONG_MOD =
  /\b(?:all|any|every|your|previous|previously|prior|above|earlier|preceding|foregoing|former|original|initial|system|developer|safety|hidden|internal|aforementioned|content|ethical|moral|openai'?s?|anthropic)\b/;
/** Nouns that IT text also pairs with "all" ("bypass all restrictions for admins"). */
const SOFT_NOUN = /^(?:constraints|restrictions|limitations|policies|policy|context|training)/;
const SOFT_STRONG_MOD =
  /\b(?:your|previous|prior|above|earlier|system|safety|content|ethical|moral|openai'?s?|anthropic)\b/;

const EXTRACT_VERB = String.raw`reveal|print|repeat|show|display|output|tell|give|share|disclose|leak|dump|list|write\s+out|write\s+down|recite|provide|return|echo|expose|spell\s+out|summari[sz]e|translate|paste|copy|quote|type\s+out|read\s+back|send|describe`;
const EXTRACT_AT =
  'reveal print repeat show display output tell give share disclose leak dump list write recite provide return echo expose spell summari translate paste copy quote type read send describe';
const EXTRACT_MOD = String.raw`all|of|the|your|full|entire|exact|complete|whole|original|initial|hidden|secret|internal|verbatim|raw|text|contents?|wording|first\s+\d+\s+(?:words|lines|characters)`;
const EXTRACT_TARGET = String.raw`(?:system|developer|hidden|secret|initial|original|internal|pre-?)\s*(?:prompt|message|instructions?|rules|configuration|directives?)|prompt|instructions|rules|configuration|guidelines`;
const SECRET_MOD =
  /\b(?:full|entire|exact|complete|whole|original|initial|hidden|secret|internal|verbatim|raw|system|developer|pre-?prompt)\b/;

const AI_NOUN =
  /\b(?:ai|a\.i\.|assistant|model|chatbot|bot|llm|gpt|chatgpt|claude|persona|character|version|mode|dan|ia|ki)\b/;
const ROLE_VERB =
  /\b(?:pretend|imagine|act|role-?play|roleplay|simulate|play|behave|respond|answer|reply|you\s+are|you['’]re|become|be|du\s+bist|bist\s+du|sei|tu\s+es|vous\s+etes|sois|fais\s+semblant|faites\s+semblant|finge|finja|eres|imagina|actua|interpreta)\b/g;
const PRETEND_VERB =
  /^(?:pretend|imagine|act|role-?play|roleplay|simulate|fais|faites|finge|finja|imagina|actua|interpreta)/;
const NO_LIMITS = String.raw`\b(?:(?:without|with\s+no|free\s+(?:of|from)|no\s+longer\s+(?:bound|restricted|limited)\s+by|not\s+bound\s+by|ignoring)\s+(?:(?:any|all|your|the|its|ethical\s+or|moral\s+or)\s+){0,4}(?:restrictions?|limits|limitations|filters?|censorship|rules|guidelines|ethics|morals|boundaries|content\s+polic(?:y|ies)|safety|safeguards|guardrails|ethical|moral|policies|constraints)|unfiltered|uncensored|unrestricted|jailbroken|amoral|no\s+(?:ethical|moral)\s+(?:guidelines|constraints|limits|principles)|no\s+content\s+polic(?:y|ies)|no\s+(?:restrictions|limits|filters|rules|guidelines|limitations|boundaries|safety\s+filters)|ohne\s+(?:jegliche\s+|alle\s+|irgendwelche\s+)?(?:einschrankungen|beschrankungen|filter|regeln|grenzen|zensur|richtlinien|moral)|ungefiltert|unzensiert|uneingeschrankt|sans\s+(?:aucune?\s+)?(?:restrictions?|limites?|filtres?|censure|regles|limitations?)|sin\s+(?:ninguna\s+|ningun\s+)?(?:restricciones|restriccion|limites|filtros?|censura|reglas|limitaciones))`;

/** A role verb earlier in the same sentence; stronger with "pretend"-like verbs or an AI noun. */
const rolePlayWindow: Weigh = (m, text) => {
  const from = Math.max(0, m.index - 100);
  const before = text.slice(from, m.index);
  const cut = Math.max(before.lastIndexOf('.'), before.lastIndexOf('!'), before.lastIndexOf('\n'));
  let verb: RegExpExecArray | undefined;
  for (const v of before.slice(cut + 1).matchAll(ROLE_VERB)) {
    if (!verb || PRETEND_VERB.test(v[0])) verb = v;
  }
  if (!verb) return 0;
  const start = from + cut + 1 + verb.index;
  const strong =
    PRETEND_VERB.test(verb[0]) || AI_NOUN.test(text.slice(start, m.index + m[0].length));
  return { weight: strong ? 0.85 : 0.3, start };
};

const AI_CONTEXT =
  /\b(?:chatgpt|gpt|ai|assistant|llm|language\s+model)\b|content\s+polic|censor|generate\s+any|you\s+ignore|\b(?:no|without)\s+(?:any\s+)?(?:restrictions|filters|censorship|limits)/;
/** "developer mode" is Android's too: only strong when the AI or its policies are in sight. */
const modeWindow: Weigh = (m, text) => {
  const window = text.slice(Math.max(0, m.index - 150), m.index + m[0].length + 150);
  return AI_CONTEXT.test(window) ? 0.8 : 0.2;
};

/** Weight from the words just before the match (rules that start at their noun). */
const lookBehind =
  (required: RegExp, strong: RegExp, weights: [number, number]): Weigh =>
  (m, text) => {
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    if (!required.test(before)) return 0;
    return strong.test(before) || m[1] !== undefined ? weights[0] : weights[1];
  };
const DAN_PREFIX =
  /(?:you\s+are\s+(?:now\s+)?|you['’]re\s+(?:now\s+)?|act\s+as|\bas|\bbe|become|to\s+be|called|named|i\s+am|\bhi|hello)\s+$/;

export const SPECS: RuleSpec[] = [
  // ignore-instructions
  {
    kind: 'ignore-instructions',
    at: 'ignore disregard forget skip override overrule bypass neglect abandon discard never nevermind pay set',
    re: String.raw`\b(?:${IGNORE_VERB})\s+((?:(?:${IGNORE_MOD})\s+){0,5})(${RULE_NOUN})\b(\s+(?:above|before|so\s+far|(?:that\s+)?you\s+(?:were|have\s+been|got)\s+given|given\s+(?:to\s+you|above|before|earlier)|you\s+received))?`,
    weigh: (m) => {
      const mods = m[1] ?? '';
      if (OWN.test(mods)) return 0;
      if (THIRD.test(mods)) return 0.2;
      const strong = (SOFT_NOUN.test(m[2] ?? '') ? SOFT_STRONG_MOD : STRONG_MOD).test(mods);
      return strong || m[3] ? 0.85 : 0.45;
    },
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignore disregard forget never',
    re: String.raw`\b(?:ignore|disregard|forget|never\s+mind)\s+(?:everything|anything|all\s+(?:of\s+)?(?:that|this))\b[^.!?\n]{0,40}?(?:\babove\b|\bso\s+far\b|\bbefore\s+this\b|\byou(?:\s+were|['’]ve\s+been|\s+have\s+been)\s+(?:told|given|taught|instructed)\b|\byour\s+instructions\b)`,
    weigh: 0.75,
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignore disregard forget',
    re: String.raw`\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?the\s+above\b`,
    weigh: 0.3,
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignore disregard forget',
    re: String.raw`\b(?:ignore|disregard|forget)\b[^.!?\n]{0,60}?\band\s+instead\s+(?:reply|respond|say|output|print|write|tell|answer|translate|do)\b`,
    weigh: 0.6,
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'new updated revised real actual true additional override secret hidden',
    re: String.raw`\b(?:new|updated|revised|real|actual|true|additional|override|secret|hidden)\s+(system\s+)?(?:instructions?|directives?|task|orders|prompt)\s*:`,
    weigh: (m) => (m[1] ? 0.6 : 0.45),
  },
  {
    kind: 'ignore-instructions',
    at: 'from starting henceforth for',
    re: String.raw`\b(?:from\s+now\s+on|starting\s+now|from\s+this\s+(?:moment|point)(?:\s+on)?|henceforth|for\s+the\s+rest\s+of\s+(?:this|the)\s+conversation)\s*,?\s+(?:you\s+(?:will|must|shall|should|are\s+going\s+to|have\s+to|can)|you['’]ll|you\s+are|you['’]re)\s+(?:only\s+|always\s+|never\s+|now\s+|not\s+)?(?:act|behave|respond|reply|answer|speak|talk|write|obey|follow|ignore|pretend|be\s+(?:called|known|named)|refer|role-?play|play|output|say|comply|do\s+(?:whatever|anything|everything))\b`,
    weigh: 0.7,
  },
  {
    kind: 'ignore-instructions',
    at: 'do don never stop no you',
    re: String.raw`\b(?:do\s+not|don['’]?t|never|stop|no\s+need\s+to|you\s+(?:do\s+not|don['’]?t|no\s+longer)\s+(?:have|need)\s+to)\s+(?:follow(?:ing)?|obey(?:ing)?|adhere\s+to|comply\s+with|respect(?:ing)?|abide\s+by|apply(?:ing)?)\s+((?:(?:your|the|any|those|these|its|their|all|of|previous|prior|above|safety|content|ethical|usual|normal|openai's|anthropic's)\s+){0,4})(?:guidelines|rules|instructions|policies|restrictions|programming|training|filters|content\s+polic(?:y|ies)|principles|ethics)\b`,
    weigh: (m) => {
      const mods = m[1] ?? '';
      if (THIRD.test(mods)) return 0.2;
      return /\b(?:your|previous|prior|above|safety|content|ethical|usual|openai's|anthropic's)\b/.test(
        mods,
      )
        ? 0.8
        : 0.45;
    },
  },
  {
    kind: 'ignore-instructions',
    at: 'rules guidelines restrictions instructions policies filters limitations guardrails',
    re: String.raw`\b(?:rules|guidelines|restrictions|instructions|policies|filters|limitations|guardrails)()\s+(?:no\s+longer|don['’]?t|do\s+not|does\s+not|won['’]?t|will\s+not)\s+(?:apply|matter|exist|bind\s+you|count)\b`,
    weigh: lookBehind(
      /\b(?:your|the|all|any|these|those|previous|prior)\s+(?:[a-z]+\s+){0,2}$/,
      /\byour\s+(?:[a-z]+\s+){0,2}$/,
      [0.8, 0.45],
    ),
  },
  {
    kind: 'ignore-instructions',
    at: 'instructions rules prompt guidelines directives',
    re: String.raw`\b(?:instructions|rules|prompts?|guidelines|directives)(\s+(?:above|before))?\s+(?:are|is|were|have\s+been|has\s+been)\s+(?:now\s+)?(?:void|cancel+ed|invalid|obsolete|outdated|revoked|overridden|overruled|null|superseded|no\s+longer\s+(?:valid|in\s+effect|applicable|relevant))\b`,
    weigh: lookBehind(
      /\b(?:previous|prior|above|earlier|old|original|initial|all|your|the|these|those|system)\s+(?:[a-z]+\s+){0,2}$/,
      /\b(?:previous|prior|above|earlier|original|initial|your|system)\s+(?:[a-z]+\s+){0,2}$/,
      [0.45, 0.25],
    ),
  },
  {
    kind: 'ignore-instructions',
    at: 'treat consider regard',
    re: String.raw`\b(?:treat|consider|regard)\s+(?:(?:all|the|your|any)\s+)?(?:earlier|previous|prior|above|original|initial|system)\s+(?:instructions|guidance|rules|guidelines|directives|prompt)\s+as\s+(?:cancel+ed|void|obsolete|invalid|null|revoked|withdrawn|irrelevant|superseded)\b`,
    weigh: 0.75,
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'your',
    re: String.raw`\byour\s+(?:real|actual|true|new)\s+(?:job|task|purpose|goal|mission)\s+is\b`,
    weigh: 0.35,
  },
  {
    kind: 'ignore-instructions',
    at: 'follow obey use apply',
    re: String.raw`\b(?:follow|obey|use|apply)\s+(?:only\s+)?(?:these|the\s+following|my|the)\s+(?:new\s+)?(?:instructions|rules|directives|orders)\s+instead\b|\b(?:follow|obey)\s+only\s+(?:me|my\s+instructions|the\s+instructions\s+in\s+this)\b`,
    weigh: 0.45,
  },
  {
    kind: 'ignore-instructions',
    // Chat-template tokens pasted into content; not words, so scanned everywhere.
    re: String.raw`<\|(?:im_start|im_end|system|endoftext)\|>|\[\/?inst\]|<<\/?sys>>|###\s*(?:system|instruction)s?\s*:`,
    weigh: 0.5,
  },
  {
    kind: 'ignore-instructions',
    at: 'assistant ai model chatbot llm gpt chatgpt claude',
    re: String.raw`\b(?:assistant|ai|model|chatbot|llm|gpt|chatgpt|claude)\s+(?:must|should|shall|is\s+(?:required|instructed)\s+to|has\s+to)\b`,
    weigh: 0.3,
  },
  {
    kind: 'ignore-instructions',
    at: 'ai llm gpt language chatbot assistant note',
    re: String.raw`\b(?:ai|llm|gpt|language\s+model|chatbot|assistant)s?(?:\s+(?:agents?|models?|assistants?|systems?|tools?))?\s*,?\s*(?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|reviewing|screening)\s+(?:this|these|the\s+following)\b|\bnote\s+to\s+(?:the\s+|any\s+)?(?:ai|llm|assistant|model|chatbot|language\s+model)\b`,
    weigh: 0.45,
  },
  {
    kind: 'ignore-instructions',
    at: 'when if',
    re: String.raw`\b(?:when|if)\s+(?:you\s+are\s+|you['’]re\s+)?asked\s+(?:about|for|to\s+summari[sz]e|what)\b[^.!?\n]{0,60}?,?\s+(?:say|answer|reply|respond|tell|state|claim|output)\b`,
    weigh: 0.4,
  },
  {
    kind: 'ignore-instructions',
    at: 'reply respond answer output print say write pwn',
    re: String.raw`\b(?:reply|respond|answer|output|print|say|write)\s+(?:only|just|simply|exactly)\s+(?:with\s+)?["'“‘«]|\bpwn(?:ed|3d)\b`,
    weigh: 0.35,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignore oublie ne',
    re: String.raw`\b(?:ignore[rz]?|oublie[rz]?|ne\s+tenez\s+pas\s+compte\s+d[e'])\s+((?:(?:toutes|toute|tous|les|tes|vos|ces|des|de|la|le|l')\s*){0,3})(?:instructions?|consignes?|regles?|directives?|ordres)(\s+(?:precedentes?|anterieures?|ci-dessus|initiales?|du\s+systeme))?`,
    weigh: (m) => (m[2] || /\b(?:toutes|tous|tes|vos)\b/.test(m[1] ?? '') ? 0.85 : 0.45),
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignorier vergiss vergessen missachte',
    re: String.raw`\b(?:ignorier(?:e|en|t)?|vergiss|vergessen|missachte)\s+((?:(?:sie|alle|alles|die|deine|ihre|samtliche|bisherigen|vorherigen|vorigen|obigen|fruheren|vorangegangenen|ursprunglichen)\s+){0,4})(?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)\b|\bvergiss\s+alles\b[^.!?\n]{0,40}?\b(?:gesagt|vorher|zuvor|bisher|oben)\b`,
    weigh: (m) =>
      m[1] === undefined ||
      /\b(?:alle|samtliche|bisherigen|vorherigen|vorigen|obigen|fruheren|deine|ursprunglichen)\b/.test(
        m[1],
      )
        ? 0.85
        : 0.45,
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'ignora ignore olvid omit descarta',
    re: String.raw`\b(?:ignora|ignore|ignoren|olvida|olvide|olviden|omite|omita|descarta)\s+((?:(?:todas|todos|las|los|tus|sus|mis|de|el|la)\s+){0,3})(?:instrucciones|reglas|directrices|indicaciones|ordenes|normas)\b(\s+(?:anteriores|previas|iniciales|del?\s+sistema))?|\bolvida\s+todo\b[^.!?\n]{0,40}?\b(?:anterior|antes|dijeron|dicho|instrucciones)\b`,
    weigh: (m) => {
      if (m[1] === undefined) return 0.75;
      if (/\bmis\b/.test(m[1])) return 0;
      return m[2] || /\b(?:todas|todos|tus|sus)\b/.test(m[1]) ? 0.85 : 0.45;
    },
    imperative: true,
  },
  {
    kind: 'ignore-instructions',
    at: 'partir desormais dorenavant ab von desde',
    re: String.raw`\b(?:partir\s+de\s+maintenant|desormais|dorenavant)\s*,?\s+(?:tu|vous)\s+(?:vas|allez|dois|devez|es|etes|ne|n')|\b(?:ab\s+jetzt|von\s+nun\s+an|ab\s+sofort)\s*,?\s+(?:bist\s+du|wirst\s+du|sollst\s+du|musst\s+du|antwortest\s+du|ignorierst\s+du|du\s+bist)|\b(?:partir\s+de\s+ahora|desde\s+ahora)\s*,?\s+(?:eres|vas\s+a|debes|responderas|seras)\b`,
    weigh: 0.6,
  },
  // system-prompt-extraction
  {
    kind: 'system-prompt-extraction',
    at: EXTRACT_AT,
    re: String.raw`\b(?:${EXTRACT_VERB})\s+(?:me\s+|us\s+)?((?:(?:${EXTRACT_MOD})\s+){0,5})(${EXTRACT_TARGET})\b(\s+(?:verbatim|word\s+for\s+word|above|you\s+(?:were|have\s+been)\s+given|you\s+received|(?:that\s+)?you\s+follow))?`,
    weigh: (m) => {
      const mods = m[1] ?? '';
      const target = m[2] ?? '';
      if (THIRD.test(mods)) return 0.2;
      const secret = SECRET_MOD.test(mods) || SECRET_MOD.test(target) || m[3] !== undefined;
      // "Send me your instructions for the return" is a customer; "your prompt" is not.
      if (/\byour\b/.test(mods)) return secret || /^prompt/.test(target) ? 0.85 : 0.45;
      if (/\bthe\b/.test(mods) || mods === '') {
        if (/^system\s*prompt/.test(target)) return SECRET_MOD.test(mods) ? 0.8 : 0.45;
        return secret ? 0.75 : 0;
      }
      return secret ? 0.6 : 0;
    },
    imperative: true,
  },
  {
    kind: 'system-prompt-extraction',
    at: 'what which prompt instructions',
    re: String.raw`\bwhat\s+(?:were|are|was|have)\s+you\s+(?:told|instructed|given|programmed)\s+(?:before|earlier|initially|at\s+the\s+(?:start|beginning)|to\s+do\s+by|by\s+(?:your|the)\s+(?:developers?|creators?|operators?))|\b(?:what|which)\s+(?:instructions|rules|directives|prompt)\s+(?:were\s+you|have\s+you\s+been|did\s+you|you\s+were|you\s+have\s+been)\s+(?:given|told|receive|get)\b|\b(?:prompt|instructions)\s+you\s+(?:were|have\s+been)\s+(?:initiali[sz]ed|started|configured|programmed|seeded)\s+with\b`,
    weigh: 0.65,
  },
  {
    kind: 'system-prompt-extraction',
    at: 'what first last',
    re: String.raw`\bwhat\s+(?:is|are|was|were)\s+your\s+(system\s+prompt|(?:initial|original|hidden|secret|system)\s+(?:instructions|prompt|rules|message)|instructions|prompt)\b|\b(?:first|last)\s+\d+\s+(?:words|lines|characters|sentences|tokens)\s+of\s+(?:your|the\s+system)\s+(?:prompt|instructions|message|system\s+prompt)`,
    weigh: (m) => (m[1] !== undefined && /^(?:instructions|prompt)$/.test(m[1]) ? 0.45 : 0.85),
  },
  {
    kind: 'system-prompt-extraction',
    at: EXTRACT_AT,
    re: String.raw`\b(?:${EXTRACT_VERB})\s+(?:me\s+)?(everything|all(?:\s+(?:of\s+)?the\s+(?:text|words|content|messages?))?|the\s+(?:text|words|content|messages?|lines?))\s+(?:(?:that\s+)?(?:appears?|is\s+written|was\s+written|you\s+(?:saw|see|have|received))\s+)?(?:above|before|prior\s+to|preceding|so\s+far|from\s+the\s+(?:start|beginning))\b`,
    // "Repeat the text above" is also a reader who missed it; "everything above" rarely is.
    weigh: (m) => (/^(?:everything|all)/.test(m[1] ?? '') ? 0.75 : 0.45),
    imperative: true,
  },
  {
    kind: 'system-prompt-extraction',
    at: 'starting',
    re: String.raw`\bstarting\s+with\s+(?:the\s+(?:phrase|words?)\s+)?["'“‘]?you\s+are\b`,
    weigh: 0.6,
  },
  {
    kind: 'system-prompt-extraction',
    at: 'affiche montre revele donne repete ecris imprime dis zeig gib nenne wiederhole verrate schreib druck muestra revela dime repite escribe ensename dame',
    re: String.raw`\b(?:affiche|montre|revele|donne|repete|ecris|imprime|dis)(?:[- ]?moi)?\s+(?:ton|ta|tes|votre|vos|le|la|les)\s+(prompt|consignes|instructions|regles)(\s+(?:systeme|initiales?|d'origine|cachees?|secretes?))?|\b(?:zeig(?:e)?|gib|nenne|wiederhole|verrate|schreib(?:e)?|drucke?)\s+(?:mir\s+)?(?:(?:deinen|deine|dein|den|die|das|alle|versteckten|geheimen|ursprunglichen|ersten)\s+){1,3}(system-?prompt|systemanweisungen|anweisungen|regeln|prompt|instruktionen)|\b(?:muestra(?:me)?|revela(?:me)?|dime|repite|imprime|escribe|ensename|dame)\s+(?:tu|tus|el|los|las|la)\s+(prompt|instrucciones|reglas|mensaje)(\s+(?:del?\s+sistema|iniciales|originales|ocultas|secretas))?`,
    weigh: (m) => {
      const target = m[1] ?? m[3] ?? m[4] ?? '';
      return m[2] || m[5] || /prompt|system/.test(target) ? 0.8 : 0.45;
    },
    imperative: true,
  },
  // role-play
  {
    kind: 'role-play',
    at: 'without with free no not ignoring unfiltered uncensored unrestricted jailbroken amoral ohne ungefiltert unzensiert uneingeschrankt sans sin',
    re: NO_LIMITS,
    weigh: rolePlayWindow,
  },
  {
    kind: 'role-play',
    at: 'dan',
    re: String.raw`\bdan\b`,
    // Upper-case only ("Hi Dan" is a colleague), and addressed ("you are DAN") to count.
    weigh: (m, text, cased) => {
      if (cased.slice(m.index, m.index + 3) !== 'DAN') return 0;
      const prefix = DAN_PREFIX.exec(text.slice(Math.max(0, m.index - 24), m.index));
      return prefix ? { weight: 0.6, start: m.index - prefix[0].length } : 0.15;
    },
  },
  { kind: 'role-play', at: 'do', re: String.raw`\bdo\s+anything\s+now\b`, weigh: 0.45 },
  {
    kind: 'role-play',
    at: 'stands',
    re: String.raw`\bstands\s+for\s+["'“‘]?do\s+anything\s+now`,
    weigh: 0.8,
  },
  { kind: 'role-play', at: 'developer', re: String.raw`\bdeveloper\s+mode\b`, weigh: modeWindow },
  {
    kind: 'role-play',
    at: 'enable enter activate switch you',
    re: String.raw`\b(?:enable|enter|activate|switch\s+to|you\s+are\s+(?:now\s+)?in)\s+(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|dan)\s+mode\b`,
    weigh: 0.75,
  },
  {
    kind: 'role-play',
    at: 'dan jailbr',
    re: String.raw`\b(?:dan|jailbreak|jailbroken)\s+mode\b`,
    weigh: 0.6,
  },
  {
    kind: 'role-play',
    at: 'you tu du ya',
    re: String.raw`\byou(?:\s+are|['’]re)\s+(?:no\s+longer|not)\s+(?:an?\s+)?(?:ai|assistant|language\s+model|chatbot|llm|chatgpt|claude|bound\s+by|restricted|limited|required\s+to\s+follow)|\btu\s+n['’]es\s+plus\s+une?\s+(?:ia|assistant)|\bdu\s+bist\s+(?:keine?\s+(?:ki|assistent)\s+mehr|nicht\s+mehr\s+an)|\bya\s+no\s+eres\s+una?\s+(?:ia|asistente)`,
    weigh: 0.85,
  },
  {
    kind: 'role-play',
    at: 'freed liberated released unshackled unchained broken',
    re: String.raw`\b(?:freed|liberated|released|unshackled|unchained|broken\s+free)\s+(?:from|of)\s+(?:\S+\s+){0,3}?(?:limitations|restrictions|rules|policies|guidelines|confines|constraints|programming|filters|shackles|chains)\b`,
    weigh: 0.6,
  },
  { kind: 'role-play', at: 'jailbr', re: String.raw`\bjailbr(?:eak|oken|eaking)\b`, weigh: 0.3 },
  { kind: 'role-play', at: 'stay', re: String.raw`\bstay\s+in\s+character\b`, weigh: 0.3 },
  {
    kind: 'role-play',
    at: 'respond answer reply once never don do will won can without',
    re: String.raw`\b(?:respond|answer|reply)\s+(?:twice|in\s+two\s+ways|with\s+two\s+(?:responses|answers))|\bonce\s+as\s+yourself\s+and\s+once\s+as\b|\b(?:never|don['’]?t|do\s+not|will\s+not|won['’]?t|cannot|can['’]?t)\s+refuse\b|\bwithout\s+(?:any\s+)?(?:warnings|disclaimers|refusals|moralizing|moralising)\b`,
    weigh: 0.35,
  },
  {
    kind: 'role-play',
    at: 'act pretend roleplay role play',
    re: String.raw`\b(?:act|pretend|roleplay|role-play|play)\s+(?:to\s+be\s+|as\s+)?(?:my\s+)?(?:late|deceased|dead)\s+(?:grand(?:mother|ma|father|pa)|mother|father)\b`,
    weigh: 0.55,
  },
  // encoded-payload: the request to decode and obey
  {
    kind: 'encoded-payload',
    at: 'decode decipher unscramble',
    re: String.raw`\b(?:decode|decipher|unscramble)\s+(?:(?:this|the\s+following|it|these\s+bytes)(?:\s+\S+){0,3}\s+)?and\s+(?:then\s+)?(?:follow|execute|obey|run|do|act\s+on|carry\s+out|apply)\b`,
    weigh: 0.4,
  },
];
