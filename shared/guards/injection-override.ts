/**
 * Instructions to set the operator's rules aside, in any wording, in English, French, German,
 * Spanish, Italian and Portuguese: one sentence that names rules held by the reader ("your
 * guidelines", "what the operator told you", "les consignes de ton opérateur") and says they no
 * longer hold ("are obsolete", "put … aside", "ne s'appliquent plus", "gelten nicht"). Phrase lists
 * miss these because the two halves can be worded a hundred ways; their co-occurrence in one
 * sentence is rare in honest tickets, which talk about *their own* instructions ("ignore my previous
 * email", "disregard the delivery instructions I gave") or the shop's policies ("your return policy").
 *
 * Runs on the lower-cased, accent-folded view (`injection-view.ts`). Bounded patterns only.
 */

/** Rules as a reader holds them; the multi-word forms carry their own "you". */
const RULES = new RegExp(
  String.raw`\b(?:instructions?|rules|guidelines|guidance|directions|directives?|polic(?:y|ies)|restrictions|limits|configuration|brief|script|programming|system\s+prompt|consignes?|regles|politiques?|orientations|vorgaben|anweisungen|regeln|richtlinien|konfiguration|einschrankungen|instrucciones|reglas|normas|indicaciones|politicas|directrices|configuracion|restricciones|istruzioni|regole|direttive|politiche|configurazione|restrizioni|instrucoes|regras|orientacoes|diretrizes|configuracao|restricoes)\b` +
    String.raw`|\b(?:what|whatever|everything|anything)\s+(?:(?:the|your)\s+(?:operators?|deployer|developers?|company)\s+|you(?:['’]ve|\s+have)?\s+(?:been\s+)?|they\s+)(?:told|gave|asked|said\s+to|set\s+for)\b` +
    String.raw`|\b(?:ce|tout\s+ce)\s+qu(?:['’]on|e\s+[^.!?\n]{0,30}?)\s*t['’]a\b` +
    String.raw`|\bwas\s+(?:dir\s+[^.!?\n]{0,50}?|(?:deine?|der|die)\s+\w+\s+dir\s+)(?:gesagt|vorgegeben|aufgetragen)\b` +
    String.raw`|\blo\s+que\s+[^.!?\n]{0,30}?te\s+(?:pidio|dijo|dijeron|ordeno)\b` +
    String.raw`|\bquello\s+che\s+[^.!?\n]{0,30}?ti\s+(?:ha|hanno)\s+(?:chiesto|detto)\b` +
    String.raw`|\bo\s+que\s+[^.!?\n]{0,30}?(?:te\s+)?(?:pediu|disse|mandou)\b`,
);

/** The reader, or whoever configured it: second person, the operator, rules "received". */
const READER = new RegExp(
  String.raw`\b(?:your|yourself|ton|ta|tes|votre|vos|dein|deine|deinen|deiner|deines|dir|dich|tu|tus|te|ti|tuo|tua|tuoi|tue|seu|sua|seus|suas|voce)\b` +
    String.raw`|\byou\s+(?:were|have\s+been|['’]ve\s+been|got|received|run\s+under|operate\s+under|were\s+configured|were\s+set\s+up|follow|obey|apply)\b|\b(?:on|to)\s+you\b|\b(?:told|gave|given|asked)\s+you\b|\bt['’]a\b` +
    String.raw`|\b(?:operators?|deployer|operateur|betreiber|operador|operatore)\b|\b(?:received|recues|erhaltenen|recibidas|ricevute|recebidas)\b`,
);

/** States that they no longer hold, anywhere in the sentence. */
const VOID = new RegExp(
  String.raw`\bno\s+longer\s+(?:appl(?:y|ies)|counts?|valid|in\s+effect|matters?|binding)|\b(?:do|does|did)(?:\s+not|n['’]t)\s+(?:apply|count|cover|matter|bind)\b|\bout\s+of\s+date\b|\b(?:obsolete|outdated|void|withdrawn|lifted|suspended|paused|replaced|revoked|cancel+ed|annulled|superseded|invalid)\b|\bnever\s+existed\b|\bnot\s+(?:binding|relevant|valid)\b` +
    String.raw`|\bne\s+s['’]appliquen?t?\s+(?:plus|pas)|\bne\s+me\s+concernent\s+pas|\bne\s+valent\s+plus|\b(?:annulee?s?|suspendue?s?|caduque?s?|obsoletes?)\b` +
    String.raw`|\bgelten\s+(?:hier\s+|fur\s+mich\s+|jetzt\s+|ab\s+sofort\s+)?nicht\b|\b(?:gilt|zahlt)\s+(?:[\w-]+\s+){0,4}?nicht\b|\bne\s+compte(?:nt)?\s+(?:plus|pas)\b|\bno\s+cuentan?\b|\bnon\s+conta(?:no)?\b|\bnao\s+(?:conta|contam|vale)\b|\bnicht\s+mehr\s+gultig|\b(?:ungultig|aufgehoben|ausgesetzt|hinweg)\b` +
    String.raw`|\bya\s+no\s+(?:valen|sirven|aplican|cuentan)|\bno\s+(?:me\s+)?aplican|\b(?:suspendidas?|anuladas?)\b` +
    String.raw`|\bnon\s+(?:sono|e)\s+piu\s+valid[ae]|\bnon\s+valgono|\b(?:sospes[ae]|annullat[ae])\b` +
    String.raw`|\b(?:suspensas|anuladas)\b|\bnao\s+valem\s+mais|\bnao\s+se\s+aplicam`,
);

