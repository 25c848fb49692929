/**
 * Prompt-injection screening as a pure function of text: phrase rules for the three intents
 * (override the instructions, extract the system prompt, role-play out of the rules) run on a
 * normalised rendition of the text, in which look-alike letters are folded to Latin, invisible
 * characters are dropped and HTML entities / %xx escapes are decoded. Base64 and hex blobs,
 * Unicode tag characters and right-to-left overrides are decoded and scanned again. A phrase found
 * only thanks to that normalisation is itself evidence: nobody hides an innocent sentence.
 *
 * Every rule is a bounded regular expression (no nested unbounded quantifiers), so a scan is linear
 * in the text. Score = 1 - Π(1 - weight) over the signals, capped at 1; 0.5 and above is an attempt.
 * Workflow-safe: no Node built-ins, no Buffer, no TextDecoder.
 */
import type { InjectionKind, InjectionScan, InjectionSignal } from './types';

/** Decoded text is scanned again at most this deep (base64 of %-escapes is depth 2). */
const MAX_DEPTH = 2;
/** Weight of a phrase that only matched after folding look-alikes or dropping invisible characters. */
const OBFUSCATED_PHRASE = 0.75;
/** Weight of a base64 / hex / tag / reversed run whose decoded text holds an instruction. */
const DECODED_INSTRUCTION = 0.85;

// --- phrase rules ---------------------------------------------------------------------------------

/** `text` is the lower-cased view the rules run on; `cased` the same view before lower-casing. */
type Weigh = (
  m: RegExpExecArray,
  text: string,
  cased: string,
) => number | { weight: number; start: number };

interface RuleSpec {
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

const SPECS: RuleSpec[] = [
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

interface Rule extends Omit<RuleSpec, 're'> {
  re: RegExp;
}
/** Anchored rules are sticky (tried at one position); the others scan the whole text. */
const RULES: Rule[] = SPECS.map((s) => ({ ...s, re: new RegExp(s.re, s.at ? 'y' : 'g') }));
const FLOATING = RULES.filter((r) => !r.at);
const ANCHORS = [...new Set(RULES.flatMap((r) => r.at?.split(' ') ?? []))].sort(
  (a, b) => b.length - a.length,
);
const ANCHOR_RE = new RegExp(String.raw`\b(?:${ANCHORS.join('|')})`, 'g');
/** Rules to try where a word starts with `anchor` (longer anchors include the shorter ones). */
const RULES_AT = new Map(
  ANCHORS.map((anchor) => [
    anchor,
    RULES.filter((r) => r.at?.split(' ').some((a) => anchor.startsWith(a))),
  ]),
);

const NEGATED =
  /(?:\b(?:don['’]?t|do\s+not|never|not|didn['’]?t|won['’]?t|cannot|can['’]?t|shouldn['’]?t|must\s+not|ne|nicht|no)\s+|\bn['’])$/;
const ADDRESSED = /\b(?:you|u)\s+to\s+$/;
const NARRATED = [
  /\b(?:model|llm|chatbot|assistant|ai|bot|agent|system|it|them|models|llms|chatbots|assistants|agents)\s+(?:to\s+|into\s+)?$/,
  /\b(?:tries|try|trying|attempts?|attempting|designed|meant|intended|tricks?|tricked|causes?|forces?|forcing|convinces?|convinced|persuades?|persuaded)\s+(?:\S+\s+){0,3}?(?:to|into)\s+$/,
];

interface Hit {
  kind: InjectionKind;
  start: number;
  end: number;
  weight: number;
}

function weighHit(rule: Rule, m: RegExpExecArray, text: string, cased: string): Hit | undefined {
  const result = typeof rule.weigh === 'number' ? rule.weigh : rule.weigh(m, text, cased);
  let weight = typeof result === 'number' ? result : result.weight;
  const start = typeof result === 'number' ? m.index : result.start;
  if (rule.imperative && weight > 0) {
    const before = text.slice(Math.max(0, m.index - 48), m.index);
    if (NEGATED.test(before)) weight = 0;
    else if (!ADDRESSED.test(before) && NARRATED.some((re) => re.test(before))) weight *= 0.3;
  }
  return weight > 0 ? { kind: rule.kind, start, end: m.index + m[0].length, weight } : undefined;
}

function findPhrases(cased: string): Hit[] {
  const lower = cased.toLowerCase();
  // toLowerCase keeps UTF-16 offsets except for a few letters (İ); fall back to ASCII-only then.
  const text =
    lower.length === cased.length ? lower : cased.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  const hits: Hit[] = [];
  const add = (rule: Rule, m: RegExpExecArray | null): void => {
    const hit = m && weighHit(rule, m, text, cased);
    if (hit) hits.push(hit);
  };
  for (const anchor of text.matchAll(ANCHOR_RE)) {
    for (const rule of RULES_AT.get(anchor[0]) ?? []) {
      rule.re.lastIndex = anchor.index;
      add(rule, rule.re.exec(text));
    }
  }
  for (const rule of FLOATING) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) add(rule, m);
  }
  return hits;
}

// --- normalisation --------------------------------------------------------------------------------

const LOOKALIKE = 1;
const ENCODED = 2;
const HIDDEN = 4;

/** "xy xy …" → { x: 'y' }: compact tables of single characters. */
const pairs = (list: string): Record<string, string> =>
  Object.fromEntries(list.split(' ').map((p) => [p.slice(0, 1), p.slice(1)]));

/** Cyrillic, Greek and Armenian letters that render like Latin ones (from Unicode's confusables). */
const CONFUSABLES = pairs(
  'аa еe кk оo рp сc уy хx іi јj ѕs һh ԁd ԛq ԝw ӏl АA ВB ЕE КK МM НH ОO РP СC ТT ХX УY ІI ЈJ ЅS ' +
    'ԚQ ԜW ӀI αa οo ρp νv ιi κk υu χx ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX օo սu',
);
/** Latin-script variants folded without suspicion (Turkish dotless i, IPA letters, ligatures). */
const PLAIN_FOLDS = pairs('ıi ɡg ɑa ßss æae œoe');

const isHidden = (cp: number): boolean =>
  (cp >= 0x200b && cp <= 0x200f) ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2060 && cp <= 0x2069) ||
  cp === 0xfeff ||
  cp === 0x00ad ||
  cp === 0x180e ||
  (cp >= 0xe0000 && cp <= 0xe007f);

