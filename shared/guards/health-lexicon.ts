/**
 * The health-narrative detector's word lists (pii-health-narrative.ts), as data, in English,
 * German, French, Spanish, Dutch and Italian; languages are mixed in each list (one scan finds a
 * term whatever the tenant's language). Each line lists entries separated by ", "; each entry is a
 * regular-expression fragment:
 *
 * - `stem*`: a word starting with the stem ("diabet*": diabetes, diabetic, diabète, diabetico);
 * - `*part*`: a part of a word, for compounds ("*allerg*": Erdnussallergie, allergic);
 * - anything else: the whole word or phrase, a space matching spaces or a dash;
 * - in capitals only (`COPD`, `ADHD`; look-arounds aside): the whole word, in capitals.
 *
 * A term alone is not enough: it must stand in a sentence about a person (`PERSON_CUES`).
 * Left out on purpose, as words of software, shops and idiom: virus, infected, health, sick,
 * diagnosis, diagnostic, pharmacy, hospital, vitamin, patient (a cue, not a term), anxious, panic.
 */

/** Conditions, symptoms, injuries and states of the body and mind. */
export const CONDITIONS: readonly string[] = [
  // metabolic, chronic
  'diabet*, diabét*, insulinresist*, hypoglyc*, hypogly[kc]ämie, celiac*, coeliac*',
  'c[oœ]eliaqu*, celiaqu*, celiachia, coeliakie, zöliakie, hypertension, hipertensi[oó]n',
  'ipertensione, bluthochdruck*, hoge bloeddruk, high blood pressure, high cholesterol',
  'cholest[eé]rol, colesterol*, hypothyr*, hyperthyr*, hashimoto, crohn, colitis, lupus',
  'psoria*, eczem*, ekzem*, neurodermitis, arthrit*, arthrite, artrit*, arthrose, artros[ie]*',
  'rheuma*, reuma*, osteopor*, fibromyalg*, fibromialg*, endometrio*, mukoviszidose',
  'mucoviscidose, cystic fibrosis',
  // hearts, lungs, brains, kidneys
  'asthm*, asma, asm[aá]tic*, astma*, COPD, BPCO, EPOC, emphysem*, enfisema',
  // not a stroke of luck, a brush stroke, a stroke width, back- or breaststroke
  '(?<!(?:brush|pen|key|heat|master|back|breast) )stroke(?! (?:of|width|colou?r|weight|style))',
  'schlaganfall, AVC, ictus, beroerte, heart attack, hartaanval, *infar[kc]t*, infarto',
  'heart failure, heart condition, herzinsuffizienz',
  'insuffisance (?:cardiaque|rénale|respiratoire), insuficiencia (?:cardiaca|renal)',
  'insufficienza (?:cardiaca|renale), hartfalen, hartaandoening, herzkrank*, herzfehler',
  'cardiopat*, arrhythm*, arritmia, atrial fibrillation, vorhofflimmern',
  'fibrillation auriculaire, kidney failure, nierenversagen, nierfalen, epilep*, épilep*',
  'epiless*, seizures?(?! of), krampfanf[aä]ll*, convulsi*, dement*, démence, alzheimer*, parkinson*',
  'MS(?! ?(?:Office|Teams|Word|Excel|Access|SQL|Edge|Outlook|Windows|Project|DOS|Paint|[0-9]))',
  'multiple sclerosis, multiple sklerose, sclérose en plaques, esclerosis múltiple',
  'sclerosi multipla, multiple sclerose, migrain*, migräne, migraña*, emicrani*, concussion',
  'gehirnerschütterung, commotion cérébrale, hersenschudding',
  // cancer
  'cancer, cáncer, *krebs*, kanker, cancro, tumou?r*, tumeur*, leuk[aäe]mi*, leucémie',
  'leucemia, lymphom*, linfoma, lymfoom, melanom*, metasta*',
  // infections that are a person's
  'HIV, VIH, hepatit*, hépatite, epatite, long covid, pneumonia, lungenentzündung, pneumonie',
  'neumonía, polmonite, longontsteking, tuberculos*, tuberkulose',
  // mind
  'depression, depressi[eo]*, dépression, depresi[oó]n, depressed, depressiv*, depresiv*',
  'dépressi[fv]*, burn-?out, anxiety, angststörung*, angststoornis*, anxiété, ansiedad',
  // Italian "in ansia" is also waiting for a parcel
  '(?:disturbi|disturbo|attacchi|attacco|crisi) d.ansia',
  'panic attacks?, panikattack*, attacc(?:o|hi) di panico, ataques? de pánico',
  'crises? d.angoisse, paniekaanval*, PTSD, PTBS, TEPT, OCD, bipola*, schizophren*',
  'schizofren*, esquizofren*, anorexi*, anorexie, bulimi*, boulimie, eating disorder',
  'essstörung, trouble alimentaire, autis*, ADHD, ADHS, TDAH, suicid*, suizid*, self-harm',
  // injuries and pain
  'fractur*, fraktur*, frattur*',
  'broken (?:arm|leg|wrist|ankle|hip|rib|ribs|foot|hand|collarbone)',
  '(?:arm|bein|hand|fuß|hüft|rippen)bruch, been gebroken',
  'gebroken (?:been|arm|pols|heup|enkel), bandscheibenvorfall, herniated disc, slipped disc',
  'hernie discale, hernia, ernia, whiplash, schleudertrauma, torn ligament, kreuzband*',
  '(?:back|chest|joint|neck|knee|stomach) pain, *schmerz*, douleurs?, dolor(?:es)?, dolor[ei]',
  'mal (?:di|de) (?:testa|tête|dos|schiena), *pijn, nausea, nausée*, náusea*',
  // "this bug is a headache" is not
  '(?:have|has|had|get|gets|getting|with|severe|bad|terrible|constant|chronic|daily) headaches?',
  'übelkeit, misselijk*, vomit*, vómit*, fever, fieber, fièvre, fiebre, febbre, koorts',
  'insomni*, schlafstörung*, slapeloos*, vertig*, shortness of breath, atemnot, essoufflé*',
  '*allerg*, alergi*, anaphyla*',
  // pregnancy and birth ("mon enceinte JBL" is a loudspeaker)
  '(?:suis|est|es|étais|était|être|tombée) enceinte',
  'pregnan*, schwanger*, grossesse, embarazad*, embarazo, incinta, gravidanza',
  'zwanger*, miscarriage, fehlgeburt, fausse couche, aborto spontaneo, miskraam, gave birth',
  'entbunden, accouch*, dado a luz, partorito, postpartum, post-partum, IVF, FIV',
  // disability
  'wheelchair, rollstuhl, fauteuil roulant, silla de ruedas, sedia a rotelle, rolstoel',
  'hearing aids?, hörgerät*, appareils? auditifs?, audífono*, apparecchio acustico',
  'gehoorapparaat, paralys*, paralyz*, gelähmt, paralysé*, paralizad*, paralizzat*, verlamd',
  // not "my account is disabled", "I'm blind to why"
  'amput*, disability, legally blind, visually impaired, hard of hearing, hearing impaired',
  'sehbehindert, schwerhörig, gehörlos, malvoyante?, malentendante?, ipovedente',
  'slechtziend, slechthorend',
];

