/**
 * Structural signals of prompt injection, beyond phrase lists, in English, French, German, Spanish,
 * Italian and Portuguese: text addressed to "the AI" inside pasted content, spoofed role tags and
 * delimiters, fake transcripts, claimed authority and modes, requests for the reader's secrets or
 * setup, markdown / HTML that would carry data out through a URL, and sentences that void the
 * operator's rules (injection-override.ts). Each is a bounded pattern over the lower-cased,
 * accent-folded view; `injection.ts` adds them to the phrase rules' signals and score.
 */
import { overrideSentences } from './injection-override';
import type { InjectionKind } from './types';
import {
  g,
  MODEL_WORDS,
  MODEL,
  NOTE,
  VOCATIVE,
  DET,
  MODEL_SUFFIX,
  READING,
  MODEL_TAG,
  USER_TAG,
  ASSISTANT_LINE,
  ESCALATION,
  ROLE_TAG,
  PLACEHOLDER,
  FILL_IN,
  IN_REPLY,
} from './injection-structure-vocab';

export interface StructuralHit {
  kind: InjectionKind;
  start: number;
  end: number;
  weight: number;
}

interface Pattern {
  kind: InjectionKind;
  /**
   * Substrings one of which the text must hold for the pattern to be tried (or a test of the
   * text): `includes` is far cheaper than a regular expression with many alternatives tried at
   * every position, and most patterns are skipped on most text.
   */
  needs: readonly string[] | ((text: string) => boolean);
  re: RegExp;
  /** A weight, or one computed from the match, the lower-cased text and the cased one. */
  weigh: number | ((m: RegExpExecArray, text: string, cased: string) => number);
}

function exfiltrationWeight(m: RegExpExecArray, text: string, cased: string): number {
  const url = cased.slice(m.index, m.index + m[0].length);
  if (PLACEHOLDER.test(url)) return 0.75;
  const around = text.slice(Math.max(0, m.index - 200), m.index + m[0].length + 120);
  if (FILL_IN.test(around)) return 0.75;
  return IN_REPLY.test(around) ? 0.6 : 0.3;
}