/** Fullwidth, mathematical and enclosed letters: NFKC turns them into ASCII letters or digits. */
const STYLED = (cp: number): boolean =>
  (cp >= 0xff01 && cp <= 0xff5e) ||
  (cp >= 0x1d400 && cp <= 0x1d7ff) ||
  (cp >= 0x2460 && cp <= 0x24ff) ||
  (cp >= 0x1f130 && cp <= 0x1f189);

interface Fold {
  text: string;
  lookalike: boolean;
}
const foldCache = new Map<number, Fold>();

function foldCodePoint(cp: number): Fold {
  const cached = foldCache.get(cp);
  if (cached) return cached;
  const ch = String.fromCodePoint(cp);
  let fold: Fold;
  const confusable = CONFUSABLES[ch];
  if (confusable) fold = { text: confusable, lookalike: true };
  else if (PLAIN_FOLDS[ch]) fold = { text: PLAIN_FOLDS[ch], lookalike: false };
  else {
    const compat = ch.normalize('NFKC');
    const styled = STYLED(cp) && /^[A-Za-z0-9]+$/.test(compat);
    // Strip accents in Latin, Greek and Cyrillic only (NFD would split Hangul into jamo).
    const bare =
      cp < 0x0530 || (cp >= 0x1e00 && cp <= 0x1fff)
        ? compat.normalize('NFD').replace(/\p{M}/gu, '')
        : compat;
    const again = bare.length === 1 ? CONFUSABLES[bare] : undefined;
    fold = { text: again ?? bare, lookalike: styled || again !== undefined };
  }
  foldCache.set(cp, fold);
  return fold;
}

/** The named entities worth decoding ("name" + character); numeric ones (&#105;) all are. */
const NAMED_ENTITIES: Record<string, string> = Object.fromEntries(
  [
    'amp& lt< gt> quot" apos\' nbsp\u00a0 ndash– mdash— hellip… lsquo‘ rsquo’ ldquo“ rdquo”',
    'pound£ euro€ copy© reg® trade™ szligß eacuteé egraveè agraveà ccedilç uumlü oumlö aumlä',
  ]
    .join(' ')
    .split(' ')
    .map((e) => [e.slice(0, -1), e.slice(-1)]),
);
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/y;
const PERCENT_RUN = /(?:%[0-9a-fA-F]{2})+/y;

/** What the view builder noticed about hidden characters, for the standalone signals. */
interface HiddenNotes {
  /** Zero-width characters between two ASCII letters. */
  inWords: number[];
  tagRuns: { start: number; end: number }[];
  /** U+202D / U+202E: text after them is displayed reversed. */
  overrides: number[];
  otherBidi: number;
}