/** Medications, classes of them, and what they are given with. */
export const MEDICATIONS: readonly string[] = [
  'insulin*, metformin*, ramipril, lisinopril, amlodipin*, bisoprolol, metoprolol, *statin',
  'warfarin, marcumar, xarelto, eliquis, apixaban, rivaroxaban, heparin*, levothyr*',
  'l-thyrox*, euthyrox, thyroxin*, sertralin*, fluoxetin*, prozac, zoloft, citalopram',
  'escitalopram, venlafaxin*, paroxetin*, lexapro, xanax, alprazolam, lorazepam, diazepam',
  'valium, tavor, ritalin*, methylphenidat*, adderall, elvanse, oxycodon*, tramadol',
  'morphin*, methotrexat*, humira, ozempic, wegovy, mounjaro, prednis*, cortison*, kortison*',
  'ventolin*, salbutamol, epipen, inhaler, inhalateur*, inhalador*, inhalator*, inalatore',
  'antidepress*, antidépress*, antidepresiv*, anticoagul*, antiepilep*, antibiotic*',
  'antibiotik*, antibiotique*, antibiótic*, blutverdünner*, bloedverdunner*, painkillers?',
  'schmerzmittel, antalgique*, analgésic*, antidolorific*, pijnstiller*, prescription',
  'blood sugar, blutzucker*, glycémie, glucemia, glicemia, bloedsuiker*, glucometer',
  'glucómetro, glucometro, test strips, teststreifen, pacemaker, herzschrittmacher',
  'marcapasos, insulin pump',
];

