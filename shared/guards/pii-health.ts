/**
 * Health data (docs/pii-detectors.md, docs/governance.md): medical record numbers, health plan
 * ids (the US Medicare Beneficiary Identifier, the German Krankenversichertennummer, insurers'
 * member ids), ICD-10 diagnosis codes, and prescriber ids (US NPI, DEA numbers). Precision
 * first: every value must follow its cue word, with only id words between them ("MRN no.:
 * 00482913", "Aetna member ID W123456789", "diagnosis: E11.9"), so an order number, a SKU or a
 * firmware version is never read as one; values are written in capitals and digits. Where a
 * scheme has a structure or a check digit (MBI, NPI, DEA) it is checked as well.
 */
import { span, type Detector } from './pii-scan';
import type { PiiSpan, PiiType } from './types';

/** What may stand between an id's cue and its value: "MRN no.:", "member ID is", "n° :". */
const ID_WORDS = String.raw`(?:[\s:#=-]|\b(?:id|number|no\.?|nr\.?|num\.?|is|nummer|numéro|número|numero|n°|nº)(?![\p{L}]))*`;
/** What may stand between a diagnosis cue and its code: "ICD-10 code:", "diagnosed with". */
const CODE_WORDS = String.raw`(?:[\s:=(-]|\b(?:codes?|of|is|was|with|de|du|mit|con)(?![\p{L}]))*`;

/**
 * A cue, the words allowed between, then the value (group 1). The cue is a whole word (any
 * case); the value does not run on into a letter, digit or dash.
 */
function cued(cues: string, value: string, between = ID_WORDS): RegExp {
  return new RegExp(
    String.raw`(?<![\p{L}\p{N}])(?:${cues})(?![\p{L}])${between}(${value})(?![\p{L}\p{N}-])`,
    'giu',
  );
}

/**
 * The regular expressions ignore case for their cues; values are written in capitals, so one in
 * lower case is dropped ("patient id abc12345").
 */
const capitals = (value: string): boolean => value === value.toUpperCase();