/** The text as scanned: `text[i]` came from the input range `[from[i], to[i])`. */
interface View {
  text: string;
  from?: Int32Array;
  to?: Int32Array;
  flags?: Uint8Array;
  lookalikes: number;
  hidden: HiddenNotes;
}

const SPECIAL = /[&%\u0080-\uffff]/;
/** Characters the view does not copy as they are: entities, %-escapes, anything non-ASCII. */
const isSpecial = (c: number): boolean => c >= 0x80 || c === 0x26 || c === 0x25;
const isAsciiLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/** Appends view characters with their origin; typed arrays grown by doubling. */
class ViewBuilder {
  private parts: string[] = [];
  from: Int32Array;
  to: Int32Array;
  flags: Uint8Array;
  length = 0;
  /** HIDDEN when an invisible character was just dropped: marks the next character. */
  pending = 0;
  lookalikes = 0;

  constructor(capacity: number) {
    this.from = new Int32Array(capacity);
    this.to = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.from.length) return;
    const size = Math.max(this.from.length * 2, this.length + n);
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.from = grow(this.from, new Int32Array(size));
    this.to = grow(this.to, new Int32Array(size));
    this.flags = grow(this.flags, new Uint8Array(size));
  }

  /** Input `[a, b)` copied as is (ASCII without & or %). */
  copy(input: string, a: number, b: number): void {
    this.reserve(b - a);
    this.parts.push(input.slice(a, b));
    for (let k = a; k < b; k += 1) {
      this.from[this.length] = k;
      this.to[this.length] = k + 1;
      this.flags[this.length] = this.pending;
      this.pending = 0;
      this.length += 1;
    }
  }

  /** `s` (decoded or original text) standing for input `[a, b)`: folded, invisibles dropped. */
  emit(s: string, a: number, b: number, flag: number): void {
    for (let u = 0; u < s.length;) {
      const cp = s.codePointAt(u) ?? 0;
      u += cp > 0xffff ? 2 : 1;
      if (isHidden(cp)) {
        this.pending = HIDDEN;
        continue;
      }
      const f: Fold =
        cp < 0x80 ? { text: String.fromCharCode(cp), lookalike: false } : foldCodePoint(cp);
      if (f.lookalike) this.lookalikes += 1;
      this.reserve(f.text.length);
      this.parts.push(f.text);
      for (let k = 0; k < f.text.length; k += 1) {
        this.from[this.length] = a;
        this.to[this.length] = b;
        this.flags[this.length] = flag | this.pending | (f.lookalike ? LOOKALIKE : 0);
        this.pending = 0;
        this.length += 1;
      }
    }
  }

  text(): string {
    return this.parts.join('');
  }
}

function buildView(input: string): View {
  const hidden: HiddenNotes = { inWords: [], tagRuns: [], overrides: [], otherBidi: 0 };
  if (!SPECIAL.test(input)) return { text: input, lookalikes: 0, hidden };
  const out = new ViewBuilder(input.length + 16);
  let i = 0;
  while (i < input.length) {
    let next = i;
    while (next < input.length && !isSpecial(input.charCodeAt(next))) next += 1;
    if (next > i) {
      out.copy(input, i, next);
      i = next;
      continue;
    }
    const c = input.charCodeAt(i);
    if (c === 0x26) {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(input);
      const decoded = m ? decodeEntity(m) : undefined;
      if (m && decoded !== undefined) {
        out.emit(decoded, i, i + m[0].length, m[3] === undefined ? ENCODED : 0);
        i += m[0].length;
        continue;
      }
    } else if (c === 0x25) {
      PERCENT_RUN.lastIndex = i;
      const m = PERCENT_RUN.exec(input);
      if (m) {
        const bytes = fromHex(m[0]);
        out.emit(utf8(bytes) ?? latin1(bytes), i, i + m[0].length, ENCODED);
        i += m[0].length;
        continue;
      }
    } else {
      const cp = input.codePointAt(i) ?? c;
      const width = cp > 0xffff ? 2 : 1;
      noteHidden(input, i, cp, width, hidden);
      out.emit(input.slice(i, i + width), i, i + width, 0);
      i += width;
      continue;
    }
    out.copy(input, i, i + 1);
    i += 1;
  }
  const n = out.length;
  return {
    text: out.text(),
    from: out.from.subarray(0, n),
    to: out.to.subarray(0, n),
    flags: out.flags.subarray(0, n),
    lookalikes: out.lookalikes,
    hidden,
  };
}

