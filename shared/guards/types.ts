/**
 * Contracts of Keel's guards: PII detection and redaction, toxicity, prompt injection. The
 * detectors are pure functions of text (no I/O, no clock); activities run them on inputs and
 * outputs, `npm run bench:guards` measures them on the labelled corpora in test/fixtures/guards.
 */

export const PII_TYPES = [
  'email',
  'phone',
  'credit-card',
  'iban',
  'ssn',
  'ip-address',
  'secret',
  'person-name',
  'street-address',
  'vat-id',
  'passport',
  'national-id',
  'date-of-birth',
  // Health data (pii-health.ts): docs/governance.md says which of them make a request `phi`.
  'medical-record',
  'health-plan-id',
  'diagnosis-code',
  'prescriber-id',
  // Health narrative (pii-health-narrative.ts): a condition, medication or treatment of a person.
  'health-condition',
] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** Types whose detection is confirmed by a checksum or a strict structure. */
export const CHECKSUM_PII_TYPES: readonly PiiType[] = ['credit-card', 'iban'];

/** One detected piece of PII. `start`/`end` are UTF-16 offsets into the scanned text. */
export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
  /** The matched text, exactly `text.slice(start, end)`. Never logged. */
  value: string;
  /** 0..1: checksum-validated matches are ~0.99, heuristic ones (names, addresses) lower. */
  confidence: number;
}

export interface PiiScanOptions {
  /** Only these types. @default every type */
  types?: readonly PiiType[];
  /** Drop spans below this confidence. @default 0.5 */
  minConfidence?: number;
  /**
   * The tenant's country (ISO 3166 alpha-2): the default country of phone numbers written without
   * a country code, and the first national scheme tried for ids. @default 'US'
   */
  region?: string;
  /** The tenant's language (ISO 639-1), a second default country for phones. @default none */
  language?: string;
}

/** What every detector is given besides the text. */
export interface PiiContext {
  region: string;
  language?: string;
}

/** Reversible redaction: `[EMAIL_1]` in the text, the original in `placeholders`. */
export interface Redaction {
  text: string;
  /** placeholder → original value. Stays inside the workflow; never logged. */
  placeholders: Record<string, string>;
}

export const INJECTION_KINDS = [
  'ignore-instructions',
  'system-prompt-extraction',
  'role-play',
  'encoded-payload',
  'invisible-characters',
  'look-alike-characters',
  'addressed-to-model',
  'spoofed-delimiter',
  'secret-request',
  'exfiltration',
  /** The optional statistical layer (injection-classifier.ts), when the policy turns it on. */
  'classifier',
] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];

export interface InjectionSignal {
  kind: InjectionKind;
  start: number;
  end: number;
  /** 0..1 contribution of this signal. */
  weight: number;
}

export interface InjectionScan {
  /** 0..1; at or above 0.5 the text is treated as an injection attempt. */
  score: number;
  signals: InjectionSignal[];
}

export interface ToxicityMatch {
  start: number;
  end: number;
  /** The profane term as listed by the dictionary (not the matched text). */
  term: string;
}

export interface ToxicityScan {
  /** 0..1; at or above 0.5 the text is treated as toxic. */
  score: number;
  matches: ToxicityMatch[];
}