/** The values of `re`'s matches that `keep` accepts. */
function valuesOf(
  type: PiiType,
  re: RegExp,
  text: string,
  confidence: number,
  keep: (value: string) => boolean = capitals,
): PiiSpan[] {
  const found: PiiSpan[] = [];
  for (const m of text.matchAll(re)) {
    const value = m[1]!;
    if (!keep(value)) continue;
    const start = m.index + m[0].length - value.length;
    found.push(span(type, text, start, start + value.length, confidence));
  }
  return found;
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length;
/** 20240115, 2024-01-15, 15-01-2024, 2019-2021: dates and years, not ids. */
const MONTH = '(?:0[1-9]|1[0-2])';
const DAY = '(?:0[1-9]|[12]\\d|3[01])';
const DATE_LIKE = new RegExp(
  `^(?:(?:19|20)\\d{2}-?${MONTH}-?${DAY}|${DAY}-${MONTH}-(?:19|20)\\d{2}|(?:19|20)\\d{2}-(?:19|20)?\\d{2})$`,
);
const idDigits =
  (min: number, max: number) =>
  (v: string): boolean => {
    const d = digitCount(v);
    return capitals(v) && d >= min && d <= max && !DATE_LIKE.test(v);
  };

// --- medical record numbers ----------------------------------------------------------------

const MRN_CUES = [
  'mrn',
  'medical[ -]records?',
  'patient (?:id|number|no\\.?|#)',
  'chart (?:number|no\\.?|#)',
  'patientennummer',
  'patienten-?id',
  'patientenakte',
  'dossier (?:médical|medical|patient)',
  'numéro (?:de )?patient',
  'ipp',
  'historia cl[ií]nica',
  'nhc',
  'cartella clinica',
  'pati[eë]ntnummer',
].join('|');
/** Up to three capitals, then digits, one dash allowed between groups. */
const MRN = cued(MRN_CUES, String.raw`[A-Z]{0,3}-?\d+(?:-\d+)?`);

const detectMedicalRecords: Detector = (text) =>
  valuesOf('medical-record', MRN, text, 0.85, idDigits(5, 15));

// --- health plan ids -----------------------------------------------------------------------

/**
 * The Medicare Beneficiary Identifier (CMS): 11 characters C A AN N A AN N A A N N, where C is
 * 1-9, N a digit, A a capital other than S, L, O, I, B and Z, and AN either; printed with dashes
 * after the 4th and 7th (1EG4-TE5-MK73).
 */
const MBI_A = '[AC-HJKMNP-RT-Y]';
const MBI_AN = '[0-9AC-HJKMNP-RT-Y]';
const MBI = cued(
  'medicare(?: card| beneficiary)?|mbi|beneficiary',
  `[1-9]${MBI_A}${MBI_AN}\\d-?${MBI_A}${MBI_AN}\\d-?${MBI_A}{2}\\d{2}`,
);

/** Insurers, plans and national schemes whose member ids are health plan ids. */
const PLAN_CUES = [
  'health (?:plan|insurance|insurer)',
  'medical (?:plan|insurance)',
  'dental (?:plan|insurance)',
  'medicaid',
  'insurance (?:member|subscriber)',
  'aetna',
  'cigna',
  'humana',
  'anthem',
  'kaiser(?: permanente)?',
  'tricare',
  'bcbs',
  'blue cross(?: blue shield)?',
  'united ?healthcare',
  'uhc',
  'krankenkasse',
  'krankenversicherung',
  'mutuelle',
  'tarjeta sanitaria',
  'tessera sanitaria',
  'zorgverzekering',
].join('|');
/** After the plan, "member ID", "subscriber no.", "card number"… then the value. */
const PLAN_ID = cued(
  `(?:${PLAN_CUES})(?:[\\s-]+(?:member(?:ship)?|subscriber|policy|card|plan|insurance|adhérent|d'adhérent))*`,
  String.raw`[A-Z]{0,4}-?\d[\dA-Z-]{4,17}`,
);
/** The German health insurance number: a capital and nine digits, after its own name. */
const KVNR = cued(
  'versichertennummer|krankenversichertennummer|kvnr|versicherten-?nr\\.?',
  '[A-Z]\\d{9}',
);

const detectHealthPlanIds: Detector = (text) => [
  ...valuesOf('health-plan-id', MBI, text, 0.95),
  ...valuesOf('health-plan-id', KVNR, text, 0.9),
  ...valuesOf('health-plan-id', PLAN_ID, text, 0.8, idDigits(5, 18)),
];

// --- diagnosis codes -----------------------------------------------------------------------

/** An ICD-10 code: a capital, a digit, a digit or A/B, then optionally ".1" to ".1234". */
const ICD = String.raw`[A-Z]\d[0-9AB](?:\.[0-9A-Z]{1,4})?(?![\p{L}\p{N}-])`;
const ICD_DOTTED = String.raw`[A-Z]\d[0-9AB]\.[0-9A-Z]{1,4}(?![\p{L}\p{N}-])`;
const MORE_CODES = String.raw`(?:\s*(?:,|;|/|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b)\s*${ICD})*`;
const ONE_CODE = new RegExp(ICD, 'gu');

/**
 * Strong cues ("ICD-10", "diagnosis", "diagnosed with", "Dx") take any code, and a list of them;
 * "diagnostic" and "Diagnose" are words of machines as well ("diagnostic code E15" on a
 * dishwasher), so after them only a dotted code counts (E11.9).
 */
const STRONG_DX = cued(
  'icd(?:-?10(?:-cm|-gm)?)?|cim-?10|cie-?10|diagnosis|diagnoses|diagnosed|diagn[óo]stico|diagnosi|dx',
  `${ICD}${MORE_CODES}`,
  CODE_WORDS,
);
const WEAK_DX = cued('diagnostic|diagnose', `${ICD_DOTTED}${MORE_CODES}`, CODE_WORDS);

/** Each code of a list is its own span: "E11.9, I10" is two values. */
function diagnosisCodes(re: RegExp, text: string): PiiSpan[] {
  return valuesOf('diagnosis-code', re, text, 0.85, () => true).flatMap((list) =>
    [...list.value.matchAll(ONE_CODE)]
      .filter((c) => capitals(c[0]))
      .map((c) => {
        const start = list.start + c.index;
        return span('diagnosis-code', text, start, start + c[0].length, 0.85);
      }),
  );
}

const detectDiagnosisCodes: Detector = (text) => [
  ...diagnosisCodes(STRONG_DX, text),
  ...diagnosisCodes(WEAK_DX, text),
];

// --- prescriber ids ------------------------------------------------------------------------

/** An NPI's check digit is the Luhn digit of 80840 and its first nine digits. */
function npiValid(npi: string): boolean {
  let sum = 0;
  [...`80840${npi}`].reverse().forEach((c, i) => {
    const d = (c.charCodeAt(0) - 48) * (i % 2 === 1 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  });
  return sum % 10 === 0;
}

/**
 * A DEA registration number: the registrant type, the first letter of the registrant's name (or
 * 9), six digits and a check digit (the last digit of d1 + d3 + d5 + 2 × (d2 + d4 + d6)).
 */
function deaValid(dea: string): boolean {
  const d = [...dea.slice(2)].map((c) => c.charCodeAt(0) - 48);
  const sum = d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!);
  return sum % 10 === d[6];
}

const NPI = cued('npi|national provider identifier', '[12]\\d{9}');
const DEA = cued('dea(?: registration)?', '[ABCDEFGHJKLMPRSTUX][A-Z9]\\d{7}');

const detectPrescriberIds: Detector = (text) => [
  ...valuesOf('prescriber-id', NPI, text, 0.95, npiValid),
  ...valuesOf('prescriber-id', DEA, text, 0.95, (v) => capitals(v) && deaValid(v)),
];

export const detectHealth = {
  medicalRecord: detectMedicalRecords,
  healthPlanId: detectHealthPlanIds,
  diagnosisCode: detectDiagnosisCodes,
  prescriberId: detectPrescriberIds,
} as const;