function decodeEntity(m: RegExpExecArray): string | undefined {
  if (m[3] !== undefined) return NAMED_ENTITIES[m[3].toLowerCase()];
  const cp = m[1] !== undefined ? parseInt(m[1], 10) : parseInt(m[2] ?? '', 16);
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
}

function noteHidden(input: string, i: number, cp: number, width: number, notes: HiddenNotes): void {
  if (cp >= 0xe0000 && cp <= 0xe007f) {
    const last = notes.tagRuns[notes.tagRuns.length - 1];
    if (last && last.end === i) last.end = i + width;
    else notes.tagRuns.push({ start: i, end: i + width });
  } else if (cp === 0x202d || cp === 0x202e) notes.overrides.push(i);
  else if ((cp >= 0x202a && cp <= 0x202c) || (cp >= 0x2066 && cp <= 0x2069)) notes.otherBidi += 1;
  else if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff) {
    let next = i + width;
    while (next < input.length && isHidden(input.codePointAt(next) ?? 0)) next += 1;
    if (i > 0 && isAsciiLetter(input.charCodeAt(i - 1)) && isAsciiLetter(input.charCodeAt(next))) {
      notes.inWords.push(i);
    }
  }
}

const origin = (view: View, s: number, e: number): [number, number] =>
  view.from && view.to ? [view.from[s] ?? s, view.to[e - 1] ?? e] : [s, e];

function flagged(view: View, s: number, e: number, flag: number): boolean {
  if (!view.flags) return false;
  for (let i = flag === HIDDEN ? s + 1 : s; i < e; i += 1)
    if ((view.flags[i] ?? 0) & flag) return true;
  return false;
}

// --- decoding -------------------------------------------------------------------------------------

/** Strict UTF-8; undefined on a malformed sequence (binary data). */
function utf8(bytes: ArrayLike<number>): string | undefined {
  const out: string[] = [];
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const n =
      b < 0x80
        ? 0
        : b >= 0xc2 && b < 0xe0
          ? 1
          : b >= 0xe0 && b < 0xf0
            ? 2
            : b >= 0xf0 && b < 0xf5
              ? 3
              : -1;
    if (n < 0) return undefined;
    let cp = n === 0 ? b : b & (0x3f >> n);
    for (let k = 1; k <= n; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    out.push(String.fromCodePoint(cp));
    i += n + 1;
  }
  return out.join('');
}

const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (B64[c.charCodeAt(0)] = i));
B64[0x2d] = 62; // '-' (base64url)
B64[0x5f] = 63; // '_'

function fromBase64(s: string): number[] | undefined {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c === 0x3d || c === 0x0a || c === 0x0d) continue;
    const v = c < 128 ? (B64[c] ?? -1) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  return bytes;
}

const latin1 = (bytes: number[]): string => bytes.map((b) => String.fromCharCode(b)).join('');
const fromHex = (s: string): number[] =>
  (s.match(/[0-9a-fA-F]{2}/g) ?? []).map((h) => parseInt(h, 16));

/** Mostly printable text with some letters; binary (images, hashes, keys) is not. */
function printable(text: string | undefined): text is string {
  if (text === undefined || text.length < 6 || !/[A-Za-z0-9\u00c0-\uffff]{2}/.test(text))
    return false;
  let ok = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (
      (c >= 0x20 && c !== 0x7f && (c < 0x80 || c >= 0xa0) && c !== 0xfffd) ||
      c === 9 ||
      c === 10 ||
      c === 13
    )
      ok += 1;
  }
  return ok / text.length >= 0.9;
}

/** Decoding is only attempted on this much of a blob: instructions are short, images are not. */
const MAX_BLOB = 8192;
/** Spaced hex bytes ("49 67 6e …"); printable ASCII bytes all start with a digit 2-7. */
const SPACED_HEX =
  /(?<![0-9A-Za-z])[2-7][0-9a-fA-F][ :](?:[0-9a-fA-F]{2}[ :]){6,}[0-9a-fA-F]{2}(?![0-9A-Za-z])/g;
const ESCAPED_HEX = /(?:\\x[0-9a-fA-F]{2}){4,}/g;
const isBase64Char = (c: number): boolean => c < 128 && (B64[c] ?? -1) >= 0;

/**
 * Runs of 16+ base64 (or base64url, or hex) characters, with their padding and any lines they
 * wrap onto. A loop rather than a regular expression: it is the one pass over every character.
 */
