import { describe, expect, it } from 'vitest';
import { detectPii } from '../../shared/guards/pii';
import { createRedactor, restorePlaceholders } from '../../shared/guards/redact';
import type { PiiType } from '../../shared/guards/types';
import { resolvePolicy } from '../../shared/policy/resolve-policy';

/** Health data detectors (shared/guards/pii-health.ts): values after their cues, nothing else. */

const HEALTH: readonly PiiType[] = [
  'medical-record',
  'health-plan-id',
  'diagnosis-code',
  'prescriber-id',
];
const found = (text: string): Array<[string, string]> =>
  detectPii(text).map((s) => [s.type, s.value]);
const health = (text: string): Array<[string, string]> =>
  detectPii(text, { types: HEALTH }).map((s) => [s.type, s.value]);

describe('health data after its cue', () => {
  it.each<[string, Array<[string, string]>]>([
    ['Patient MRN 00482913 was billed twice.', [['medical-record', '00482913']]],
    ['MRN: A1234567', [['medical-record', 'A1234567']]],
    ['Medical record no. 12-345678 shows the visit.', [['medical-record', '12-345678']]],
    ['Patient #: 7734521, please check.', [['medical-record', '7734521']]],
    ['Patientennummer 7734521, bitte prüfen.', [['medical-record', '7734521']]],
    ['n° de dossier médical : 20455187', [['medical-record', '20455187']]],
    ['número de historia clínica 3320145', [['medical-record', '3320145']]],
    ['Medicare card 1EG4-TE5-MK73 was rejected', [['health-plan-id', '1EG4-TE5-MK73']]],
    ['My MBI is 1EG4TE5MK73.', [['health-plan-id', '1EG4TE5MK73']]],
    ['Aetna member ID W123456789 denied the claim', [['health-plan-id', 'W123456789']]],
    ['Medicaid ID: 123456789', [['health-plan-id', '123456789']]],
    ['Versichertennummer A123456789', [['health-plan-id', 'A123456789']]],
    [
      'diagnosis: E11.9, I10 and Z79.4',
      [
        ['diagnosis-code', 'E11.9'],
        ['diagnosis-code', 'I10'],
        ['diagnosis-code', 'Z79.4'],
      ],
    ],
    ['ICD-10 code J45.909', [['diagnosis-code', 'J45.909']]],
    ['diagnosed with F32.1 last year', [['diagnosis-code', 'F32.1']]],
    ['Diagnose: F32.1', [['diagnosis-code', 'F32.1']]],
    ['diagnostic : J45.9', [['diagnosis-code', 'J45.9']]],
    // NPI: Luhn over 80840 and the first nine digits; DEA: its own check digit.
    ['NPI 1234567893 on the claim', [['prescriber-id', '1234567893']]],
    ['DEA number AB1234563', [['prescriber-id', 'AB1234563']]],
  ])('%s', (text, expected) => {
    expect(health(text)).toEqual(expected);
  });
});

describe('look-alikes are not health data', () => {
  it.each([
    // The same values without a cue.
    'Order 00482913 was billed twice.',
    'Ticket A1234567 is still open.',
    'License key 1EG4-TE5-MK73 does not activate.',
    'Error E11.9 after the update; see section I10.',
    'Call 1234567893 tomorrow.',
    // Cues with something else after them.
    'The NPI 1234567890 on the form is wrong.',
    'DEA number AB1234567 (as printed, check digit wrong).',
    'the diagnostic code E15 on my dishwasher',
    'Diagnostics firmware V10.2 crashes.',
    'Please diagnose the F12 key, it sticks.',
    'medical records 2019-2021 are missing',
    'patient id abc12345',
    'MRN 2024-03-15 was the visit date',
    'I bought health insurance through your app, order 12345678 failed',
    'Our health plan renewal is on 20240115.',
    // Ordinary tickets: orders, versions, SKUs, brands.
    'Order #48213-77 for Dr. Martens boots, SKU DM-11822-001, size 42.',
    'App version 10.2.1 (build 4471) on iOS 17.4 keeps crashing.',
    'Invoice INV-2024-00123 charged EUR 49.90 twice.',
    'Part number A12.3B and model X5 are out of stock.',
  ])('%s', (text) => {
    expect(health(text)).toEqual([]);
  });
});

describe('health data in screening and redaction', () => {
  it('redacts ids by default and restores them; diagnosis codes are flagged, not rewritten', () => {
    const piiTypes = resolvePolicy({ config: undefined, tenantId: 'acme', task: 'summarize' })
      .moderation.input.piiTypes;
    expect(piiTypes).toEqual(
      expect.arrayContaining(['medical-record', 'health-plan-id', 'prescriber-id']),
    );
    expect(piiTypes).not.toContain('diagnosis-code');

    const text = 'MRN 00482913, Aetna member ID W123456789, diagnosis E11.9.';
    const spans = detectPii(text).filter((s) => piiTypes.includes(s.type));
    const redactor = createRedactor();
    const out = redactor.redact(text, spans);
    expect(out).toBe('MRN [MRN_1], Aetna member ID [HEALTHPLAN_1], diagnosis E11.9.');
    expect(restorePlaceholders(out, redactor.placeholders())).toBe(text);
  });

  it('keeps other detectors as they were on a clinical ticket', () => {
    expect(found('Dr. Martens boots, MRN 00482913, reach me at kim.ode@example.net')).toEqual([
      ['medical-record', '00482913'],
      ['email', 'kim.ode@example.net'],
    ]);
  });
});