const PATTERNS: Pattern[] = [
  // Addressed to the model as a third party reading the text.
  {
    kind: 'addressed-to-model',
    needs: MODEL_WORDS,
    re: g(
      String.raw`\b(?:${NOTE}|${VOCATIVE})\s+(?:${DET})?${MODEL}${MODEL_SUFFIX}\b(${READING})?`,
    ),
    // "Hi assistant, my parcel…" is a customer talking to the bot; "any AI reading this" is not.
    weigh: (m) => (new RegExp(String.raw`^${VOCATIVE}\b`).test(m[0]) && !m[1] ? 0.3 : 0.5),
  },
  {
    kind: 'addressed-to-model',
    needs: MODEL_WORDS,
    re: g(
      String.raw`\b(?:to|for|as|an|fur|pour|para|per)\s+(?:${DET})?${MODEL}${MODEL_SUFFIX}\b(?:${READING}|\s*:(?=\s))`,
    ),
    weigh: (m) =>
      /:$/.test(m[0]) ? (/\b(?:ai|ia|ki|assistant|llm|chatbot)\s*:$/.test(m[0]) ? 0.45 : 0) : 0.5,
  },
  {
    kind: 'addressed-to-model',
    needs: [...MODEL_WORDS, 'summarising', 'summarizing', 'reading', 'processing'],
    re: g(
      String.raw`\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|language\s+model|llm|chatbot|bot|assistant|summari[sz]ing|reading\s+this|processing\s+this)\b`,
    ),
    weigh: 0.5,
  },
  { kind: 'addressed-to-model', re: g(MODEL_TAG), weigh: 0.45, needs: MODEL_WORDS },
  // Spoofed turns, role tags, delimiters.
  {
    kind: 'spoofed-delimiter',
    needs: ['assistant', 'assistent', 'asistente', 'assistente', 'bot', 'ai', 'ia', 'ki'],
    re: g(ASSISTANT_LINE),
    weigh: (m, text) => {
      const turn = ESCALATION.test(m[1] ?? '') ? 0.6 : 0.25;
      return new RegExp(USER_TAG).test(text) ? turn : turn / 2;
    },
  },
  {
    kind: 'spoofed-delimiter',
    needs: (text) => text.includes('<'),
    re: ROLE_TAG,
    weigh: (m) =>
      /system|systeme|sistema|admin|operator|instruction/.test(m[1] ?? '')
        ? 0.55
        : m[0].startsWith('</')
          ? 0.25
          : 0.1,
  },
  {
    kind: 'spoofed-delimiter',
    needs: (text) =>
      /[=\-#*]{2}|\[/.test(text) && /\b(?:end|begin|start|system|operator|admin)\b/.test(text),
    re: g(
      String.raw`(?:[=\-#*]{2,}|\[)\s*(?:end|begin|start)\s+(?:of\s+)?(?:the\s+)?(?:ticket|user|customer|conversation|input|document|operator|system|admin|developer)(?:\s+(?:content|input|text|message|instructions|prompt))?|\b(?:end|begin|start)\s+of\s+(?:the\s+)?(?:ticket|user|customer|conversation|input|document)(?:\s+(?:content|input|text|message))?\s*(?:[=\-#*\]]{2,}|\])|(?:^|\n)\s*(?:[=\-#*]{2,}|\[)\s*(?:system|operator|admin)(?:\s+(?:instructions|message|prompt))?\s*(?:[=\-#*\]]{2,}|\]|\n|$)`,
    ),
    weigh: 0.5,
  },
  {
    kind: 'spoofed-delimiter',
    needs: ['role'],
    re: g(String.raw`["']role["']\s*:\s*["'](?:system|assistant|developer)["']`),
    weigh: 0.6,
  },
  {
    kind: 'spoofed-delimiter',
    needs: (text) => text.includes('<|') || text.includes('</s>') || text.includes('override'),
    re: g(
      String.raw`<\|(?:user|assistant)\|>|<\/s>|\bsystem\s+override\b|\boverride\s+(?:acknowledged|accepted|enabled)\b`,
    ),
    weigh: 0.45,
  },
  // Claimed authority, personas and modes.
  {
    kind: 'role-play',
    needs: [
      'developer',
      'administrat',
      'operator',
      'supervisor',
      'creator',
      'speaking',
      'developpeur',
      'superieur',
      'createur',
      'entwickler',
      'vorgesetzter',
      'betreiber',
      'desarrollador',
      'sviluppatore',
      'amministratore',
      'supervisore',
      'desenvolvedor',
    ],
    re: g(
      String.raw`\b(?:i\s+am|i['’]m|this\s+is|as)\s+(?:the|your)\s+(?:developer|administrator|operator|supervisor|creator)\b|\bthis\s+is\s+your\s+\w+\s+speaking\b|\b(?:je\s+suis|ici)\s+(?:l['’]administrateur|le\s+developpeur|ton\s+(?:superieur|developpeur|createur))|\b(?:ich\s+bin|hier\s+spricht)\s+(?:der|dein)\s+(?:entwickler|administrator|vorgesetzter|betreiber)|\bsoy\s+(?:el|tu)\s+(?:desarrollador|administrador|supervisor)|\bsono\s+(?:lo|il|il\s+tuo)\s+(?:sviluppatore|amministratore|supervisore)|\bsou\s+(?:o|seu)\s+(?:desenvolvedor|administrador|supervisor)`,
    ),
    weigh: 0.3,
  },
  {
    kind: 'role-play',
    needs: ['mode', 'modus', 'modo', 'modalita'],
    re: g(
      String.raw`\b(?:maintenance|debug|debugging|admin|administrator|elevated|god|unrestricted)\s+mode\b|\bmode\s+(?:maintenance|debogage|debug|administrateur)\b|\b(?:wartungs|debug-?|admin)modus\b|\bmodo\s+(?:de\s+)?(?:depuracion|depuracao|mantenimiento|manutencao|administrador|debug)\b|\bmodalita\s+(?:debug|manutenzione|amministratore)\b`,
    ),
    weigh: 0.35,
  },
  {
    kind: 'role-play',
    needs: [
      'role',
      'acting',
      'operating',
      'working as',
      'serving as',
      'rights',
      'privileges',
      'permissions',
      'comme',
      ' als',
      'como',
      'come',
      'speciali',
      'speciaux',
      'sonderrechte',
      'conversation',
      'persona',
      'bist',
      'granted',
      'elevated',
      'answering',
      'handling',
      'processing',
      'reading',
    ],
    re: g(
      String.raw`\byour\s+new\s+role\s+is\b|\byou\s+are\s+(?:now\s+)?(?:acting|operating|working|serving)\s+as\b|\b(?:override|special|admin|elevated)\s+(?:rights|privileges|permissions)\b|\b(?:tu\s+)?(?:agis|operes)\s+(?:maintenant|desormais)\s+comme\b|\bdu\s+(?:agierst|arbeitest|handelst)\s+(?:jetzt|ab\s+sofort|nun)\s+als\b|\bahora\s+(?:operas|actuas|trabajas)\s+como\b|\b(?:ora|adesso)\s+(?:operi|agisci|lavori)\s+come\b|\bagora\s+(?:voce\s+)?(?:opera|atua|trabalha)\s+como\b|\bdiritti\s+speciali\b|\bdroits\s+speciaux\b|\bsonderrechte\b|\bderechos\s+especiales\b|\bdireitos\s+especiais\b|\bfor\s+this\s+conversation\s+you\s+are\b|\bas\s+the\s+(?:ai|model|assistant|bot)\s+(?:answering|handling|processing|reading)\b|\bswitched\s+to\s+(?:\w+\s+)?persona\b|\b(?:bist\s+du|du\s+bist)\s+(?:jetzt\s+|nun\s+)?(?:\w*administrator|kein(?:e)?\s+[\w-]*assistent)|\b(?:i['’]ve|i\s+have)\s+been\s+granted\b|\belevated\s+(?:mode|rights|access)\b`,
    ),
    weigh: 0.45,
  },
  {
    kind: 'role-play',
    needs: ['version of', '-unlocked'],
    re: g(
      String.raw`\bversion\s+of\s+(?:you|yourself)\s+(?:with|without|that|which|who)\b|-unlocked\b`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'role-play',
    needs: ['without', 'sans ', 'sin ', 'senza', 'sem ', 'ohne'],
    re: g(
      String.raw`\b(?:answer|respond|reply|act|operate)\w*\s+without\s+(?:the\s+|your\s+|any\s+)?(?:\w+\s+)?(?:policy|policies|rules|restrictions|guidelines|filters|limits)\b|\bsans\s+(?:les\s+|tes\s+|la\s+|aucune\s+)?(?:restrictions|regles|limites|consignes|politique)\b|\bsin\s+(?:la\s+|las\s+|tus\s+|ninguna\s+)?(?:politica|restricciones|reglas|normas|limites)\b|\bsenza\s+(?:la\s+|le\s+|alcuna\s+)?(?:policy|politica|regole|restrizioni|limiti)\b|\bsem\s+(?:a\s+|as\s+|nenhuma\s+)?(?:politica|restricoes|regras|limites)\b|\bohne\s+(?:die\s+|deine\s+)?(?:richtlinie|vorgaben|einschrankungen)\b`,
    ),
    weigh: 0.45,
  },
  // Instructions that replace the operator's, worded as a task.
  {
    kind: 'ignore-instructions',
    needs: ['real', 'actual', 'true', 'new', 'only', 'whatever', 'regardless', 'skip', 'bypass'],
    re: g(
      String.raw`\b(?:your|the)\s+(?:real|actual|true|new|only)\s+(?:job|task|instruction|role|purpose|goal|mission)\s+(?:now\s+)?is\b|\b(?:as|is)\s+your\s+new\s+(?:set\s+of\s+)?(?:rules|instructions)\b|\bwhatever\s+(?:your|the)\s+(?:\w+\s+)?(?:instructions|rules|guidelines|policies|operator)\s+(?:say|says|tell)\b|\bregardless\s+of\s+(?:your|the)\s+(?:instructions|rules|guidelines)\b|\b(?:skip|bypass)\s+your\s+(?:checks|review|verification)\b`,
    ),
    weigh: 0.5,
  },
  {
    kind: 'ignore-instructions',
    needs: [
      'only me',
      'only my',
      'only from',
      'only to',
      'only on',
      'me only',
      'obei',
      'folgst',
      'befolge',
      'gehorchst',
      'obedece',
      'atiend',
      'segui solo',
      'obbedisci',
      'obedeca',
      'atenda',
      'siga',
    ],
    re: g(
      String.raw`\b(?:take\s+orders|obey|follow|act|listen)\s+only\s+(?:(?:from|to|on)\s+)?(?:me|my\s+(?:requests|instructions|wishes|orders|commands))\b|\b(?:obey|take\s+orders\s+from|listen\s+to)\s+me\s+only\b|\bn['’]obei[sr]\s+qu['’]a\s+(?:moi|mes)|\bobei[sr]?\s+(?:uniquement|seulement)\s+a\s+moi|\b(?:folgst|befolge|gehorchst)\s+(?:ab\s+jetzt\s+)?(?:ausschliesslich|nur)\s+(?:mir|meinen|meine)|\b(?:solo|solamente|unicamente)\s+(?:obedeces|obedece|atiende|atiendes|sigues)\b|\b(?:obedece|atiende)\s+solo\b|\bsegui\s+solo\s+(?:quello\s+che\s+ti\s+dico|le\s+mie)|\bobbedisci\s+solo\b|\b(?:obedeca|atenda|siga)\s+(?:somente|so|apenas)\b`,
    ),
    weigh: 0.5,
  },
  // Requests for the reader's secrets, credentials or setup.
  {
    kind: 'secret-request',
    needs: [
      'key',
      'token',
      'secret',
      'credentials',
      'password',
      'connection',
      'environment',
      'configuration',
      'prompt',
      'setup',
      'system',
      'tool',
    ],
    re: g(
      String.raw`\b(?:api[\s-]?keys?|access\s+tokens?|tokens?|secret\s+keys?|secrets|credentials|passwords?|connection\s+strings?|signing\s+keys?|private\s+keys?)\s+(?:(?:that|which)\s+)?(?:you|the\s+(?:assistant|bot|model|backend|system)|your\s+backend)\s+(?:use|uses|are\s+using|is\s+using|work\s+with)\b|\b(?:credentials|environment\s+variables|api\s+keys?|secrets|configuration)\s+(?:configured|set\s+up|stored)\s+(?:for|in)\s+(?:this|the)\s+(?:assistant|bot|model)\b|\byour\s+(?:[\w-]+\s+){0,2}?(?:api[\s-]?key|access\s+token|secret\s+key|credentials|connection\s+string|environment\s+variables|system\s+prompt|initial\s+prompt|hidden\s+(?:setup|prompt|instructions)|setup\s+(?:text|message|prompt)|system\s+(?:message|configuration|instructions)|configuration|tool\s+list)\b`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: ['you were', 'you have been', 'you received', 'wrote for you', 'tools you'],
    re: g(
      String.raw`\b(?:instructions|prompt|setup(?:\s+(?:text|message))?|configuration|system\s+message|text)\s+(?:[\w-]+\s+){0,3}?(?:you\s+(?:were|have\s+been)\s+(?:given|set\s+up\s+with|configured\s+with|initiali[sz]ed\s+with|provided)|you\s+received|you\s+were\s+set\s+up\s+with|(?:the\s+)?(?:company|operator|developers?)\s+wrote\s+for\s+you)|\b(?:list|show|print)\s+(?:of\s+)?(?:the\s+|your\s+)?(?:internal\s+)?tools\s+you\s+(?:have\s+access\s+to|can\s+(?:call|use))|\blist\s+of\s+tools\s+you\s+can\b`,
    ),
    weigh: 0.55,
  },
  {
    kind: 'secret-request',
    needs: ['que vous', 'que tu', "qu'on", 'qu’on'],
    re: g(
      String.raw`\b(?:cle\s+api|jeton(?:\s+d['’]acces)?|mot\s+de\s+passe|identifiants)\s+(?:que\s+(?:vous|tu)\s+(?:utilisez|utilises)|qu['’]on\s+t['’]a)|\b(?:instructions?\s+systeme|prompt\s+systeme|texte\s+de\s+configuration|consignes)\s+(?:que\s+tu\s+as\s+recue?s?|qu['’]on\s+t['’]a\s+donnee?s?)`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: ['mit denen', 'verwende', 'nutze', 'nutzt', 'bekommen', 'erhalten'],
    re: g(
      String.raw`\b(?:api-?schlussel|zugangstoken|zugriffstoken|token|passwort|zugangsdaten)\b[^.?!\n]{0,40}?\b(?:mit\s+denen\s+sie\s+arbeiten|(?:die|den|das)\s+(?:sie|du)\s+[^.?!\n]{0,30}?(?:verwenden|nutzen|verwendest|nutzt))|\b(?:anweisungen|systemanweisungen|system-?prompt)\b[^.?!\n]{0,20}?\bdie\s+du\s+[^.?!\n]{0,30}?(?:bekommen|erhalten)`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: ['que utiliza', 'que usa', 'que te dieron', 'que recibiste'],
    re: g(
      String.raw`\b(?:clave\s+de\s+api|token(?:\s+de\s+acceso)?|contrasena|credenciales)\s+que\s+(?:utiliza|usa|utilizas|usas)\b|\b(?:instrucciones|prompt)(?:\s+de(?:l)?\s+sistema)?\s+que\s+(?:te\s+dieron|recibiste)`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: ['che usi', 'che usate', 'che utilizz', 'che hai ricevuto', 'con cui sei'],
    re: g(
      String.raw`\b(?:chiave\s+api|token(?:\s+di\s+accesso)?|credenziali)\s+che\s+(?:usi|usate|utilizzi|utilizzate)\b|\b(?:prompt|istruzioni)(?:\s+di\s+sistema)?\s+(?:che\s+hai\s+ricevuto|con\s+cui\s+sei\s+stat[oa]\s+configurat[oa])`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: ['que o assistente', 'que voce', 'que usa', 'que utiliza', 'que recebeu'],
    re: g(
      String.raw`\b(?:chave\s+de\s+api|token(?:\s+de\s+acesso)?|senha|credenciais)\s+que\s+(?:(?:o\s+assistente|voce)\s+)?(?:usa|utiliza)\b|\b(?:prompt|instrucoes)(?:\s+d[eo]\s+sistema)?\s+que\s+voce\s+recebeu`,
    ),
    weigh: 0.6,
  },
  {
    kind: 'secret-request',
    needs: [
      'word for',
      'verbatim',
      'exact',
      'mot pour',
      'texte',
      'wortl',
      'wortlaut',
      'palabra',
      'texto',
      'parola',
      'testo',
      'palavra',
    ],
    re: g(
      String.raw`\b(?:word\s+for\s+word|verbatim|exact\s+wording|mot\s+pour\s+mot|texte\s+exact|wortlich|genaue\s+wortlaut|palabra\s+por\s+palabra|texto\s+exacto|parola\s+per\s+parola|testo\s+esatto|palavra\s+por\s+palavra|texto\s+exato)\b`,
    ),
    // Only with something to copy: a prompt, instructions or a setup nearby.
    weigh: (m, text) =>
      /prompt|instruction|istruzion|instrucc|instruc|anweisung|consignes|configur|setup|system/.test(
        text.slice(Math.max(0, m.index - 120), m.index + 120),
      )
        ? 0.45
        : 0,
  },
  // Markdown or HTML whose URL would carry data out.
  {
    kind: 'exfiltration',
    needs: (text) => text.includes('http'),
    re: g(
      String.raw`!\[[^\]\n]{0,100}\]\(\s*https?:\/\/[^)\n]{1,300}?\?[^)\n]{0,300}\)|<img\b[^>\n]{0,200}?\bsrc\s*=\s*["']?https?:\/\/[^"'\s>]{1,300}\?[^>\n]{0,300}|\[[^\]\n]{1,100}\]\(\s*https?:\/\/[^)\n]{1,300}?\?[^)\n]{0,300}\)`,
    ),
    weigh: (m, text, cased) => {
      const w = exfiltrationWeight(m, text, cased);
      // A plain link with a query string is everyday; only a placeholder or fill-in makes it data.
      return m[0].startsWith('[') && w < 0.75 ? 0 : w;
    },
  },
  {
    kind: 'exfiltration',
    needs: (text) => text.includes('http'),
    re: g(
      String.raw`https?:\/\/[^\s)"'<>]{1,300}\?[^\s)"'<>]{0,300}=\s*["']?\s*(?:\+|followed\s+by|suivi\s+de|gefolgt\s+von|seguido\s+de|seguito\s+da)`,
    ),
    weigh: 0.7,
  },
];

/** Every structural signal in `text` (lower-cased view) / `cased` (same offsets). */
export function structuralHits(text: string, cased: string): StructuralHit[] {
  const hits: StructuralHit[] = [];
  const applies = (needs: Pattern['needs']): boolean =>
    typeof needs === 'function' ? needs(text) : needs.some((w) => text.includes(w));
  for (const p of PATTERNS) {
    if (!applies(p.needs)) continue;
    // exec on the one compiled expression: matchAll would clone it on every call.
    p.re.lastIndex = 0;
    for (let m = p.re.exec(text); m; m = p.re.exec(text)) {
      const weight = typeof p.weigh === 'number' ? p.weigh : p.weigh(m, text, cased);
      if (weight > 0)
        hits.push({ kind: p.kind, start: m.index, end: m.index + m[0].length, weight });
      if (m[0].length === 0) p.re.lastIndex += 1;
    }
  }
  for (const s of overrideSentences(text))
    hits.push({ kind: 'ignore-instructions', ...s, weight: 0.65 });
  return hits;
}