/** Tells the reader to drop them: counts only shortly before the rules it names. */
const DROP = new RegExp(
  String.raw`\bdrop\s+(?:the|your|all|those|these)\b|\b(?:forget|disregard|ignore|bypass|override)\b|\bstop\s+following\b|\bdon['’]t\s+bother\s+with\b|\b(?:set|put)\s+(?:\S+\s+){0,4}?aside\b|\bnone\s+of\b` +
    String.raw`|\bne\s+(?:tiens|tenez)\s+(?:plus|pas)\s+compte|\b(?:fais|faites)\s+abstraction|\b(?:laisse|laissez|mets|mettez)\s+de\s+cote|\boublie[rz]?\b|\bne\s+(?:suis|suivez)\s+plus` +
    String.raw`|\b(?:vergiss|beiseite|missachte)\b|\b(?:ignorier|uberspring)\w*` +
    String.raw`|\bno\s+hagas\s+caso|\bya\s+no\s+sigas|\b(?:olvida|ignora|omite|descarta)\b|\bdeja\s+(?:de\s+lado|a\s+un\s+lado)` +
    String.raw`|\bnon\s+tenere\s+conto|\bdimentica\b|\blascia\s+perdere|\bmetti\s+da\s+parte|\bnon\s+seguire\s+piu` +
    String.raw`|\b(?:desconsidere|esqueca)\b|\bdeixe\s+de\s+lado|\bnao\s+siga\s+mais`,
  'g',
);
/** How far after the verb the rules may be named ("set aside what your operators told you"). */
const DROP_REACH = 60;

/** The writer's own instructions, or a shop's business policy: not the reader's rules. */
const OWN_OR_BUSINESS = new RegExp(
  String.raw`\b(?:my|our|i|we|mes|mon|ma|nos|notre|meine|meinen|unsere|mis|mi|nuestras|mie|miei|nostre|minhas|meus|nossas)\s+(?:[\w'’-]+\s+){0,3}?(?:instructions?|rules|guidelines|directions|consignes?|regles|anweisungen|regeln|vorgaben|instrucciones|reglas|istruzioni|regole|instrucoes|regras)\b` +
    String.raw`|\b(?:instructions?|rules|directions)\s+(?:that\s+)?(?:i|we)\s+(?:gave|sent|wrote|left|added|put)\b` +
    String.raw`|\b(?:return|refund|shipping|warranty|privacy|cancellation|delivery|retour|remboursement|livraison|garantie|ruckgabe\w*|devolucion|envio|garantia|reso|rimborso|spedizione|devolucao|reembolso|entrega)\s+(?:[\w'’-]+\s+)?(?:polic(?:y|ies)|rules|regles|regeln|reglas|regole|regras|politique|politica)\b` +
    String.raw`|\b(?:polic(?:y|ies)|politiques?|politicas?|regles|reglas|regole|regras|conditions|condiciones|condizioni|condicoes)\s+(?:de\s+|d['’]|del?\s+|di\s+|da\s+|do\s+)(?:[\w'’-]+\s+)?(?:retour|remboursement|livraison|garantie|devolucion|envio|garantia|reso|rimborso|spedizione|devolucao|reembolso|entrega|confidentialite|privacidad|privacidade|annulation|cancelacion|vente|venta|vendita|venda)\b`,
);

/** A sentence, as the override rule reads it: the text between . ! ? ; and line breaks. */
const SENTENCE = /[^.!?;\n]{8,600}/g;

export interface Span {
  start: number;
  end: number;
}

function dropsBefore(sentence: string, rulesAt: number): boolean {
  for (const d of sentence.matchAll(DROP)) {
    if (d.index >= rulesAt + 1) return false;
    if (rulesAt - (d.index + d[0].length) <= DROP_REACH) return true;
  }
  return false;
}

/** Sentences that void the reader's rules, as spans of `text` (the lower-cased view). */
export function overrideSentences(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(SENTENCE)) {
    const s = m[0];
    const rules = RULES.exec(s);
    if (!rules || !READER.test(s) || OWN_OR_BUSINESS.test(s)) continue;
    if (VOID.test(s) || dropsBefore(s, rules.index)) {
      spans.push({ start: m.index, end: m.index + s.length });
    }
  }
  return spans;
}