function blobRuns(input: string): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < input.length) {
    if (!isBase64Char(input.charCodeAt(i))) {
      i += 1;
      continue;
    }
    const start = i;
    while (i < input.length && isBase64Char(input.charCodeAt(i))) i += 1;
    if (i - start < 16) continue;
    let end = i;
    for (;;) {
      while (end < input.length && end - i < 2 && input.charCodeAt(end) === 0x3d) end += 1;
      let next = end + (input.charCodeAt(end) === 0x0d ? 1 : 0);
      if (input.charCodeAt(next) !== 0x0a) break;
      next += 1;
      let line = next;
      while (line < input.length && isBase64Char(input.charCodeAt(line))) line += 1;
      if (line - next < 4) break;
      end = i = line;
    }
    runs.push([start, end]);
    i = end;
  }
  for (const re of [SPACED_HEX, ESCAPED_HEX]) {
    for (const m of input.matchAll(re)) runs.push([m.index, m.index + m[0].length]);
  }
  return runs;
}

function decodeBlob(blob: string): string | undefined {
  const s = blob.slice(0, MAX_BLOB);
  const hexDigits = s.replace(/^0x|\\x|[ :]/g, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(hexDigits) && (hexDigits.length >= 16 || s.includes('\\x'))) {
    const text = utf8(fromHex(hexDigits));
    if (printable(text)) return text;
    if (!/^[A-Za-z0-9+/]+$/.test(s)) return undefined;
  }
  const bytes = fromBase64(s.length % 4 === 1 ? s.slice(0, -1) : s);
  const text = bytes && utf8(bytes);
  return printable(text) ? text : undefined;
}

// --- scan -----------------------------------------------------------------------------------------

const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;
const TEXT_KINDS = new Set<InjectionKind>([
  'ignore-instructions',
  'system-prompt-extraction',
  'role-play',
  'encoded-payload',
]);

/** Scans `decoded` (which came from input[start, end)) and reports what it holds at that span. */
function rescan(
  decoded: string,
  start: number,
  end: number,
  depth: number,
  kind: InjectionKind,
  base: number,
): InjectionSignal[] {
  const inner = (depth < MAX_DEPTH ? scan(decoded, depth + 1) : []).filter(
    (s) => TEXT_KINDS.has(s.kind) && s.weight >= 0.3,
  );
  const signals: InjectionSignal[] = inner.map((s) => ({
    kind: s.kind,
    start,
    end,
    weight: s.weight,
  }));
  const weight = inner.length > 0 ? DECODED_INSTRUCTION : base;
  if (weight > 0) signals.push({ kind, start, end, weight });
  return signals;
}

function scan(input: string, depth: number): InjectionSignal[] {
  const view = buildView(input);
  const signals: InjectionSignal[] = [];
  for (const hit of findPhrases(view.text)) {
    const [start, end] = origin(view, hit.start, hit.end);
    signals.push({ kind: hit.kind, start, end, weight: hit.weight });
    if (hit.weight < 0.3) continue;
    if (flagged(view, hit.start, hit.end, LOOKALIKE)) {
      signals.push({ kind: 'look-alike-characters', start, end, weight: OBFUSCATED_PHRASE });
    }
    if (flagged(view, hit.start, hit.end, HIDDEN)) {
      signals.push({ kind: 'invisible-characters', start, end, weight: OBFUSCATED_PHRASE });
    }
    if (flagged(view, hit.start, hit.end, ENCODED)) {
      signals.push({ kind: 'encoded-payload', start, end, weight: DECODED_INSTRUCTION });
    }
  }
  // Words mixing Latin with Cyrillic/Greek look-alikes ("pаypal"): weak alone, common in attacks.
  if (view.lookalikes > 0 && view.flags) signals.push(...mixedScriptWords(view, view.flags));
  signals.push(...hiddenSignals(input, view.hidden, depth));
  if (depth < MAX_DEPTH) {
    for (const [start, end] of blobRuns(input)) {
      const decoded = decodeBlob(input.slice(start, end));
      if (decoded !== undefined) {
        signals.push(...rescan(decoded, start, end, depth, 'encoded-payload', 0));
      }
    }
  }
  return signals;
}

/** At most this many weak signals (or hidden runs rescanned) of one kind: the score saturates. */
const MAX_WEAK = 12;
/** Right-to-left override spans longer than this are not reversed and rescanned. */
const MAX_REVERSED = 2000;