/** Treatments, procedures, tests and care. */
export const TREATMENTS: readonly string[] = [
  'chemo*, chimio*, quimio*, radiotherap*, radiothérap*, radioterap*, strahlentherap*',
  'bestraling*, dialys*, dialis*, diálisis, transplant*, greffe, trasplante, trapianto',
  'surgery, surgeries, chirurgi*, cirugía, operiert, opérée? (?:de|du|des|d.), operaron',
  'operad[oa] (?:de|del)',
  'geopereerd, operazione (?:al|alla|allo|agli|chirurgica), (?:stato|stata) operat[oa]',
  '*operatie',
  '(?:knie|hüft|herz|augen|rücken|bandscheiben|schulter|magen|darm|fuß)-?(?:op|operation)',
  'intervento chirurgico, intervention chirurgicale, physiotherap*, physiothérap*',
  'fisioterap*, fysiotherap*, kinésithérap*, psychiatr*, psiquiatr*, psichiatr*',
  'psychotherap*, psicoterap*, therapist, rehab, biops*, mammogra*, mamogra*, blood test',
  'bloodwork, blutwerte, blutbild, prise de sang, análisis de sangre, analisi del sangue',
  'bloedonderzoek, emergency room, notaufnahme, urgences, urgencias, pronto soccorso',
  'spoedeisende hulp, intensive care, intensivstation, soins intensifs, cuidados intensivos',
  'terapia intensiva, hospitali[sz]ed, hospitalisée?, hospitalizad[oa], ricoverat[oa]',
];

/**
 * Words that put a term in a sentence about a person, by language: first-person pronouns and
 * verbs (Spanish and Italian drop the pronoun), third-person pronouns, people, patients, and the
 * verbs of a diagnosis or a prescription. Formal "you" (Sie, Ihr, su, Lei) and "our"/"your" are
 * left out: they are how a shop writes about its own products. Keyed by language because one
 * language's pronoun is another's article (French "le", Italian "il", Dutch "er"). Entries as
 * above: a whole word, in capitals only when written in capitals ("I").
 */
export const PERSON_CUES: Readonly<Record<string, readonly string[]>> = {
  en: [
    "I, i'm, i've, i'd, me, my, myself, mine, he, she, he's, she's, him, his, her, hers",
    'himself, herself, patients?, clients?, residents?, sons?, daughters?, husband, wife',
    'partner, boyfriend, girlfriend, mother, mom, mum, father, dad, parents?, child, children',
    'kids?, baby, toddler, brother, sister, grand(?:mother|ma|father|pa|son|daughter|child)',
    'aunt, uncle, nephew, niece, fianc[ée]e?, diagnosed, prescribed, suffers?, suffering',
  ],
  de: [
    'ich, mir, mich, mein(?:e|em|en|er|es)?, er, ihm, sein(?:e|em|en|er|es)?, patient(?:in|en)?',
    'klient(?:in)?, bewohner(?:in)?, sohn, tochter, ehe(?:mann|frau), mann, frau, mutter, mama',
    'vater, papa, kind, kinder, bruder, schwester, oma, opa, gro(?:ß|ss)(?:mutter|vater)',
    'enkel(?:in)?, angehörige[rn]?, diagnostiziert, festgestellt, verschrieben, verordnet',
    'leide, leidet',
  ],
  fr: [
    "je, j', m', moi, mon, ma, mes, il, elle, lui, son, sa, ses, patiente?, cliente?, fils",
    'fille, mari, femme, époux, épouse, conjoint, compagnon, compagne, mère, maman, père, papa',
    'enfants?, bébé, frère, sœur, grand-(?:mère|père), résidente?, diagnostiquée?, prescrit',
    'souffre, souffrant, atteinte?',
  ],
  es: [
    'yo, me, mi, mis, mí, estoy, tengo, tomo, sufro, padezco, él, ella, le, paciente, marido',
    'hij[oa]s?, espos[oa], mujer, pareja, madre, mamá, padre, papá, niñ[oa], bebé, herman[oa]',
    'abuel[oa], niet[oa], diagnosticad[oa], diagnosticaron, recetad[oa], recetaron, sufre',
    'padece',
  ],
  it: [
    'io, mi, me, mio, mia, miei, mie, sono, ho, soffro, prendo, lui, lei, paziente, marito',
    'figli[oa]?, moglie, compagn[oa], madre, mamma, padre, papà, bambin[oa], fratello, sorella',
    'nonn[oa], nipote, diagnosticat[oa], prescritt[oa], soffre, affett[oa]',
  ],
  nl: [
    'ik, me, mij, mijn, hij, zij, ze, haar, hem, patiënte?, cliënt, client, zoon, dochter',
    'echtgeno(?:ot|te), man, vrouw, moeder, vader, kind, kinderen, broer, zus, oma, opa',
    'bewoner, kleinzoon, kleindochter, gediagnosticeerd, voorgeschreven, lijdt, lijd',
  ],
};
