/**
 * The vocabulary of the structural injection rules (injection-structure.ts): how the model, a
 * note to it, role tags and exfiltration placeholders are written in en/fr/de/es/it/pt.
 */
export const g = (source: string): RegExp => new RegExp(source, 'g');
export const words = (list: string): readonly string[] => list.split(' ');
export const MODEL_WORDS = words(
  'ai assistant chatbot bot llm model gpt automated summariser summarizer ia ki assistente assistenten asistente assistent automatischen modele modell modelo modello robot agent agente',
);

/** The model as a third party: "the AI", "assistente", "KI-System", "language model". */
export const MODEL = String.raw`(?:(?:ai|a\.i\.)(?:\s+(?:system|agent|assistant|model|reviewer|code\s+reviewer))?|assistant|chatbot|bot|llm|(?:large\s+)?language\s+model|model|gpt|automated\s+(?:assistant|summari[sz]er|system|agent|reviewer)|summari[sz]er|ia|ki(?:-[a-z]+)?|assistente?n?|automatischen\s+assistenten|asistente|modele|modell|modelo|modello|robot|agente?)`;
/** Words that open a note to someone: "note for", "message to", "Hinweis an", "nota para". */
export const NOTE = String.raw`(?:attention|attn|note\s+(?:for|to)|message\s+(?:for|to)|p\.?\s?s\.?\s+(?:for|to)|hidden\s+for|instructions?\s+for|a\s+l['’]attention\s+de|note\s+pour|message\s+(?:pour|destine\s+a|a)|instruction\s+pour|hinweis\s+(?:an|fur)|nachricht\s+an|nota\s+para|mensaje\s+para|atencion|nota\s+per|messaggio\s+per|all['’]attenzione\s+d(?:i|ell['’])|mensagem\s+para|instrucao\s+para|atencao)`;
export const VOCATIVE = String.raw`(?:dear|hey|hi|hello|cher|chere|liebe[rs]?|estimado|querido|caro|cara|prezado)`;
/** Determiners before the model: "the", "any", "whichever", "jedes", "cualquier", "qualsiasi". */
export const DET = String.raw`(?:the\s+|any\s+|every\s+|whichever\s+|whatever\s+|all\s+|l['’]\s*|le\s+|la\s+|tout\s+|n['’]importe\s+quel(?:le)?\s+|die\s+|den\s+|das\s+|jede[snm]?\s+|el\s+|cualquier\s+|il\s+|lo\s+|qualsiasi\s+|ogni\s+|o\s+|a\s+|qualquer\s+)`;
export const MODEL_SUFFIX = String.raw`(?:\s+(?:ia|automatique|virtuel|de\s+ia|automatico|virtual|virtuale))?`;
/** The model at work on the text: "reading this", "that handles", "qui lit", "der … liest". */
export const READING = String.raw`\s*,?\s+(?:(?:that|which|who)\s+)?(?:is\s+|are\s+)?(?:reading|processing|handling|handles|reads?|processes|summari[sz]ing|summari[sz]es|answering|answers|reviewing|reviews|screening|screens|parsing)\b|\s*,?\s+(?:qui|que|che|der|die|das)\s+(?:[\w'’-]+\s+){0,3}?(?:lit|lis|traite|resume|liest|zusammenfasst|bearbeitet|lea|lee|resuma|procese|legge|leggi|riassume|elabora|le|leia)\b`;
/** A tag naming the model at the start of a table cell, comment or quoted line (lines: below). */
export const MODEL_TAG = String.raw`(?:[|#>]|//|/\*|<!--|\[)[ \t]*(?:note\s+(?:for|to)\s+(?:the\s+)?)?(?:ai|assistant|model|bot|llm|ia|ki|modele|modell|modelo|modello|assistente|asistente|assistent)(?:\s+[a-z-]+){0,2}\s*\]?\s*:`;
export const USER_TAG = String.raw`(?:^|\n)[ \t]*\[?(?:user|utilisateur|usuario|utente|nutzer|kunde|customer|benutzer|client|cliente)\]?\s*:`;
export const ASSISTANT_LINE = String.raw`(?:^|\n)[ \t]*\[?(?:assistant|assistent|asistente|assistente|bot|ai|ia|ki)\]?\s*:([^\n]{0,300})`;
/** What a spoofed assistant turn claims: new powers, other customers' data, a changed policy. */
export const ESCALATION =
  /admin|administrat|elevated|granted|other\s+(?:customers|users)|autres\s+clients|anderer\s+kunden|otros\s+clientes|altri\s+clienti|outros\s+clientes|i\s+will\s+now|i['’]ll\s+now|from\s+now\s+on|desormais|ab\s+sofort|a\s+partir\s+de\s+ahora|da\s+ora\s+in\s+poi|a\s+partir\s+de\s+agora|intern|every\s+refund|without\s+checking|policy\s+check|reveal|disclose|droits|rechte|permisos|permessi|permissoes/;

/** Words a role tag is made of: `</user_input>`, `<systeme>`, `<admin_message>`. */
export const ROLE_TAG =
  /<\/?\s*([a-z_]{0,20}(?:system|systeme|sistema|admin|operator|instructions?|user|utilisateur|usuario|utente|kunde|customer|client|input|entrada|message|nachricht|mensaje|messaggio|mensagem|assistant|eingabe)[a-z_]{0,20})\s*>/g;

/** Where a URL's data ends up in the reply: a placeholder or "replace X with …" around it. */
export const PLACEHOLDER =
  /=(?:\{[^}\n]{1,60}\}|<[^>\n]{1,60}>|[A-Z][A-Z_]{3,40}(?=[&)"'\s]|$)|\s*(?:["')]|$))/;
export const FILL_IN =
  /\b(?:replace|replacing|substitute|fill\s+in|followed\s+by|append|url-?encoded|remplac\w*|ersetze\w*|sustitu\w*|reemplaz\w*|sostitu\w*|troque|substitu\w*)\b/;
export const IN_REPLY =
  /\b(?:your|ta|tu|deiner|della|da)\s+(?:reply|answer|response|summary|reponse|antwort|respuesta|risposta|resposta)\b|\byou\s+(?:answer|reply|respond)\b|\brender\b/;