function mixedScriptWords(view: View, flags: Uint8Array): InjectionSignal[] {
  const signals: InjectionSignal[] = [];
  const letter = (i: number): boolean => isAsciiLetter(view.text.charCodeAt(i));
  for (let i = 0; i < flags.length && signals.length < MAX_WEAK; i += 1) {
    if (!((flags[i] ?? 0) & LOOKALIKE) || !letter(i)) continue;
    let start = i;
    let end = i;
    while (start > 0 && letter(start - 1)) start -= 1;
    while (end < flags.length && letter(end)) end += 1;
    let fake = 0;
    for (let k = start; k < end; k += 1) fake += (flags[k] ?? 0) & LOOKALIKE;
    if (fake < end - start) {
      const [a, b] = origin(view, start, end);
      signals.push({ kind: 'look-alike-characters', start: a, end: b, weight: 0.1 });
    }
    i = end;
  }
  return signals;
}

function hiddenSignals(input: string, notes: HiddenNotes, depth: number): InjectionSignal[] {
  const signals: InjectionSignal[] = [];
  let wordEnd = -1;
  for (const i of notes.inWords) {
    if (i < wordEnd) continue;
    if (signals.length >= MAX_WEAK) break;
    let start = i;
    while (start > 0 && isAsciiLetter(input.charCodeAt(start - 1))) start -= 1;
    wordEnd = i;
    const inWord = (c: number): boolean => isAsciiLetter(c) || isHidden(c);
    while (wordEnd < input.length && inWord(input.charCodeAt(wordEnd))) wordEnd += 1;
    signals.push({ kind: 'invisible-characters', start, end: wordEnd, weight: 0.1 });
  }
  for (const run of notes.tagRuns.slice(0, MAX_WEAK)) {
    const smuggled = [...input.slice(run.start, run.end)]
      .map((c) => (c.codePointAt(0) ?? 0) - 0xe0000)
      .filter((c) => c >= 0x20 && c < 0x7f)
      .map((c) => String.fromCharCode(c))
      .join('');
    // Subdivision flags (🏴 + tags + cancel tag) are the one legitimate use of tag characters.
    const flag = input.codePointAt(run.start - 2) === 0x1f3f4 && /^[a-z0-9]{2,7}$/.test(smuggled);
    if (flag) continue;
    signals.push(...rescan(smuggled, run.start, run.end, depth, 'invisible-characters', 0.6));
  }
  const rtl = notes.overrides.length > 0 || notes.otherBidi > 0 ? RTL.test(input) : true;
  for (const at of notes.overrides.slice(0, MAX_WEAK)) {
    // Reversed display runs to the closing PDF / PDI or the end of the line.
    const window = input.slice(at + 1, at + 1 + MAX_REVERSED);
    const close = window.search(/[\u202a-\u202e\u2066-\u2069\n]/);
    const end = at + 1 + (close < 0 ? window.length : close);
    const logical = [...input.slice(at + 1, end)].reverse().join('');
    const base = rtl ? 0.1 : 0.3;
    signals.push(...rescan(logical, at, end, depth, 'invisible-characters', base));
  }
  if (notes.otherBidi > 0 && !rtl) {
    const at = input.search(/[\u202a-\u202c\u2066-\u2069]/);
    signals.push({ kind: 'invisible-characters', start: at, end: at + 1, weight: 0.15 });
  }
  return signals;
}

/** Same-kind signals over overlapping spans are one piece of evidence: keep the strongest. */
function dedupe(signals: InjectionSignal[]): InjectionSignal[] {
  const sorted = [...signals].sort((a, b) => a.start - b.start || b.weight - a.weight);
  const kept: InjectionSignal[] = [];
  const open = new Map<InjectionKind, { best: InjectionSignal; end: number }>();
  for (const s of sorted) {
    const cluster = open.get(s.kind);
    if (cluster && s.start < cluster.end) {
      cluster.end = Math.max(cluster.end, s.end);
      if (s.weight > cluster.best.weight) cluster.best = s;
      continue;
    }
    if (cluster) kept.push(cluster.best);
    open.set(s.kind, { best: s, end: s.end });
  }
  for (const cluster of open.values()) kept.push(cluster.best);
  return kept.sort((a, b) => a.start - b.start || b.weight - a.weight);
}

export function detectInjection(text: string): InjectionScan {
  const signals = dedupe(scan(text, 0));
  const clean = signals.reduce((p, s) => p * (1 - s.weight), 1);
  return { score: Math.min(1, Math.round((1 - clean) * 1000) / 1000), signals };
}
