import { describe, expect, it } from 'vitest';
import { createOutputModerator } from '../../activities/guards/output-moderation';
import { detectPii, normalisePiiValue } from '../../shared/guards/pii';
import { applyDataPatch, decideDataPolicy } from '../../shared/policy/data-policy';
import { resolvePolicy } from '../../shared/policy/resolve-policy';

/**
 * Health narrative (shared/guards/pii-health-narrative.ts): a health term in a sentence about a
 * person. The strings are written for this test, not taken from test/corpora/phi-narrative.
 */
const conditions = (text: string, language?: string): string[] =>
  detectPii(text, { types: ['health-condition'], ...(language ? { language } : {}) }).map(
    (s) => s.value,
  );

describe('a health term about a person', () => {
  it.each<[string, string, string[]]>([
    ['en', "My grandmother has Parkinson's and can't hold the phone steady.", ['Parkinson']],
    ['en', 'He was diagnosed with leukemia in May, so we need to pause the plan.', ['leukemia']],
    ['en', "I'm on metformin and the app's reminder didn't fire today.", ['metformin']],
    ['en', 'The patient had knee surgery and the brace you sent is too small.', ['surgery']],
    [
      'de',
      'Meine Frau hatte letzte Woche einen Schlaganfall, bitte kündigen Sie.',
      ['Schlaganfall'],
    ],
    ['de', 'Ich habe seit Tagen Rückenschmerzen vom neuen Bürostuhl.', ['Rückenschmerzen']],
    [
      'fr',
      'Mon mari est sous insuline depuis deux ans, la glacière ne refroidit plus.',
      ['insuline'],
    ],
    ['fr', 'Je suis enceinte et je ne peux pas monter le colis.', ['suis enceinte']],
    ['es', 'Mi abuela tiene cáncer de pulmón y no puede venir a la tienda.', ['cáncer']],
    ['it', 'Mio marito ha avuto un infarto a giugno, vorrei sospendere il contratto.', ['infarto']],
    ['nl', 'Mijn zoon heeft astma en de luchtreiniger maakt veel lawaai.', ['astma']],
  ])('%s: %s', (language, text, want) => {
    expect(conditions(text, language)).toEqual(want);
    // Without a language every language's cues apply: still found.
    expect(conditions(text)).toEqual(want);
  });

  it('finds a term in capitals only in capitals: MS, but not MS Teams or milliseconds', () => {
    expect(conditions('My sister has MS and uses the voice control.')).toEqual(['MS']);
    expect(conditions('MS Teams crashes when I share my screen.')).toEqual([]);
    expect(conditions('my p99 went from 40 ms to 900 ms')).toEqual([]);
  });
});

describe('not health data', () => {
  it.each<[string, string]>([
    ['a term without a person', 'The new glucometer and insulin coolers are on sale this week.'],
    ['a product of a shop', 'Our cholesterol test kit ships in two days.'],
    ['a person without a term', 'My husband is very patient, but the refund is three weeks late.'],
    ['a stroke width', 'My SVG stroke width resets after every export.'],
    ['a seizure by customs', 'The seizure of my parcel by customs took a week.'],
    ['a disabled account', 'My account is disabled since the update, I cannot log in.'],
    ['a loudspeaker', 'Mon enceinte Bluetooth ne s’allume plus depuis la mise à jour.'],
    ['a flight', 'Mi vuelo operado por Iberia salió con tres horas de retraso.'],
    ['an Italian wait', 'Sono in ansia per la consegna, il pacco è fermo da giorni.'],
    ['a name after a title', 'Mr. Parkinson from our accounting team will call me back.'],
    ['a German name', 'Frau Krebs hat mir die Rechnung geschickt.'],
    [
      'software words',
      'My cluster health check fails and the diagnostics found a virus in my image.',
    ],
    ['a headache of a bug', 'This export bug is my biggest headache this week.'],
  ])('%s', (_, text) => {
    expect(conditions(text)).toEqual([]);
  });

  it("reads a tenant's language: an Italian article is not a French pronoun", () => {
    const text = 'Il diabete è sempre più diffuso: il nuovo glucometro costa meno.';
    expect(conditions(text, 'it')).toEqual([]);
  });
});

describe('health narrative in the policy', () => {
  it('is flagged by default, not redacted: the task needs the text', () => {
    const { piiTypes } = resolvePolicy({
      config: undefined,
      tenantId: 'acme',
      task: 'summarize',
    }).moderation.input;
    expect(piiTypes).not.toContain('health-condition');
    expect(piiTypes).toContain('medical-record');
  });

  it('makes a request phi, flagged or redacted: only a hipaa model may see it', () => {
    for (const redacted of [[], ['health-condition']]) {
      const { decision } = decideDataPolicy({
        policy: applyDataPatch(undefined, { class: 'internal' }),
        candidates: [{ provider: 'openai', model: 'plain', timeoutMs: 1000 }],
        factsOf: () => ({ inProcess: false, governance: { regions: ['us'] } }),
        pii: { found: ['health-condition'], redacted },
      });
      expect(decision).toMatchObject({
        dataClass: 'phi',
        detected: ['health-condition'],
        denied: { rule: 'phi data needs a model with hipaa' },
      });
    }
  });

  it('an answer naming a condition in other words is not PII the model introduced', () => {
    const policy = resolvePolicy({ config: undefined, tenantId: 'acme', task: 'summarize' });
    const moderator = createOutputModerator({
      input: { body: 'Mon mari est sous insuline, la glacière ne refroidit plus.' },
      policy,
    });
    expect(moderator.onPii).toBe('redacted');
    const answer = "The customer's husband takes insulin; reach him at kim.ode@example.net";
    expect(moderator.introducedPii(answer).map((s) => s.type)).toEqual(['email']);
  });

  it('compares values case-insensitively (output moderation fingerprints)', () => {
    expect(normalisePiiValue('health-condition', 'Diabetes')).toBe('diabetes');
  });
});
